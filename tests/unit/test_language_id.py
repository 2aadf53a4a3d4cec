"""Spoken language detection for `source_language: auto` (scripts/subtitles_workflow/language_id.py):
windows spread over the film's speech, their distributions combined, and the decision below
the threshold (warn, then the fallback language or stop). No model: the model-facing part is
tested in tests/integration/test_auto_language.py."""

from __future__ import annotations

import json
import logging
from types import SimpleNamespace

import pytest

from subtitles_workflow.io import StageError
from subtitles_workflow.language_id import (
    MAX_WINDOWS,
    Detection,
    LanguagePolicy,
    Window,
    combine,
    decide,
    detection_windows,
    identify,
)
from subtitles_workflow.transcript import SCHEMA, make_transcript

POLICY = LanguagePolicy(threshold=0.5, fallback="en")


def regions(*spans):
    return [{"start": start, "end": end} for start, end in spans]


def test_a_short_film_is_one_window_of_all_its_speech():
    windows = detection_windows(regions((1.0, 4.0), (6.0, 9.5)), 12.0)
    assert windows == [Window(((1.0, 4.0), (6.0, 9.5)))]
    assert windows[0].speech_s == pytest.approx(6.5)


def test_windows_reach_the_middle_and_the_end_of_a_long_film_not_only_its_opening():
    # Two hours with a 10 s line every minute: 1200 s of speech.
    speech = regions(*[(60.0 * m, 60.0 * m + 10.0) for m in range(120)])
    windows = detection_windows(speech, 7200.0)
    assert len(windows) == MAX_WINDOWS
    assert all(w.speech_s == pytest.approx(30.0) for w in windows)
    starts = [w.start for w in windows]
    assert starts == sorted(starts) and starts[0] > 600.0 and windows[-1].end > 6000.0
    # evenly spread: the gaps between window starts are equal to within one line
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    assert max(gaps) - min(gaps) <= 60.0


def test_a_minute_of_speech_is_two_windows_that_cover_it():
    windows = detection_windows(regions((0.0, 59.9)), 59.9)
    assert [(w.start, w.end) for w in windows] == [(0.0, 30.0), (29.9, 59.9)]


def test_a_window_joins_speech_across_pauses_and_stays_within_the_regions():
    speech = regions((0.0, 10.0), (20.0, 25.0), (40.0, 70.0), (100.0, 130.0))
    for window in detection_windows(speech, 130.0):
        assert window.speech_s == pytest.approx(30.0)
        for start, end in window.spans:
            assert any(r["start"] <= start < end <= r["end"] for r in speech)


def test_no_regions_means_the_whole_file_and_no_speech_means_no_window():
    assert detection_windows(None, 20.0) == [Window(((0.0, 20.0),))]
    assert detection_windows([], 20.0) == []
    assert detection_windows(regions((3.0, 3.0)), 20.0) == []


def test_combined_distribution_is_the_speech_weighted_mean():
    combined = combine([{"en": 0.9, "de": 0.1}, {"de": 0.8, "en": 0.2}], [30.0, 10.0])
    assert list(combined) == ["en", "de"]
    assert combined["en"] == pytest.approx((0.9 * 30 + 0.2 * 10) / 40)
    assert combined["de"] == pytest.approx((0.1 * 30 + 0.8 * 10) / 40)
    assert combine([], []) == {}


def test_one_noisy_window_no_longer_decides_for_the_film():
    # The opening (faster-whisper's only window) says Italian; the rest of the film is English.
    windows = [Window(((0.0, 30.0),)), *[Window(((t, t + 30.0),)) for t in (300.0, 600.0, 900.0)]]
    noisy = {"it": 0.28, "en": 0.21, "es": 0.2}
    clean = {"en": 0.93, "it": 0.01}
    detection = Detection.from_windows(windows, [noisy, clean, clean, clean])
    assert detection.language == "en" and detection.probability == pytest.approx((0.21 + 3 * 0.93) / 4)
    assert [w["language"] for w in detection.windows] == ["it", "en", "en", "en"]
    assert decide(detection, POLICY, "work/demux/friday.wav").warning is None


def test_below_the_threshold_one_warning_line_and_the_fallback_language():
    detection = Detection.from_windows([Window(((0.1, 6.0),))], [{"it": 0.28, "en": 0.21, "es": 0.2, "pt": 0.1}])
    decision = decide(detection, POLICY, "work/demux/friday.wav")
    assert decision.language == "en" and decision.probability == pytest.approx(0.21)
    assert decision.warning == (
        "work/demux/friday.wav: spoken language detected as 'it' with probability 0.28 (below 0.5; "
        "1 window(s) of speech; next 'en' 0.21, 'es' 0.20); using the fallback 'en' (asr.language_fallback); "
        "if it is wrong, set the film's source_language in the media sheet (config/media.tsv) or config"
    )
    assert "\n" not in decision.warning


