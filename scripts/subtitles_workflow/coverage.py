"""Speech coverage: how much of the film's speech ends up under a cue, and where it does not.

The speech is what the transcript says was heard: `signal_speech` (the asr stage's own
detector, energy over the noise floor: subtitles_workflow/signal_speech.py) joined with
`speech_regions` (silero, what the decoder was given), as [start, end] seconds. A cue covers
the speech from TOLERANCE_S before it starts to TOLERANCE_S after it ends (word edges, a
breath, a decaying word end; cue starts sit a median 0.007 s, at the 90th percentile 0.07 s,
from the first word: issue 28). Speech left over is cut into stretches (pieces less than
MERGE_GAP_S apart, no cue between them, are one stretch), and a stretch holding at least
MIN_STRETCH_S of speech is uncovered speech, with its span: shorter leftovers (a cough, a
laugh, the tail of a word) are below what this measures. The asr stage's dropped segments
(a loop, a prompt echo, text too fast to be speech) are listed with their reason, and the
uncovered stretches they overlap say so.

Stdlib only: the subtitles stage (QC) and the report read it.
"""

from __future__ import annotations

from typing import Any, Iterable

TOLERANCE_S = 0.3
MERGE_GAP_S = 1.5
MIN_STRETCH_S = 1.0

Span = tuple[float, float]


def merged(spans: Iterable[Iterable[float]]) -> list[Span]:
    """The spans sorted, overlapping or touching ones joined; empty ones left out."""
    out: list[list[float]] = []
    for start, end in sorted((float(s), float(e)) for s, e in spans):
        if end <= start:
            continue
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(start, end) for start, end in out]


def subtract(spans: list[Span], cut: list[Span]) -> list[Span]:
    """What of `spans` (merged) lies outside `cut` (merged)."""
    out: list[Span] = []
    index = 0
    for start, end in spans:
        while index < len(cut) and cut[index][1] <= start:
            index += 1
        at, scan = start, index
        while scan < len(cut) and cut[scan][0] < end:
            if cut[scan][0] > at:
                out.append((at, cut[scan][0]))
            at = max(at, cut[scan][1])
            scan += 1
        if at < end:
            out.append((at, end))
    return out


def seconds(spans: Iterable[Span]) -> float:
    return sum(end - start for start, end in spans)


def overlap(span: Span, spans: Iterable[Span]) -> float:
    return sum(max(0.0, min(span[1], end) - max(span[0], start)) for start, end in spans)


def uncovered_stretches(
    speech: list[Span], cues: list[Span], tolerance: float = TOLERANCE_S, merge_gap: float = MERGE_GAP_S
) -> list[dict[str, Any]]:
    """Every stretch of `speech` under no cue (widened by `tolerance`): {start, end, seconds,
    pieces}, `pieces` the speech in it and `seconds` their length, pieces closer than
    `merge_gap` with no cue between them joined."""
    covers = merged((start - tolerance, end + tolerance) for start, end in cues)
    stretches: list[dict[str, Any]] = []
    for start, end in subtract(merged(speech), covers):
        last = stretches[-1] if stretches else None
        if last and start - last["end"] < merge_gap and not overlap((last["end"], start), covers):
            last["end"], last["seconds"] = end, last["seconds"] + end - start
            last["pieces"].append((start, end))
        else:
            stretches.append({"start": start, "end": end, "seconds": end - start, "pieces": [(start, end)]})
    return stretches


def spoken(transcript: dict[str, Any]) -> tuple[list[Span], list[str]] | None:
    """The film's speech by the transcript (signal_speech joined with speech_regions) and its
    sources; None when it has neither (other backends, translations): nothing to measure."""
    sources = [key for key in ("signal_speech", "speech_regions") if transcript.get(key) is not None]
    if not sources:
        return None
    spans = [region_span(region) for key in sources for region in transcript[key]]
    return merged(spans), ["signal" if key == "signal_speech" else "silero" for key in sources]


def region_span(region: Any) -> Span:
    """[start, end] or {"start", "end"} (the vad stage's shape) as a span."""
    if isinstance(region, dict):
        return float(region["start"]), float(region["end"])
    return float(region[0]), float(region[1])


def span_text(stretches: list[dict[str, Any]], limit: int = 5) -> str:
    """'30.5-49.5 s, 61.0-63.2 s' (the first `limit`, then how many more)."""
    shown = ", ".join(f"{s['start']:.1f}-{s['end']:.1f} s" for s in stretches[:limit])
    more = len(stretches) - limit
    return shown + (f" and {more} more" if more > 0 else "")


