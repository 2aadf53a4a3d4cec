"""The segmenter and renderers on hand-made word timings: every professional rule is asserted."""

from __future__ import annotations

import pysrt
import pytest

from subtitles import (
    Cue,
    Style,
    Word,
    build_cues,
    graphemes,
    quality_report,
    render_ass,
    render_srt,
    render_vtt,
    segment_words,
    split_lines,
    time_cues,
)

STYLE = Style()


def words_at(text: str, start: float = 0.0, seconds_per_word: float = 0.3, gap: float = 0.05) -> list[Word]:
    words, t = [], start
    for token in text.split():
        words.append(Word(token, round(t, 3), round(t + seconds_per_word, 3)))
        t += seconds_per_word + gap
    return words


def transcript_of(words: list[Word], text: str | None = None) -> dict:
    return {
        "segments": [
            {
                "text": text or " ".join(w.text for w in words),
                "no_speech_prob": 0.0,
                "words": [{"word": w.text, "start": w.start, "end": w.end, "probability": w.probability} for w in words],
            }
        ]
    }


def assert_professional(cues, style: Style = STYLE) -> None:
    for cue in cues:
        assert 1 <= len(cue.lines) <= style.max_lines, cue
        assert all(graphemes(line) <= style.max_line_chars for line in cue.lines), cue
        assert cue.end - cue.start <= style.max_duration + 1e-6, cue
    for before, after in zip(cues, cues[1:]):
        assert after.start - before.end >= style.min_gap - 1e-6, (before, after)


LONG = (
    "When in the course of human events it becomes necessary for one people to dissolve the political bands "
    "which have connected them with another, and to assume among the powers of the earth the separate and "
    "equal station to which the laws of nature entitle them, a decent respect requires that they should declare the causes."
)


def test_long_sentence_obeys_line_and_duration_limits():
    words = words_at(LONG)
    cues = build_cues(transcript_of(words), STYLE)
    assert len(cues) > 3
    assert_professional(cues)
    assert " ".join(" ".join(c.lines) for c in cues) == LONG  # no word lost, none split


def test_cues_break_at_sentence_ends_first():
    words = words_at("I came home late. The door was open. Nobody was there.")
    spans = segment_words(words, STYLE)
    assert all(span[-1].text.endswith(".") for span in spans)


def test_no_line_ends_on_an_article():
    words = words_at("She walked all the way down to the old harbour where the boats were waiting for the morning tide")
    for cue in build_cues(transcript_of(words), STYLE):
        for line in cue.lines[:-1]:
            assert line.split()[-1].lower() not in {"the", "a", "an", "to"}, cue.lines


def test_two_lines_are_balanced_and_bottom_heavy():
    lines = split_lines("one two three four five six seven eight nine ten eleven twelve".split(), STYLE)
    assert lines is not None and len(lines) == 2
    assert abs(len(lines[0]) - len(lines[1])) <= 8
    assert len(lines[0]) <= len(lines[1])


def test_cue_starts_one_frame_before_its_first_word_and_lingers_at_most_half_a_second():
    words = words_at("Hello there.", start=3.0) + words_at("General Kenobi.", start=10.0)
    cues = time_cues(segment_words(words, STYLE), STYLE)
    assert [c.start for c in cues] == [2.958, 9.958]  # the lead-in: 1 frame at 24 fps
    assert cues[0].end <= words[1].end + 0.5 + 1e-6
    assert cues[1].end <= words[-1].end + 0.5 + 1e-6


def test_very_short_word_gets_minimum_duration():
    cues = time_cues(segment_words([Word("Oh.", 2.0, 2.1)], STYLE), STYLE)
    assert cues[0].end - cues[0].start >= STYLE.min_duration - 1e-6


def test_short_gaps_are_closed_to_the_minimum_gap():
    words = [Word("First.", 0.0, 1.0), Word("Second.", 1.9, 2.5)]
    cues = time_cues(segment_words(words, STYLE), STYLE)
    assert cues[1].start - cues[0].end == pytest.approx(STYLE.min_gap, abs=1e-3)


def test_fast_speech_keeps_hard_limits():
    words = words_at(LONG, seconds_per_word=0.08, gap=0.0)
    assert_professional(build_cues(transcript_of(words), STYLE))


def test_devanagari_is_measured_in_graphemes():
    assert graphemes("नमस्ते") == 3
    text = "भारत एक विशाल देश है जहाँ अनेक भाषाएँ बोली जाती हैं और हर क्षेत्र की अपनी संस्कृति है। यहाँ की विविधता इसकी पहचान है।"
    cues = build_cues(transcript_of(words_at(text)), Style(max_cps=22))
    assert_professional(cues, Style(max_cps=22))
    assert cues[0].lines[0].startswith("भारत")


