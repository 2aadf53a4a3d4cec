"""The report's timeline: the audio envelope, which cues are flagged how, the fonts of every
script the project writes (a Hindi film's cues drawn as Devanagari, not boxes), the cues' text
whole and apart on a 12-minute film, and a summary page no wider than the page."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import textwrap
import unicodedata
import wave
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import report
from conftest import FIXTURES, SCRIPTS, fixture
from project import PROJECT
from subtitles_workflow import subtitle_qc
from subtitles_workflow.writing_systems import EXPECTED_SCRIPT

REPORT_PYTHON = PROJECT / ".venvs" / "report" / "bin" / "python"
# The main Unicode block of every script the project writes (writing_systems.EXPECTED_SCRIPT, the
# scripts of languages.FLORES): its letters, marks, digits and punctuation must all have a glyph.
BLOCKS = {
    "LATIN": [(0x20, 0x24F)], "GREEK": [(0x370, 0x3FF)], "CYRILLIC": [(0x400, 0x4FF)], "ARMENIAN": [(0x530, 0x58F)],
    "HEBREW": [(0x590, 0x5FF)], "ARABIC": [(0x600, 0x6FF)], "DEVANAGARI": [(0x900, 0x97F)], "BENGALI": [(0x980, 0x9FF)],
    "GURMUKHI": [(0xA00, 0xA7F)], "GUJARATI": [(0xA80, 0xAFF)], "ORIYA": [(0xB00, 0xB7F)], "TAMIL": [(0xB80, 0xBFF)],
    "TELUGU": [(0xC00, 0xC7F)], "KANNADA": [(0xC80, 0xCFF)], "MALAYALAM": [(0xD00, 0xD7F)], "SINHALA": [(0xD80, 0xDFF)],
    "THAI": [(0xE00, 0xE7F)], "LAO": [(0xE80, 0xEFF)], "TIBETAN": [(0xF00, 0xFFF)], "MYANMAR": [(0x1000, 0x109F)],
    "GEORGIAN": [(0x10A0, 0x10FF)], "ETHIOPIC": [(0x1200, 0x137F)], "KHMER": [(0x1780, 0x17FF)],
    "HANGUL": [(0xAC00, 0xD7A3)],
    # kana, and the unified ideographs up to Unicode 13 (Noto Sans CJK 2.004 predates 9FF0-9FFF)
    "CJK": [(0x3040, 0x30FF), (0x4E00, 0x9FEF)],
}  # fmt: skip


def block_text(script: str) -> str:
    return "".join(chr(c) for first, last in BLOCKS[script] for c in range(first, last + 1)
                   if unicodedata.category(chr(c))[0] in "LMNP")  # fmt: skip


def hindi_sentences() -> list[str]:
    """What the shared Hindi recordings say (their transcripts): a Hindi film's cue text."""
    with open(fixture("hi/indicwav2vec_workshop/transcripts.tsv"), newline="", encoding="utf-8") as handle:
        sentences = [row["transcript"] for row in csv.DictReader(handle, delimiter="\t")]
    return sentences + [(FIXTURES / "hi" / "ekstep_sample.txt").read_text(encoding="utf-8").strip()]


def hindi_film_cues(minutes: float) -> list[tuple[float, float, str]]:
    """Cues of a film of `minutes` that says the Hindi transcripts over and over, split as the
    subtitles stage splits them (42 characters a line, two lines), paced at 15 characters a
    second with the gaps a film has (2 frames to 2.5 s)."""
    words = " ".join(hindi_sentences()).split()
    cues, start, index, gaps = [], 0.4, 0, [0.083, 0.083, 0.5, 1.0, 2.5]
    while start < minutes * 60 - 5:
        count = 3 + index % 7
        text = " ".join(words[(index + k) % len(words)] for k in range(count))
        if len(text) > 42:
            cut = text.rfind(" ", 0, 42)
            text = text[:cut] + "\n" + text[cut + 1 :]
        duration = min(max(len(text) / 15, 0.833), 7.0)
        cues.append((round(start, 3), round(start + duration, 3), text))
        start += duration + gaps[index % len(gaps)]
        index += count
    return cues


