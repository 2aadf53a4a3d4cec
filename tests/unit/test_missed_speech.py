"""Speech no decoding window covered (scripts/subtitles_workflow/missed_speech.py): which
stretches the asr stage decodes again, in which windows, and what it keeps of them."""

from __future__ import annotations

import pytest

from subtitles_workflow.missed_speech import MIN_MISSED_S, PAD_S, REASON, WINDOW_S, keep_missed, missed_stretches, windows_for


def segment(start: float, end: float, text: str) -> dict:
    words = text.split()
    step = (end - start) / len(words)
    return {
        "start": start, "end": end, "text": text,
        "words": [{"word": w, "start": start + i * step, "end": start + (i + 1) * step, "probability": 0.9} for i, w in enumerate(words)],
    }  # fmt: skip


def test_speech_before_the_first_segment_and_between_two_is_missed():
    signal = [[0.0, 4.0], [6.0, 9.0], [9.2, 14.0], [20.0, 20.6]]
    segments = [segment(2.6, 4.0, "How are you?"), segment(9.2, 14.0, "Fine, thanks, and you?")]
    stretches = missed_stretches(signal, segments)
    assert [(round(s["start"], 2), round(s["end"], 2)) for s in stretches] == [(0.0, 2.3), (6.0, 8.9)]
    assert all(s["seconds"] >= MIN_MISSED_S for s in stretches)  # 20.0-20.6 s is too short to count


def test_segments_without_text_cover_nothing():
    assert missed_stretches([[0.0, 3.0]], [{"start": 0.0, "end": 3.0, "text": " ", "words": []}])


def test_windows_pad_pack_and_split():
    stretches = [{"pieces": [(1.0, 3.0), (3.4, 5.0)]}, {"pieces": [(40.0, 110.0)]}]
    windows = windows_for(stretches, duration=111.0)
    assert windows[0] == (1.0 - PAD_S, 5.0 + PAD_S)
    assert len(windows) == 4 and all(end - start <= WINDOW_S + 1e-6 for start, end in windows)
    assert windows[1][0] == pytest.approx(40.0 - PAD_S) and windows[-1][1] == pytest.approx(110.0 + PAD_S)
    assert windows_for([{"pieces": [(0.1, 2.0)]}], duration=2.1) == [(0.0, 2.1)]


def test_kept_where_it_is_the_missed_speech_and_passes_the_repair_checks():
    segments = [segment(2.6, 4.0, "How are you?")]
    stretches = missed_stretches([[0.0, 4.0], [6.0, 9.0]], segments)
    redecoded = [
        segment(0.1, 2.2, "Hi! Good morning."),  # the missed speech
        segment(2.3, 4.0, "How are you?"),  # the same words again: under the segment already there
        segment(6.0, 9.0, "la la la la la la la la la la la la"),  # loops
        segment(9.5, 9.6, "and then we went all the way home"),  # outside the stretches
    ]
    transcript, dropped = keep_missed(segments, redecoded, stretches)
    assert [s["text"] for s in transcript] == ["Hi! Good morning.", "How are you?"]
    assert transcript[0]["redecoded"] == REASON and "redecoded" not in transcript[1]
    [loop] = dropped
    assert loop["start"] == 6.0 and loop["reason"].startswith(f"{REASON}: still loops")


def test_text_too_fast_to_be_speech_is_dropped_not_kept():
    stretches = missed_stretches([[0.0, 1.5]], [])
    crammed = segment(0.0, 0.3, "this is far too many words for a third of a second to hold")
    transcript, dropped = keep_missed([], [crammed], stretches)
    assert transcript == [] and dropped[0]["reason"].startswith(f"{REASON}: too fast to be speech")


def test_one_stretch_is_decoded_in_one_window_two_never_share_one():
    pauses = {"pieces": [(0.0, 2.0), (3.2, 4.0), (5.3, 6.5)]}  # pauses of 1.2 and 1.3 s: one stretch
    assert windows_for([pauses], duration=60.0) == [(0.0, 6.5 + PAD_S)]
    apart = [{"pieces": [(0.0, 2.0)]}, {"pieces": [(2.5, 4.0)]}]  # a segment lies between them
    assert windows_for(apart, duration=60.0) == [(0.0, 2.0 + PAD_S), (2.5 - PAD_S, 4.0 + PAD_S)]


def test_the_prompt_written_back_is_dropped_and_the_reason_kept():
    stretches = missed_stretches([[0.0, 6.0]], [])
    prompt = "नमस्ते, आज हम हिंदी में बात करेंगे।"
    echo = segment(0.0, 2.0, "आज हम हिंदी में बात करेंगे।")
    speech = segment(2.5, 5.5, "स्वास्थ्य विभाग के कर्मी आज से हड़ताल पर")
    transcript, dropped = keep_missed([], [echo, speech], stretches, prompt, f"{REASON}; not in DEVANAGARI script")
    assert [s["text"] for s in transcript] == [speech["text"]]
    assert transcript[0]["redecoded"] == f"{REASON}; not in DEVANAGARI script"
    assert dropped[0]["reason"] == f"{REASON}: echoes the prompt"
