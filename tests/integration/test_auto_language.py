"""`source_language: auto` through the workflow, on the shared English, Hindi and German
fixtures and on noisy mixes of them (bench/language_id.py builds them: ffmpeg anoisesrc at a
measured SNR). The language is detected over windows spread across the film, not its first
30 s; below asr.language_threshold the film stops with one line (the default), or with
asr.language_fallback set, is decoded in the fallback language, which names its subtitle
files, with one warning line in the asr log and `language_warning` in the transcript.

Before issue 28 the stage listened to the first 30 s only and never doubted it: the Hindi film
that opens with 30 s of English came out as English (p=0.99), a film half in English, half in
German as English (p=1.00), and English under noise 10 dB louder than the speech (p=0.45)
went through without a word.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from conftest import PROJECT, copy_project, requires_fixtures, snakemake, update_config

pytestmark = [requires_fixtures]

ASR_PYTHON = PROJECT / ".venvs" / "asr" / "bin" / "python"
# film -> (bench/language_id.py clip, condition)
FILMS = {
    "english": ("jfk", "clean"),
    "english_0db": ("jfk", "white 0"),  # white noise as loud as the speech: en 0.88
    "hindi": ("hi_joined", "clean"),  # the 7 Hindi clips joined: 50 s, 2 windows
    "german": ("multilingual_de_half", "clean"),
    "hindi_english_opening": ("hi_film_en_opening", "clean"),  # 30 s English, then 100 s Hindi
    "english_noisy": ("jfk", "white -10"),  # noise 10 dB above the speech: en 0.45
    "two_languages": ("multilingual_en+de", "clean"),  # 30 s English, 30 s German
    "english_known": ("jfk", "clean"),  # source_language en: no detection
}
CONFIDENT = {"english": "en", "english_0db": "en", "hindi": "hi", "german": "de", "hindi_english_opening": "hi"}


def make_film(project, film):
    clip, condition = FILMS[film]
    output = project / "in" / f"{film}.wav"
    command = [str(ASR_PYTHON), str(PROJECT / "bench" / "language_id.py"), "--write-mix", clip, condition, str(output)]
    subprocess.run(command, check=True, capture_output=True, text=True)


def build(project, films):
    for film in films:
        make_film(project, film)
    languages = "".join(f"{film}\t{'en' if film == 'english_known' else 'auto'}\n" for film in films)
    (project / "config" / "media.tsv").write_text("name\tsource_language\n" + languages)
    return snakemake(project, check=False, timeout=3600)


def transcript(project, film):
    return json.loads((project / "work" / "asr" / f"{film}.json").read_text())


def asr_log(project, film):
    return (project / "logs" / "asr" / f"{film}.log").read_text()


@pytest.fixture(scope="module")
def stop_project(tmp_path_factory):
    """The default policy (threshold 0.6, fallback stop), every film `auto`."""
    project = copy_project(tmp_path_factory.mktemp("language") / "project")
    return project, build(project, list(FILMS))


@pytest.mark.parametrize("film", list(CONFIDENT))
def test_auto_detects_the_spoken_language_over_the_whole_film(stop_project, film):
    project, _ = stop_project
    language = CONFIDENT[film]
    document = transcript(project, film)
    detection = document["language_detection"]
    assert (document["language"], document["source_language"], detection["language"]) == (language, language, language)
    assert detection["probability"] >= detection["threshold"] == 0.6 and document["language_probability"] >= 0.6
    assert detection["used"] == language and "language_warning" not in document
    assert detection["windows"] and all(w["speech_s"] <= 30.0 for w in detection["windows"])
    assert (project / "out" / f"{film}.{language}.srt").is_file()
    assert (project / "work" / "language" / f"{film}.txt").read_text() == f"{language}\n"
    # no language warning; a repair may still warn of text it dropped (Hindi garbage it re-decoded)
    assert "spoken language detected as" not in asr_log(project, film)


def test_a_film_that_opens_in_another_language_is_judged_by_all_of_it(stop_project):
    # faster-whisper heard only the English opening: en, p=0.99, out/hindi_english_opening.en.srt.
    project, _ = stop_project
    detection = transcript(project, "hindi_english_opening")["language_detection"]
    assert detection["windows"][0]["language"] == "en" and len(detection["windows"]) == 5
    assert [w["language"] for w in detection["windows"][1:]] == ["hi"] * 4
    assert not list((project / "out").glob("hindi_english_opening.en.*"))


@pytest.mark.parametrize("film, detected", [("english_noisy", "en"), ("two_languages", None)])
def test_an_unsure_detection_stops_the_film_with_one_line(stop_project, film, detected):
    project, run = stop_project
    assert run.returncode != 0  # these two films failed; the others were built (keep-going)
    lines = [line for line in asr_log(project, film).splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, asr_log(project, film)
    line = lines[0]
    assert f"work/demux/{film}.wav: spoken language detected as '" in line
    assert "(below 0.6;" in line and "stopping this film (asr.language_fallback: stop)" in line
    assert "source_language in the media sheet" in line
    probability = float(re.search(r"with probability (\d\.\d\d) ", line)[1])
    assert probability < 0.6
    if detected:
        assert f"detected as '{detected}'" in line
    else:  # half English, half German: one of them first at about 0.5, the other next
        assert 0.4 < probability < 0.6 and {"'en'", "'de'"} <= set(re.findall(r"'[a-z]+'", line))
    assert not (project / "work" / "asr" / f"{film}.json").exists()
    assert not list((project / "out").glob(f"{film}.*"))


def test_the_fallback_language_names_the_subtitles_and_the_warning_is_recorded(tmp_path):
    project = copy_project(tmp_path / "project")
    update_config(project, {"asr": {"language_fallback": "en"}})
    film = "english_noisy"
    run = build(project, [film])
    assert run.returncode == 0, run.stderr[-3000:]
    document = transcript(project, film)
    assert document["language"] == "en" and document["requested_language"] == "auto"
    detection = document["language_detection"]
    assert detection["used"] == "en" and detection["fallback"] == "en" and detection["probability"] < 0.6
    warning = document["language_warning"]
    assert warning.startswith(f"work/demux/{film}.wav: spoken language detected as 'en' with probability 0.")
    assert "using the fallback 'en' (asr.language_fallback)" in warning and "\n" not in warning
    warnings = [line for line in asr_log(project, film).splitlines() if " WARNING " in line]
    assert len(warnings) == 1 and warnings[0].endswith(warning)
    assert f"warning: {warning}" in (project / "logs" / "language" / f"{film}.log").read_text()
    assert (project / "out" / f"{film}.en.srt").is_file()


def test_the_fallback_names_the_outputs_whatever_was_detected(tmp_path):
    # German under noise 10 dB above it: Whisper's best guess is not German, nor English.
    project = copy_project(tmp_path / "project")
    update_config(project, {"asr": {"language_fallback": "de"}})
    FILMS["german_noisy"] = ("multilingual_de_half", "white -10")
    try:
        run = build(project, ["german_noisy"])
    finally:
        del FILMS["german_noisy"]
    assert run.returncode == 0, run.stderr[-3000:]
    document = transcript(project, "german_noisy")
    assert document["language_detection"]["language"] != "de" and document["language"] == "de"
    assert "using the fallback 'de'" in document["language_warning"]
    assert (project / "out" / "german_noisy.de.srt").is_file()


def test_a_film_whose_language_is_known_is_not_detected_and_the_policy_reruns_only_auto_films(stop_project):
    project, _ = stop_project
    document = transcript(project, "english_known")
    assert document["requested_language"] == "en" and "language_detection" not in document
    assert "spoken language" not in asr_log(project, "english_known")
    config = (project / "config" / "config.yaml").read_text()
    try:
        update_config(project, {"asr": {"language_fallback": "en"}})
        plan = snakemake(project, "-n", "-p", check=False)
        asr_commands = [line for line in (plan.stdout + plan.stderr).splitlines() if "scripts/asr.py" in line]
        assert asr_commands and all("--language auto --language-policy" in line for line in asr_commands)
        assert not [line for line in asr_commands if "english_known" in line]
    finally:
        (project / "config" / "config.yaml").write_text(config)