def on_report_env(code: str, data: object) -> dict:
    """`code` run on the report env's interpreter, as the report job runs (matplotlib, the font
    packages), scripts/ on its path, `data` as JSON on its standard input; the JSON document it
    prints last."""
    if not REPORT_PYTHON.exists():
        pytest.skip("the report env is not built (snakemake .venvs/report.env.json)")
    env = {**os.environ, "PYTHONPATH": str(SCRIPTS), "MPLBACKEND": "Agg"}
    done = subprocess.run([str(REPORT_PYTHON), "-c", textwrap.dedent(code)], input=json.dumps(data), env=env,
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


# Draws cues ([[start, end, text], ...]) flagged as `flags` with report.plot_timeline into
# `output`; prints the glyphs matplotlib found no font for and, per drawn cue text, whether
# any of it is cut (clipped) or outside its row, its box in pixels, its size, and the rows.
DRAW_TIMELINE = """
    import json, sys, warnings
    import matplotlib.pyplot as plt
    import report

    data = json.load(sys.stdin)
    cues = [tuple(cue) for cue in data["cues"]]
    flags = {int(k): v for k, v in data["flags"].items()}
    figures = []
    plt.close = figures.append  # keep the figure plot_timeline closes, to measure it
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report.plot_timeline([0.1] * int(len(cues) and cues[-1][1] * 20), [[s, e] for s, e, _ in cues], [], cues, flags, report.Path(data["output"]))
    figure = figures[0]
    renderer = figure.canvas.get_renderer()
    texts, rows = [], []
    for axes in figure.axes:
        box = axes.get_window_extent(renderer)
        rows.append([float(v) for v in (box.x0, box.y0, box.x1, box.y1)])
        for text in axes.texts:
            extent = text.get_window_extent(renderer)
            regions = [text.get_clip_box()] if text.get_clip_on() and text.get_clip_box() is not None else []
            if text.get_clip_on() and text.get_clip_path() is not None:
                regions.append(text.get_clip_path().get_fully_transformed_path().get_extents())
            cut = any(r.x0 > extent.x0 + 0.5 or r.x1 < extent.x1 - 0.5 or r.y0 > extent.y0 + 0.5 or r.y1 < extent.y1 - 0.5 for r in regions)
            outside = extent.x0 < box.x0 - 0.5 or extent.x1 > box.x1 + 0.5 or extent.y0 < box.y0 - 0.5 or extent.y1 > box.y1 + 0.5
            texts.append({"text": text.get_text(), "cut": bool(cut), "outside": bool(outside), "px": text.get_fontsize() * figure.dpi / 72,
                          "box": [float(v) for v in (extent.x0, extent.y0, extent.x1, extent.y1)]})
    missing = sorted({str(w.message) for w in caught if "missing from font" in str(w.message)})
    print(json.dumps({"missing": missing, "texts": texts, "rows": rows, "size": [int(v) for v in figure.bbox.size]}))
"""


def draw_timeline(tmp_path: Path, cues: list, flags: dict | None = None, name: str = "film") -> dict:
    return on_report_env(DRAW_TIMELINE, {"cues": cues, "flags": flags or {}, "output": str(tmp_path / f"{name}.timeline.png")})


def write_wav(path: Path, samples: np.ndarray) -> None:
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(16_000)
        handle.writeframes((samples * 32767).astype(np.int16).tobytes())


def test_envelope_is_the_rms_of_every_50_ms(tmp_path):
    tone = 0.5 * np.sin(2 * np.pi * 440 * np.arange(8000) / 16_000)
    write_wav(tmp_path / "film.wav", np.concatenate([np.zeros(8000), tone]))
    envelope = report.audio_envelope(tmp_path / "film.wav")
    assert len(envelope) == 20
    assert max(envelope[:10]) < 1e-3
    assert envelope[10:] == pytest.approx([0.5 / np.sqrt(2)] * 10, abs=0.01)


def test_flags_go_to_their_cue_and_dropped_loops_to_none():
    violations = [
        {"cue": None, "kind": "loops"},
        {"cue": 2, "kind": "gap"},
        {"cue": 2, "kind": "cps_speech_too_fast"},
        {"cue": 5, "kind": "end_cut_by_next"},
    ]
    flags = report.flags_by_cue(violations)
    assert flags == {2: ["gap", "cps_speech_too_fast"], 5: ["end_cut_by_next"]}
    assert report.cue_colour(flags[2]) == report.cue_colour(["gap"]) != report.cue_colour(flags[5])
    assert report.cue_colour([]) not in (report.cue_colour(flags[2]), report.cue_colour(flags[5]))


def test_report_knows_the_same_note_kinds_as_the_qc():
    assert report.NOTE_KINDS == subtitle_qc.NOTE_KINDS


def test_the_fonts_cover_every_script_the_project_writes():
    """Every letter, mark, digit and punctuation of each script's block has a font in the report
    env, but Tibetan's (no font for it on PyPI: report.SCRIPTS_WITHOUT_FONT, said in the timeline's caption)."""
    scripts = sorted(set(EXPECTED_SCRIPT.values()))
    assert set(scripts) <= set(BLOCKS)
    code = """
        import json, sys
        import report

        charmaps = report.register_fonts()
        blocks = json.load(sys.stdin)
        missing = {}
        for script, text in blocks.items():
            families = report.text_families(text)
            missing[script] = [f"{ord(c):04X}" for c in text if not any(ord(c) in charmaps[f] for f in families)]
        print(json.dumps(missing))
    """
    missing = on_report_env(code, {script: block_text(script) for script in scripts})
    assert {script: chars[:8] for script, chars in missing.items() if chars} == {script: missing[script][:8] for script in report.SCRIPTS_WITHOUT_FONT}
    assert report.SCRIPTS_WITHOUT_FONT == ("TIBETAN",)


def test_a_hindi_films_cues_are_drawn_in_devanagari_not_boxes(tmp_path):
    """The cues of a Hindi film (the shared recordings' transcripts) and a cue in each script of
    the Indic languages IndicTrans2 serves, Urdu's Arabic included, and CJK: matplotlib finds a
    glyph for every character (it warns 'Glyph ... missing from font(s) DejaVu Sans' for each
    one it draws as a box)."""
    cues = [(start, end, text) for start, end, text in hindi_film_cues(1.0)]
    samples = {"pa": "ਪੰਜਾਬੀ ਵਿੱਚ ਉਪਸਿਰਲੇਖ", "bn": "বাংলায় উপশিরোনাম", "gu": "ગુજરાતીમાં ઉપશીર્ષક", "or": "ଓଡ଼ିଆରେ ଉପଶୀର୍ଷକ",
               "ta": "தமிழில் வசனங்கள்", "te": "తెలుగులో ఉపశీర్షికలు", "kn": "ಕನ್ನಡದಲ್ಲಿ ಉಪಶೀರ್ಷಿಕೆಗಳು",
               "ml": "മലയാളത്തിൽ സബ്ടൈറ്റിലുകൾ", "ur": "اردو میں ذیلی عنوانات ہے۔", "sd": "سنڌي ۾ ذيلي عنوان",
               "ne": "नेपालीमा उपशीर्षक।", "zh": "中文字幕", "ja": "日本語の字幕", "ko": "한국어 자막"}  # fmt: skip
    end = cues[-1][1]
    cues += [(end + 2 * i + 1, end + 2 * i + 2.5, text) for i, text in enumerate(samples.values())]
    drawn = draw_timeline(tmp_path, cues)
    assert drawn["missing"] == []
    assert any("चौबीसों" in text["text"] for text in drawn["texts"])


def test_devanagari_letters_are_not_all_the_same_box(tmp_path):
    """A box is a box whatever the letter: two films whose one cue has the same letters in
    another order must differ in their pixels."""
    one = tmp_path / "one"
    other = tmp_path / "other"
    one.mkdir(), other.mkdir()
    draw_timeline(one, [(0.5, 3.0, "कखग घचछ")])
    draw_timeline(other, [(0.5, 3.0, "गखक छचघ")])
    assert (one / "film.timeline.png").read_bytes() != (other / "film.timeline.png").read_bytes()


@pytest.fixture(scope="module")
def twelve_minutes(tmp_path_factory) -> tuple[list, dict, dict]:
    """A 12-minute Hindi film's timeline (as the issue's tutorial), some cues flagged."""
    cues = hindi_film_cues(12.0)
    flags = {3: ["off_speech"], 10: ["cps_speech_too_fast"], 41: ["uncovered_speech", "cps"], 200: ["gap"]}
    return cues, flags, draw_timeline(tmp_path_factory.mktemp("timeline"), cues, flags)


def test_long_film_cue_text_is_whole_inside_its_row(twelve_minutes):
    """No cue's text is cut (clipped to its bar, as it was) or runs out of its row."""
    cues, _, drawn = twelve_minutes
    assert drawn["missing"] == [] and drawn["texts"]
    assert [t["text"] for t in drawn["texts"] if t["cut"]] == []
    assert [t["text"] for t in drawn["texts"] if t["outside"]] == []
    for text in drawn["texts"]:
        assert "[" in text["text"] or " ".join(text["text"].split()) in {" ".join(c[2].split()) for c in cues}


def test_long_film_cue_texts_never_overlap(twelve_minutes):
    _, _, drawn = twelve_minutes
    boxes = sorted(tuple(t["box"]) for t in drawn["texts"])
    for index, (x0, y0, x1, y1) in enumerate(boxes):
        for other in boxes[index + 1 :]:
            if other[0] >= x1:
                break
            assert other[3] <= y0 or other[1] >= y1, (x0, y0, x1, y1, other)


def test_long_film_timeline_is_readable_at_its_shown_size(twelve_minutes):
    """Cue text of 12.5 px, 9.6 px where a 1400 px window's report shows the 1400 px image 1075
    px wide (tests/integration/test_report.py); rows of 150 px, one a minute; most cues' text is
    drawn, every flagged one's."""
    cues, flags, drawn = twelve_minutes
    assert drawn["size"][0] == 1400 and 150 * 12 <= drawn["size"][1] <= 150 * 12 + 100
    assert len(drawn["rows"]) == 12
    assert min(t["px"] for t in drawn["texts"]) >= 12.5
    assert len(drawn["texts"]) >= 0.75 * len(cues)
    flagged = [t for t in drawn["texts"] if t["text"].startswith("[")]
    assert len(flagged) == len(flags)


@given(st.lists(st.tuples(st.floats(0, 1300), st.floats(1, 400)), max_size=40), st.integers(1, 5))
def test_lanes_keep_texts_apart_and_inside(spans, lanes):
    spans = [(start, start + width) for start, width in spans]
    placed = report.assign_lanes(spans, list(range(len(spans))), lanes, 1360.0)
    for index, lane in placed.items():
        assert 0 <= lane < lanes and spans[index][1] <= 1360.0
        for other, other_lane in placed.items():
            if other != index and other_lane == lane:
                assert spans[index][1] + report.LABEL_GAP_PX <= spans[other][0] or spans[other][1] + report.LABEL_GAP_PX <= spans[index][0]


def test_lanes_place_problems_first():
    spans = [(0.0, 500.0), (100.0, 200.0)]
    order = report.label_order([[], ["off_speech"]], [0.0, 100.0])
    assert order == [1, 0]
    assert report.assign_lanes(spans, order, 1, 1360.0) == {1: 0}


def test_summary_qc_is_a_column_per_language_and_every_table_scrolls_in_its_own_box():
    counts = {kind: 0 for kind in subtitle_qc.FORMAT_KINDS + subtitle_qc.VIEWER_KINDS + subtitle_qc.NOTE_KINDS}
    qc_rows = [{"language": lang, "cues": 12, "problems": 1, **counts} for lang in ("hi", "en")]
    timings = [{"job": "translate/indictrans/a_film_with_a_very_long_name_that_would_widen_the_page.en", "seconds": 1.0, "max_rss_mb": 10}]
    page = report.summary_html("film", timings, qc_rows, [])
    qc = page.split("<h3>Subtitle QC</h3>")[1].split("</table>")[0]
    header = qc.split("</tr>")[0]
    assert header.count("<th>") == 3 and "<th>hi</th>" in header and "<th>en</th>" in header
    assert qc.count("<tr>") == 1 + 2 + len(counts)
    assert page.count("<table>") == page.count("<div class='table'><table>") == 2
    assert re.search(r"\.table\{[^}]*overflow-x:auto", page) and "overflow-wrap:anywhere" in page


def test_the_timeline_page_shows_the_png_from_its_top_no_wider_than_its_frame():
    page = report.timeline_page_html("film", b"\x89PNG-bytes")
    assert "src='data:image/png;base64,iVBORy1ieXRlcw=='" in page
    assert "img{display:block;max-width:100%;height:auto}" in page
