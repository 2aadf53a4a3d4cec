"""The media sheet (config/media.tsv): per-film overrides, checked as a whole before any job.
Every problem is one line naming the file, the row and the column; a sheet with any problem is
used for nothing, so no film is transcribed with half its settings."""

from __future__ import annotations

import csv
import difflib
from collections.abc import Callable, Iterable
from pathlib import Path

from subtitles_workflow.text_input import TextInputError, read_user_text, visible_text

COLUMNS = ("name", "source_language", "audio_stream", "target_languages", "initial_prompt", "hotwords")


def close_name(word: str, choices: Iterable[str]) -> str:
    """'; did you mean X?' for the closest of `choices`, or ''."""
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {match[0]!r}?" if match else ""


def read_media_sheet(
    path: Path, films: Iterable[str], check_row: Callable[[dict[str, str], str], str | None]
) -> tuple[dict[str, dict[str, str]], list[str], list[str]]:
    """({name: {column: cell}}, problems, notes). `films` are the names in in/; `check_row`
    returns a problem with a row's cells (schema, language codes) or None."""
    films = set(films)
    try:
        text, note = read_user_text(path)
    except TextInputError as err:
        return {}, [str(err)], []
    lines = [
        (number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines:
        return {}, [], [note] if note else []
    rows = csv.reader([line for _, line in lines], delimiter="\t")
    header = [visible_text(cell) for cell in next(rows)]
    problems = [
        f"{path}, line {lines[0][0]}: unknown column {column!r}{close_name(column, COLUMNS)} "
        f"(columns: {', '.join(COLUMNS)})"
        for column in header
        if column not in COLUMNS
    ]
    if "name" not in header:
        problems.append(f"{path}, line {lines[0][0]}: no 'name' column; the first row names the columns")
    if problems:
        return {}, problems, []
    sheet: dict[str, dict[str, str]] = {}
    first_line: dict[str, int] = {}
    for (number, _), cells in zip(lines[1:], rows):
        where = f"{path}, line {number}"
        if len(cells) > len(header):
            extra = ", ".join(repr(cell) for cell in cells[len(header) :])
            problems.append(f"{where}: {len(cells)} cells, the header has {len(header)} columns (extra: {extra}); remove them or add a column")
            continue
        row = {column: visible_text(cell) for column, cell in zip(header, cells)}
        name = row.get("name", "")
        if not name:
            problems.append(f"{where}, column 'name': empty; name the film (its file name in in/ without the extension)")
            continue
        where = f"{where} ({name!r})"
        if name in first_line:
            problems.append(f"{where}: the film is listed again (first on line {first_line[name]}); keep one row per film")
            continue
        first_line[name] = number
        if name not in films:
            problems.append(f"{where}, column 'name': no film {name!r} in in/{close_name(name, films)}")
            continue
        problem = check_row(row, where)
        if problem:
            problems.append(problem)
            continue
        sheet[name] = row
    return (sheet if not problems else {}), problems, [note] if note else []
