"""The asr stage on the shared Hindi fixtures (source_language hi, default options, base
model): no segment loops, and every clip comes out in Devanagari. Before issue 15, one clip
looped ("SanSanSan...", compression ratio 4.6) and all but one came out in Urdu or Latin
letters; bench/asr_hindi.py prints the full table (loops, Devanagari share, WER)."""

from __future__ import annotations


import pytest

from conftest import fixture, requires_fixtures


from asr_hindi import CPU_OPTIONS, FIXTURES, hindi_clips, transcribe  # noqa: E402
from subtitles_workflow.repetition import looping_reason  # noqa: E402
from subtitles_workflow.writing_systems import script_shares  # noqa: E402

pytestmark = [requires_fixtures]
OPTIONS = CPU_OPTIONS
CLIPS = sorted(path.name for path in hindi_clips()) if FIXTURES.is_dir() else []


@pytest.mark.parametrize("clip", CLIPS)
def test_hindi_comes_out_in_devanagari_without_loops(clip, tmp_path):
    audio = next(path for path in hindi_clips() if path.name == clip)
    document = transcribe(fixture(str(audio.relative_to(FIXTURES.parent))), "base", tmp_path / "t.json", OPTIONS)
    texts = [segment["text"] for segment in document["segments"]]
    assert not [text for text in texts if looping_reason(text)], texts
    assert script_shares(" ".join(texts)).get("DEVANAGARI", 0.0) >= 0.95, texts
    for dropped in document["dropped_segments"]:
        assert dropped["reason"] and dropped["text"]


def test_a_redecoded_clip_comes_out_the_same_every_time(tmp_path):
    # The ekstep sample is decoded again for its script, at temperatures > 0 (sampling): the
    # fallback's seed is fixed, so a rebuild gives the same words (three runs differed before).
    audio = fixture("hi/ekstep_sample.wav")
    first, second = (transcribe(audio, "base", tmp_path / f"{run}.json", OPTIONS) for run in (1, 2))
    assert any("redecoded" in segment for segment in first["segments"]) or first["dropped_segments"]
    assert first["segments"] == second["segments"] and first["dropped_segments"] == second["dropped_segments"]