def test_numbers_and_names_stay_whole():
    words = words_at("Dr. Martin Luther King spoke to 250,000 people in Washington on August 28, 1963.")
    rendered = " ".join(" ".join(c.lines) for c in build_cues(transcript_of(words), STYLE))
    assert "250,000" in rendered.split() and "1963." in rendered.split()


def test_repeated_hallucinated_segments_are_dropped():
    words = words_at("Thank you.", start=1.0)
    transcript = transcript_of(words)
    transcript["segments"].append(dict(transcript["segments"][0]))
    assert len(build_cues(transcript, STYLE)) == 1


def test_low_probability_non_speech_is_dropped():
    words = [Word("la", 1.0, 1.5, 0.05), Word("la", 1.6, 2.0, 0.1)]
    transcript = transcript_of(words)
    transcript["segments"][0]["no_speech_prob"] = 0.9
    assert build_cues(transcript, STYLE) == []


def test_silence_renders_a_valid_empty_file():
    assert render_srt([]) == ""
    assert render_vtt([]).startswith("WEBVTT")


def test_srt_round_trip_through_pysrt():
    cues = build_cues(transcript_of(words_at(LONG)), STYLE)
    parsed = pysrt.from_string(render_srt(cues))
    assert len(parsed) == len(cues)
    for item, cue in zip(parsed, cues):
        assert item.text == cue.text
        assert item.start.ordinal == round(cue.start * 1000) and item.end.ordinal == round(cue.end * 1000)


def test_vtt_header_timestamps_and_escaping():
    cues = build_cues(transcript_of(words_at("Fish <&> chips.")), STYLE)
    vtt = render_vtt(cues)
    assert vtt.startswith("WEBVTT\n\n00:00:00.000 --> ")
    assert "Fish &lt;&amp;&gt; chips." in vtt


def test_devanagari_renders_intact_in_every_format():
    text = "क्या सेंट मैरीस की एयर क्वालिटी घातक है"
    cues = build_cues(transcript_of(words_at(text)), Style(max_cps=22))
    assert pysrt.from_string(render_srt(cues))[0].text == text
    assert text in render_vtt(cues)
    assert text in render_ass(cues)
    assert render_srt(cues).encode("utf-8")[:3] != b"\xef\xbb\xbf"


def test_ass_escapes_override_braces_and_keeps_gaps():
    cues = [Cue(1.004, 2.006, ["{\\b1}bold"]), Cue(2.09, 3.0, ["next"])]
    ass = render_ass(cues)
    assert "{" not in ass.split("[Events]")[1] and "Dialogue: 0,0:00:01.01,0:00:02.00," in ass
    assert "Dialogue: 0,0:00:02.09,0:00:03.00," in ass


def test_quality_report_separates_fixable_from_too_fast_speech():
    style = Style()
    slow_enough = [Cue(0.0, 1.0, ["This line is far too long to read in one second"]), Cue(5.0, 6.0, ["Ok."])]
    report = quality_report(slow_enough, style)
    assert report["counts"]["line_chars"] == 1 and report["counts"]["cps"] == 1
    crowded = [Cue(0.0, 0.9, ["Far too many words here"]), Cue(1.0, 2.0, ["and more."])]
    assert quality_report(crowded, style)["counts"]["cps_speech_too_fast"] == 1
    assert quality_report(crowded, style)["format_violations"] == 0


def test_speaker_change_starts_a_new_cue_with_a_dash():
    words = words_at("Are you coming tonight? Yes I will be there.", seconds_per_word=0.25)
    turns = [{"start": 0.0, "end": 1.2, "speaker": "A"}, {"start": 1.2, "end": 9.0, "speaker": "B"}]
    cues = build_cues(transcript_of(words), STYLE, turns)
    assert [c.lines[0].startswith("- ") for c in cues] == [False, True]
    assert cues[0].text == "Are you coming tonight?" and cues[1].text.startswith("- Yes")


def test_speaker_change_mid_sentence_still_breaks_the_cue():
    words = words_at("one two three four five six", seconds_per_word=0.2)
    turns = [{"start": 0.0, "end": 0.75, "speaker": "A"}, {"start": 0.75, "end": 5.0, "speaker": "B"}]
    cues = build_cues(transcript_of(words), STYLE, turns)
    assert [c.text for c in cues] == ["one two three", "- four five six"]