def coverage_report(
    transcript: dict[str, Any],
    cues: list[Span],
    tolerance: float = TOLERANCE_S,
    min_stretch: float = MIN_STRETCH_S,
) -> dict[str, Any] | None:
    """The QC's coverage fields and violations for `cues` (start, end) against the
    transcript's speech; None when the transcript says nothing of where speech is.

    Fields: speech_s, uncovered_speech_s (the speech in stretches of at least `min_stretch`
    under no cue), speech_covered_share (1 - uncovered / speech), speech_dropped_s (uncovered
    speech inside a segment the asr stage dropped), speech_covered_or_dropped_share, and
    `violations`: one `uncovered_speech` per stretch (start, end, seconds, `dropped`: the
    reasons of the dropped segments it overlaps, `decoded`: the text of transcript segments in
    it that no cue shows), one `dropped_segment` per dropped segment."""
    found = spoken(transcript)
    if found is None:
        return None
    speech, sources = found
    dropped = transcript.get("dropped_segments") or []
    dropped_spans = [(float(d["start"]), float(d["end"])) for d in dropped]
    violations: list[dict[str, Any]] = []
    uncovered = dropped_speech = 0.0
    for stretch in uncovered_stretches(speech, cues, tolerance):
        if stretch["seconds"] < min_stretch:
            continue
        span = (stretch["start"], stretch["end"])
        reasons = [d["reason"] for d, s in zip(dropped, dropped_spans) if overlap(span, [s]) > 0]
        inside_dropped = sum(overlap(piece, merged(dropped_spans)) for piece in stretch["pieces"])
        uncovered += stretch["seconds"]
        dropped_speech += inside_dropped
        violation = {
            "cue": None, "kind": "uncovered_speech", "start": round(stretch["start"], 2), "end": round(stretch["end"], 2),
            "seconds": round(stretch["seconds"], 2),
            "text": f"{stretch['seconds']:.1f} s of speech under no cue" + (f" (asr dropped: {'; '.join(reasons)})" if reasons else ""),
        }  # fmt: skip
        if reasons:
            violation["dropped"] = reasons
        # What the transcript has there that no cue shows (the subtitles stage drops loops and
        # text without words): the stretch was decoded, not missed.
        decoded = [seg["text"] for seg in transcript.get("segments") or []
                   if seg.get("text", "").strip() and span[0] <= (seg["start"] + seg["end"]) / 2 <= span[1]]  # fmt: skip
        if decoded:
            violation["decoded"] = decoded
        violations.append(violation)
    for segment in dropped:
        violations.append({
            "cue": None, "kind": "dropped_segment", "start": round(float(segment["start"]), 2),
            "end": round(float(segment["end"]), 2), "seconds": round(float(segment["end"]) - float(segment["start"]), 2),
            "reason": segment["reason"], "text": segment.get("text", ""),
        })  # fmt: skip
    total = seconds(speech)
    return {
        "speech_sources": sources,
        "speech_s": round(total, 2),
        "uncovered_speech_s": round(uncovered, 2),
        "speech_covered_share": round(1 - uncovered / total, 4) if total else 1.0,
        "speech_dropped_s": round(dropped_speech, 2),
        "speech_covered_or_dropped_share": round(1 - (uncovered - dropped_speech) / total, 4) if total else 1.0,
        "coverage_limits": {"tolerance_s": tolerance, "merge_gap_s": MERGE_GAP_S, "min_stretch_s": min_stretch},
        "violations": sorted(violations, key=lambda v: (v["start"], v["kind"])),
    }


def coverage_warning(film: str, report: dict[str, Any]) -> str | None:
    """'<film>: 12.3 s of speech under no cue (3 stretches: 30.5-49.5 s, ...)', or None."""
    stretches = [v for v in report.get("violations", []) if v["kind"] == "uncovered_speech"]
    if not stretches:
        return None
    count = f"{len(stretches)} stretch" + ("es" if len(stretches) > 1 else "")
    dropped = report.get("speech_dropped_s") or 0.0
    why = f"; {dropped:.1f} s of it in segments the asr stage dropped" if dropped else ""
    return f"{film}: {report['uncovered_speech_s']:.1f} s of speech under no cue ({count}: {span_text(stretches)}){why}"