def test_at_the_threshold_the_detection_stands():
    detection = Detection.from_windows([Window(((0.0, 9.0),))], [{"hi": 0.5, "ur": 0.4}])
    assert decide(detection, POLICY, "x.wav") == decide(detection, LanguagePolicy(0.5, "stop"), "x.wav")
    assert decide(detection, POLICY, "x.wav").language == "hi"


def test_stop_fails_the_film_with_one_line_saying_what_to_set():
    detection = Detection.from_windows([Window(((0.0, 9.0),))], [{"it": 0.28, "en": 0.21}])
    with pytest.raises(StageError) as raised:
        decide(detection, LanguagePolicy(0.5, "stop"), "work/demux/friday.wav")
    message = str(raised.value)
    assert message.startswith("work/demux/friday.wav: spoken language detected as 'it' with probability 0.28")
    assert "asr.language_fallback: stop" in message and "source_language" in message and "\n" not in message


def test_no_speech_at_all_is_unsure_too():
    decision = decide(Detection.from_windows([], []), POLICY, "silence.wav")
    assert decision.language == "en" and decision.probability == 0.0
    assert decision.warning.startswith("silence.wav: no speech to detect the spoken language from; using the fallback 'en'")


def test_policy_comes_from_the_rules_json_and_a_missing_key_is_named():
    assert LanguagePolicy.from_mapping(json.loads('{"fallback": "hi", "threshold": 0.6}')) == LanguagePolicy(0.6, "hi")
    with pytest.raises(StageError, match="lacks threshold"):
        LanguagePolicy.from_mapping({"fallback": "en"})


class FakeModel:
    """Just enough of WhisperModel for identify(): a multilingual flag and, per window, a
    distribution chosen by where the window is (no audio is read)."""

    def __init__(self, multilingual=True):
        self.model = SimpleNamespace(is_multilingual=multilingual)


def test_identify_logs_one_warning_and_records_the_detection(monkeypatch, caplog, tmp_path):
    import subtitles_workflow.language_id as language_id

    def fake_detect(model, audio, found_regions, count=MAX_WINDOWS):
        return Detection.from_windows([Window(((0.1, 6.0),))], [{"it": 0.28, "en": 0.21, "es": 0.2}])

    monkeypatch.setattr(language_id, "detect", fake_detect)
    monkeypatch.chdir(tmp_path)
    audio = tmp_path / "work" / "demux" / "friday.wav"
    with caplog.at_level(logging.INFO, logger="stage"):
        identified = identify(FakeModel(), audio.absolute(), regions((0.1, 6.0)), {"fallback": "en", "threshold": 0.5})
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [identified.warning] and warnings[0].startswith("work/demux/friday.wav: spoken language")
    assert identified.language == "en"
    assert identified.record == {
        "method": "windows", "language": "it", "probability": 0.28, "ranked": [["it", 0.28], ["en", 0.21], ["es", 0.2]],
        "windows": [{"start": 0.1, "end": 6.0, "speech_s": 5.9, "language": "it", "probability": 0.28}],
        "threshold": 0.5, "fallback": "en", "used": "en",
    }  # fmt: skip


def test_auto_without_a_policy_is_one_clear_line():
    with pytest.raises(StageError, match="--language auto needs --language-policy"):
        identify(FakeModel(), "x.wav", None, None)


def test_an_english_only_model_is_english_without_listening(tmp_path):
    identified = identify(FakeModel(multilingual=False), tmp_path / "x.wav", None, {"fallback": "hi", "threshold": 0.5})
    assert (identified.language, identified.probability, identified.warning) == ("en", 1.0, None)


def test_the_transcript_carries_the_warning_and_older_transcripts_stay_valid():
    common = dict(audio="a.wav", duration=6.0, detected_language="en", language_probability=0.21,
                  requested_language="auto", task="transcribe", model={}, params={}, segments=[])  # fmt: skip
    warned = make_transcript(**common, language_detection={"language": "it"}, language_warning="a.wav: unsure")
    assert warned["schema"] == SCHEMA and warned["language"] == "en"
    assert warned["language_warning"] == "a.wav: unsure" and warned["language_detection"] == {"language": "it"}
    plain = make_transcript(**common)
    assert "language_warning" not in plain and "language_detection" not in plain


def test_the_rule_passes_the_policy_for_auto_films_and_the_bare_flag_for_the_others():
    from project import asr_options

    from subtitles_workflow.asr_cli import parse_job

    common = ["--audio", "a.wav", "--output", "a.json", "--model", "base", "--options", json.dumps(asr_options())]
    known = parse_job([*common, "--language", "en", "--language-policy", "--threads", "2"], "asr")
    assert known.language_policy is None and known.threads == 2
    auto = parse_job([*common, "--language", "auto", "--language-policy", '{"fallback": "stop", "threshold": 0.6}'], "asr")
    assert LanguagePolicy.from_mapping(auto.language_policy) == LanguagePolicy(0.6, "stop")
