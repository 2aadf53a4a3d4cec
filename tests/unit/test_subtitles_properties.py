"""Whatever word times upstream sends (segments overlapping or out of order, words of no length,
many words at one instant, words out of order, loops, words lasting half a minute), the cues are
in order, never overlap, keep the minimum gap, stay within the duration limits, are never empty
and lose no word except a dropped loop (what repetition.is_loop calls one)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from project import schema_defaults, subtitle_style
from subtitles_workflow.cues import Style
from subtitles_workflow.repetition import LOOP_REPEATS, find_loop, normalised_words, word_key
from subtitles_workflow.renderers import AssStyle, render_ass, render_srt, render_vtt
from subtitles_workflow.subtitling import build_subtitles

STYLE = Style(**subtitle_style())
VOCABULARY = ["the", "sun", "is", "up", "and", "to", "Right", "fast,", "home.", "दिवा", "के", "नहीं", "है।", "Paris", "a"]


@st.composite
def segment(draw) -> dict:
    """One segment: its words start around a random time, at offsets that can be equal (many
    words at one instant), negative (out of order) or far apart, and last from 0 s to 30 s;
    sometimes the same phrase said many times in a row (a decoder loop)."""
    origin = draw(st.floats(0, 60, allow_nan=False))
    if draw(st.booleans()):
        unit = draw(st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=3))
        texts = unit * draw(st.integers(1, 15))
    else:
        texts = draw(st.lists(st.sampled_from(VOCABULARY), min_size=0, max_size=14))
    words, time = [], origin
    for text in texts:
        time += draw(st.sampled_from([0.0, 0.0, 0.05, 0.3]) | st.floats(-5, 10, allow_nan=False))
        length = draw(st.sampled_from([0.0, 0.2]) | st.floats(0, 30, allow_nan=False))
        probability = draw(st.floats(0, 1, allow_nan=False))
        words.append({"word": " " + text, "start": time, "end": time + length, "probability": probability})
    return {"text": " ".join(texts), "no_speech_prob": 0.0, "words": words}


@st.composite
def transcript(draw) -> dict:
    segments = draw(st.lists(segment(), min_size=0, max_size=6))
    if segments and draw(st.booleans()):
        segments.insert(draw(st.integers(0, len(segments))), dict(draw(st.sampled_from(segments))))
    return {"language": draw(st.sampled_from(["en", "hi"])), "segments": segments}


@settings(max_examples=300, deadline=None)
@given(transcript())
def test_every_cue_is_legal_whatever_the_word_times(transcript):
    subtitles = build_subtitles(transcript, STYLE)
    cues = subtitles.cues
    for index, cue in enumerate(cues):
        following = cues[index + 1] if index + 1 < len(cues) else None
        duration = cue.end - cue.start
        assert cue.lines and all(line.strip() for line in cue.lines), cue
        assert cue.start >= 0 and duration <= STYLE.max_duration + 1e-6, cue
        assert duration >= STYLE.min_flash - 1e-6, cue
        # min_duration holds unless the next cue's first word comes too soon to delay it enough
        next_too_close = following is not None and (
            following.words[0].start + STYLE.max_start_delay < cue.start + STYLE.min_duration + STYLE.min_gap + 2e-3
        )
        assert duration >= STYLE.min_duration - 1e-3 or next_too_close, (cue, following)
        # the lead-in is at most 2 frames
        assert cue.start >= cue.words[0].start - 2 / STYLE.fps - 1e-3, cue
        # a cue ends before its last word only when the next cue or max_duration forces it
        cut_by_next = following is not None and following.start - cue.end <= STYLE.min_gap + 1e-3
        cut_by_max = duration >= STYLE.max_duration - 1e-3
        assert cue.end >= cue.words[-1].end - 1e-3 or cut_by_next or cut_by_max, (cue, following)
        if following is not None:
            assert following.start - cue.end >= STYLE.min_gap - 1e-6, (cue, following)
    # no word lost: every word is in a cue or in a dropped loop
    said = sum(len(s["words"]) for s in transcript["segments"])
    shown = sum(len(cue.words) for cue in cues)
    dropped = sum((loop.repeats - 1) * len(loop.text.split()) for loop in subtitles.loops)
    assert shown + dropped == said


@settings(max_examples=100, deadline=None)
@given(transcript())
def test_no_word_or_cue_loop_reaches_the_screen(transcript):
    """A word, phrase or cue said LOOP_REPEATS times in a row is a loop at any rate
    (repetition.is_loop); fewer, said at a speaking rate, is speech and may stay."""
    cues = build_subtitles(transcript, STYLE).cues
    texts = [normalised_words(cue.text) for cue in cues]
    for at in range(len(texts) - LOOP_REPEATS + 1):
        assert any(text != texts[at] for text in texts[at : at + LOOP_REPEATS]), cues[at]
    for cue in cues:
        keys = [word_key(w.text) for w in cue.words]
        for at in range(len(keys)):
            found = find_loop(keys, at, min_repeats=LOOP_REPEATS, longest=3)
            assert found is None, cue.text


@settings(max_examples=100, deadline=None)
@given(transcript())
def test_no_rendered_format_shrinks_a_gap(transcript):
    """SRT and VTT keep the cues' whole milliseconds; ASS keeps centiseconds, rounding starts up
    and ends down, so the gap between cues in every file is at least the one the timing chose."""
    import pysubs2

    cues = build_subtitles(transcript, STYLE).cues
    for fmt, render in (("srt", render_srt), ("vtt", render_vtt), ("ass", lambda c: render_ass(c, AssStyle(**schema_defaults("ass_style"))))):
        events = pysubs2.SSAFile.from_string(render(cues), format_=fmt).events
        assert len(events) == len(cues), fmt
        for event, cue in zip(events, cues):
            assert event.start >= round(cue.start * 1000) and event.end <= round(cue.end * 1000), (fmt, event, cue)
        for (event, following), (cue, cue_after) in zip(zip(events, events[1:]), zip(cues, cues[1:])):
            assert following.start - event.end >= round((cue_after.start - cue.end) * 1000), fmt
