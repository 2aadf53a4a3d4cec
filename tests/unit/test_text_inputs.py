"""Text a user writes: the media sheet checked as a whole (one line per problem, naming file,
line and column), UTF-8 with a BOM or a spreadsheet's cp1252 read, and invisible characters
kept out of glossary terms and sheet cells."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subtitles_workflow.media_sheet import read_media_sheet
from subtitles_workflow.text_input import TextInputError, read_user_text, visible_text

FILMS = ["friday", "Monday Talk", "интервью"]


def no_row_problem(row: dict[str, str], where: str) -> None:
    return None


def sheet(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "media.tsv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def problems_of(path: Path) -> list[str]:
    return read_media_sheet(path, FILMS, no_row_problem)[1]


def test_a_good_sheet_gives_each_film_its_row(tmp_path):
    path = sheet(tmp_path, "name\tsource_language\n# a comment\nfriday\tde\n\nинтервью\tru\n")
    rows, problems, notes = read_media_sheet(path, FILMS, no_row_problem)
    assert problems == [] and notes == []
    assert rows == {"friday": {"name": "friday", "source_language": "de"}, "интервью": {"name": "интервью", "source_language": "ru"}}


def test_a_misspelt_column_is_named_with_the_close_one(tmp_path):
    [problem] = problems_of(sheet(tmp_path, "name\tsource_langauge\nfriday\tde\n"))
    assert problem.startswith(f"{tmp_path}/media.tsv, line 1: unknown column 'source_langauge'")
    assert "did you mean 'source_language'?" in problem


def test_a_row_for_a_film_not_in_in_suggests_the_close_name(tmp_path):
    [problem] = problems_of(sheet(tmp_path, "name\tsource_language\nfridya\tde\n"))
    assert "line 2 ('fridya'), column 'name': no film 'fridya' in in/; did you mean 'friday'?" in problem


def test_a_film_listed_twice_is_a_problem_not_a_silent_last_row(tmp_path):
    [problem] = problems_of(sheet(tmp_path, "name\tsource_language\nfriday\tde\nfriday\ten\n"))
    assert "line 3 ('friday'): the film is listed again (first on line 2)" in problem


def test_an_extra_cell_is_named(tmp_path):
    [problem] = problems_of(sheet(tmp_path, "name\tsource_language\nfriday\tde\ten\n"))
    assert "line 2: 3 cells, the header has 2 columns (extra: 'en')" in problem


def test_every_problem_is_reported_and_none_of_the_sheet_is_used(tmp_path):
    path = sheet(tmp_path, "name\tsource_language\nfriday\tde\nfriday\ten\nnobody\tfr\n\tde\n")
    rows, problems, _ = read_media_sheet(path, FILMS, no_row_problem)
    assert rows == {} and len(problems) == 3
    assert all("\n" not in problem and str(path) in problem for problem in problems)


def test_the_row_check_names_the_row(tmp_path):
    def refuse_german(row: dict[str, str], where: str) -> str | None:
        return f"{where}, column 'source_language': no" if row["source_language"] == "de" else None

    [problem] = read_media_sheet(sheet(tmp_path, "name\tsource_language\nfriday\tde\n"), FILMS, refuse_german)[1]
    assert problem == f"{tmp_path}/media.tsv, line 2 ('friday'), column 'source_language': no"


def test_a_spreadsheets_cp1252_sheet_is_read_with_a_note(tmp_path):
    path = sheet(tmp_path, "name\thotwords\nfriday\tCafé Müller – Straße\n".encode("cp1252"))
    rows, problems, [note] = read_media_sheet(path, FILMS, no_row_problem)
    assert problems == [] and rows["friday"]["hotwords"] == "Café Müller – Straße"
    assert note.startswith(f"{path}: byte 0xe9 on line 2 is not UTF-8; read as Windows-1252")


def test_a_bom_and_invisible_characters_never_reach_a_cell(tmp_path):
    path = sheet(tmp_path, "\ufeffname\thotwords\nfriday\t\ufeffZyntrax\u200b Quorvel\u00ad \u2060Café\r\n")
    rows, problems, notes = read_media_sheet(path, FILMS, no_row_problem)
    assert problems == [] and notes == []
    assert rows["friday"]["hotwords"] == "Zyntrax Quorvel Café"


def test_a_file_neither_utf8_nor_cp1252_is_one_line(tmp_path):
    path = tmp_path / "glossary.txt"
    path.write_bytes(b"caf\xe9 \x81\n")
    with pytest.raises(TextInputError) as err:
        read_user_text(path)
    assert str(err.value).startswith(f"{path}: byte 0xe9 on line 1 is not UTF-8, nor Windows-1252; save it as UTF-8")


def test_joiners_that_spell_a_word_stay():
    assert visible_text("क्\u200dष") == "क्\u200dष"  # a half form
    assert visible_text("می\u200cخواهم") == "می\u200cخواهم"  # Persian's non-joiner
    assert visible_text("\u200dterm\u200c") == "term"


@given(st.text())
def test_visible_text_has_no_invisible_characters_at_its_edges_or_alone(text):
    import unicodedata

    clean = visible_text(text)
    assert clean == clean.strip()
    assert all(unicodedata.category(c) != "Cc" for c in clean)
    assert all(unicodedata.category(c) != "Cf" or c in "\u200c\u200d" for c in clean)
    assert visible_text(clean) == clean
