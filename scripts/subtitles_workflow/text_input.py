"""Text files a user writes (media sheet, glossary, reference transcripts): read as UTF-8 with or
without a BOM; a file a spreadsheet saved as Windows-1252 (cp1252, a superset of Latin-1's
printable characters) is read as that, with a note; anything else is one line naming the file.
Terms lose the invisible characters that copy and paste brings along."""

from __future__ import annotations

import unicodedata
from pathlib import Path


class TextInputError(ValueError):
    """A text file that is neither UTF-8 nor cp1252: the message names it and the fix."""


def read_user_text(path: str | Path) -> tuple[str, str | None]:
    """The file's text and a note when it was not UTF-8 (None when it was)."""
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        problem = f"byte 0x{data[err.start]:02x} on line {line} is not UTF-8"
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        raise TextInputError(
            f"{path}: {problem}, nor Windows-1252; save it as UTF-8 (in a spreadsheet: "
            "'Save as', 'Text (tab-separated)', encoding 'UTF-8')"
        ) from None
    return text, f"{path}: {problem}; read as Windows-1252 (cp1252). Save it as UTF-8 to silence this note"


# Zero-width (non-)joiners inside a word spell Indic and Arabic words (क्‍ष); elsewhere they,
# like every other format (Cf) or control (Cc) character, are invisible noise: a BOM, a
# zero-width space, a soft hyphen, a stray carriage return.
JOINERS = "\u200c\u200d"


def _in_word(text: str, index: int) -> bool:
    """Whether text[index] sits between two letters or marks (a virama is a mark)."""
    def letter(i: int) -> bool:
        return 0 <= i < len(text) and unicodedata.category(text[i])[0] in "LM"

    return letter(index - 1) and letter(index + 1)


def visible_text(text: str) -> str:
    """`text` without invisible characters, its whitespace runs made one space."""
    kept = [
        char
        for index, char in enumerate(text)
        if char.isspace()
        or unicodedata.category(char) not in ("Cf", "Cc")
        or (char in JOINERS and _in_word(text, index))
    ]
    return " ".join("".join(kept).split())
