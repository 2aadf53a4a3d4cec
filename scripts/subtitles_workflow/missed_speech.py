"""Speech no decoding window covered, and what to keep of it decoded again (issue 28).

Silero misses speech under loud noise, at the very start of a film, or after a long pause,
and Whisper sometimes writes nothing for a window it was given. The asr stage's own detector
(subtitles_workflow/signal_speech.py) still hears it: every stretch of its speech with at
least MIN_MISSED_S under no segment (subtitles_workflow/coverage.py's stretches, with its
tolerance) is decoded again on its own, as the repair decodes (no VAD, temperature fallback,
a prompt in the language's script if it comes back in another), PAD_S of context either side,
in windows of at most WINDOW_S, and what a window's decoding stopped short of once more
(ROUNDS). What comes back is kept only where it is that missed speech
(most of a segment's words in the stretch, not under a segment already there), and only if it
passes the repair's checks (subtitles_workflow/transcript_repair.py: no loop, not too fast to
be speech, not the prompt written back); the rest is dropped with its reason, as the repair
drops. Whisper's own silence
check (no_speech_prob over 0.6 with avg_logprob under -1) applies as in any decoding.

Pure logic on segment records (dicts with start, end, text, words), stdlib only.
"""

from __future__ import annotations

import math
from typing import Any

from subtitles_workflow.coverage import TOLERANCE_S, merged, overlap, uncovered_stretches
from subtitles_workflow.transcript_repair import why_dropped, without_prompt_echo

MIN_MISSED_S = 1.0
PAD_S = 0.3
WINDOW_S = 30.0
ROUNDS = 2  # what is still missed after a window (Whisper stopped short of its end) gets one more
REASON = "speech no window covered"


def missed_stretches(signal_speech: list[list[float]], segments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The stretches of signal speech (coverage.uncovered_stretches: start, end, seconds,
    pieces) with at least MIN_MISSED_S of speech under no segment."""
    spans = [(float(s["start"]), float(s["end"])) for s in segments if s.get("text", "").strip()]
    stretches = uncovered_stretches([tuple(r) for r in signal_speech], spans)
    return [s for s in stretches if s["seconds"] >= MIN_MISSED_S]


def windows_for(stretches: list[dict[str, Any]], duration: float) -> list[tuple[float, float]]:
    """Decoding windows over each stretch (its speech pieces, PAD_S of context either side),
    the pieces of one stretch packed together up to WINDOW_S, a longer piece cut into equal
    windows; never one window over two stretches (a segment lies between them)."""
    windows: list[tuple[float, float]] = []
    for stretch in stretches:
        current: list[float] | None = None
        for piece in stretch["pieces"]:
            start, end = max(0.0, piece[0] - PAD_S), min(duration, piece[1] + PAD_S)
            if current and end - current[0] <= WINDOW_S:
                current[1] = end
                continue
            if current:
                windows.append((current[0], current[1]))
            count = max(1, math.ceil((end - start) / WINDOW_S))
            step = (end - start) / count
            windows += [(start + i * step, start + (i + 1) * step) for i in range(count - 1)]
            current = [start + (count - 1) * step, end]
        if current:
            windows.append((current[0], current[1]))
    return [(round(a, 3), round(b, 3)) for a, b in windows]


def in_missed_speech(segment: dict[str, Any], stretches: list[dict[str, Any]], covered: list[tuple[float, float]]) -> bool:
    """Whether most of the segment's words (or its span, without words) lie in the missed
    stretches and outside the segments already there (`covered`, widened by the tolerance)."""
    spans = [(s["start"], s["end"]) for s in stretches]
    moments = [(w["start"] + w["end"]) / 2 for w in segment.get("words") or []] or [(segment["start"] + segment["end"]) / 2]
    inside = sum(overlap((t, t + 1e-6), spans) > 0 and not overlap((t, t + 1e-6), covered) for t in moments)
    return inside * 2 > len(moments)


def keep_missed(
    segments: list[dict[str, Any]],
    redecoded: list[dict[str, Any]],
    stretches: list[dict[str, Any]],
    prompt: str | None = None,
    reason: str = REASON,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The transcript with the re-decoded segments (decoded with `prompt`, if any) that are the
    missed speech spliced in (in time order, `redecoded`: `reason`), and those dropped by the
    repair's checks (a loop, too fast to be speech, the prompt written back), with why."""
    covered = merged((s["start"] - TOLERANCE_S, s["end"] + TOLERANCE_S) for s in segments if s.get("text", "").strip())
    kept, dropped = [], []
    for segment in redecoded:
        segment = without_prompt_echo(segment, prompt)
        if not segment.get("text", "").strip() or not in_missed_speech(segment, stretches, covered):
            continue
        problem = why_dropped(segment, prompt)
        if problem:
            dropped.append({"start": segment["start"], "end": segment["end"], "text": segment["text"], "reason": f"{REASON}: {problem}"})
        else:
            kept.append({**segment, "redecoded": reason})
    return sorted(segments + kept, key=lambda s: (s["start"], s["end"])), dropped
