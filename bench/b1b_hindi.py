"""1b in Hindi (issue 30): the asr and timing stages against raw faster-whisper
(`BatchedInferencePipeline`, same model, batch size, threads and beam) on the shared Hindi
fixtures (the ekstep sample and the indicwav2vec sentences) joined into one recording,
source_language hi. The repairs cost most where the model is weakest: windows that loop or
come out in another script, and speech no window covered, are decoded again one by one with
the temperature fallback. Target: the stages' decoding work <= 2.0 x raw's decode, with WER no
worse than raw's; the share of the text in Devanagari is printed both ways (it must not fall
when the re-decodes are bounded).

    .venvs/workflow/bin/python bench/b1b_hindi.py
"""

from __future__ import annotations

import benchmark
from asr_hindi import FIXTURES, hindi_clips
from b1b_real_speech import Recording, compare, joined

import scripts_on_path  # noqa: F401
from subtitles_workflow.writing_systems import script_shares  # noqa: E402

TARGET = 2.0


def hindi_recording(quick: bool) -> Recording:
    """The fixtures joined, the ekstep sample first (quick: the ekstep sample alone)."""
    clips = hindi_clips()
    ekstep = FIXTURES / "ekstep_sample.wav"
    parts = [(ekstep, clips.pop(ekstep)), *([] if quick else clips.items())]
    return joined("hindi-joined" if not quick else "hindi-ekstep", parts)


def devanagari(text: str) -> str:
    return f"{script_shares(text).get('DEVANAGARI', 0.0):.1%}"


def run(quick: bool = False, config: list[str] | None = None) -> benchmark.Result:
    result = benchmark.Result("real_speech_hindi", "1b-hi. ASR stage vs raw faster-whisper on the Hindi fixtures joined",
                              "quick" if quick else "full")  # fmt: skip
    compare(result, [hindi_recording(quick)], "hi", TARGET, quick, config)
    for row in result.details["recordings"]:
        result.figure(f"{row['recording']}: letters in Devanagari, stage / raw",
                      f"{devanagari(row['stage_text'])} / {devanagari(row['raw_text'])}", "")  # fmt: skip
    return result


if __name__ == "__main__":
    benchmark.standalone(run)
