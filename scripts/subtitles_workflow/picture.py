"""What the stages ask ffprobe about a film's picture: the nominal frame rate (r_frame_rate)
of its first video stream, cover art not counting (ffprobe's stream specifier "V"), and how long
the picture lasts. Frame-based gaps and shot snapping follow the timebase, not the measured
average rate."""

from __future__ import annotations

import json
from pathlib import Path

from subtitles_workflow.io import run_tool


def picture_rate(film: Path, failure: str, remedy: str) -> str | None:
    """The first video stream's r_frame_rate as ffprobe writes it ("24000/1001"); None when the
    film has no video stream. An unreadable film raises StageError("<failure> (...); <remedy>")."""
    cmd = [
        "ffprobe", "-v", "error", "-select_streams", "V:0",
        "-show_entries", "stream=r_frame_rate", "-of", "json", "--", str(film),
    ]  # fmt: skip
    streams = json.loads(run_tool(cmd, failure, remedy).stdout or "{}").get("streams", [])
    return streams[0].get("r_frame_rate", "0/0") if streams else None


def frames_per_second(rate: str | None) -> float | None:
    """"24000/1001" -> 23.976 (3 decimals); None for no rate, a zero one or one not a fraction."""
    num, _, den = (rate or "0/0").partition("/")
    try:
        fps = float(num) / float(den)
    except (ValueError, ZeroDivisionError):
        return None
    return round(fps, 3) if fps > 0 else None


def picture_duration(film: Path, failure: str, remedy: str) -> float | None:
    """Seconds the first video stream lasts (its own duration, else the container's); None
    when the film has no video stream or declares no duration."""
    cmd = [
        "ffprobe", "-v", "error", "-select_streams", "V:0", "-show_entries",
        "stream=duration:stream_tags=DURATION:format=duration", "-of", "json", "--", str(film),
    ]  # fmt: skip
    facts = json.loads(run_tool(cmd, failure, remedy).stdout or "{}")
    streams = facts.get("streams", [])
    if not streams:
        return None
    for text in (streams[0].get("duration"), (streams[0].get("tags") or {}).get("DURATION"), facts.get("format", {}).get("duration")):
        seconds = clock_seconds(text)
        if seconds:
            return seconds
    return None


def clock_seconds(text: str | None) -> float | None:
    """"6.170000" or Matroska's "00:00:06.170000000" -> seconds; None for anything else."""
    try:
        hours, minutes, seconds = (["0", "0"] + (text or "").split(":"))[-3:]
        return float(hours) * 3600 + float(minutes) * 60 + float(seconds)
    except ValueError:
        return None
