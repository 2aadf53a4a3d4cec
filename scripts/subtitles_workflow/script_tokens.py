"""Which of Whisper's tokens would write letters of another script than the expected one.

Suppressing them while a window is re-decoded keeps Hindi in Devanagari where a prompt alone
does not (the base model wrote one Hindi fixture half in Latin letters even after the prompt).
Whisper's tokens are byte-level BPE: a token may end inside a multi-byte character, so its
script is read from the complete characters and from the lead bytes of an unfinished one.
Stdlib only."""

from __future__ import annotations

import functools
import unicodedata

from subtitles_workflow.writing_systems import letter_script


@functools.cache
def byte_decoder() -> dict[str, int]:
    """GPT-2's byte-level BPE alphabet (one printable character per byte) back to bytes."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    characters = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            characters.append(256 + extra)
            extra += 1
    return {chr(c): b for b, c in zip(printable, characters)}


def unfinished_character_script(data: bytes) -> str | None:
    """The script of the character a token's last bytes begin but do not finish, when its
    first two bytes (or a two-byte character's lead byte) say it; None when they do not."""
    for start in range(len(data) - 1, max(-1, len(data) - 4), -1):
        lead = data[start]
        if lead < 0xC0:  # a continuation byte: look further back for the lead
            continue
        size = 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
        part = data[start:]
        if len(part) >= size or (size > 2 and len(part) < 2):
            return None  # complete, or a lone lead byte of a 3/4-byte character: any block
        for pad in (0x80, 0x90, 0xA0, 0xB0, 0xBF):  # the first named character of its block
            character = (part + bytes([pad] * (size - len(part)))).decode("utf-8", errors="ignore")
            name = unicodedata.name(character, "") if character else ""
            if name:
                first = name.split()[0]
                return "CJK" if first in ("CJK", "HIRAGANA", "KATAKANA") else first
        return None
    return None


def token_scripts(data: bytes) -> set[str]:
    """The scripts whose letters a token's bytes write (empty for digits, punctuation, spaces)."""
    scripts = {s for s in map(letter_script, data.decode("utf-8", errors="ignore")) if s}
    unfinished = unfinished_character_script(data)
    return scripts | {unfinished} if unfinished else scripts


def tokens_in_other_scripts(vocabulary: dict[str, int], script: str, first_special: int) -> list[int]:
    """Ids of the text tokens (below `first_special`) that write letters of another script."""
    decode = byte_decoder()
    return sorted(
        ident
        for token, ident in vocabulary.items()
        if ident < first_special and token_scripts(bytes(decode[c] for c in token)) - {script}
    )
