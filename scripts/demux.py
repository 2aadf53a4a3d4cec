"""demux: extract one audio stream of a media file as 16 kHz mono PCM WAV (the ASR input).

ffmpeg streams the decode, so memory stays flat however long the film is. A film that ends
before the duration its container declares (a half-downloaded or half-copied file, an audio
stream that stops early) fails in one line: it is never built as if whole.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import wave
from dataclasses import dataclass, field
from pathlib import Path

from subtitles_workflow.io import StageError, atomic_path, run_cli, run_tool, setup_logging

SAMPLE_RATE = 16_000

# How much shorter than declared the decoded audio may be before the file counts as incomplete:
# max(1.0 s, 1 % of the declared duration). Measured on every audio-bearing file in
# /work/shared/fixtures (mp3, flac, wav, aac mp4, vorbis webm, mov, mkv) and on ffmpeg-written
# 198 s mp4/mkv/webm/ts films: the largest healthy shortfall is 0.088 s (en/jfk.mp3, whose
# declared 11.088 s counts the MP3 encoder's delay and padding; the other mp3s 0.04-0.05 s);
# aac, vorbis and opus decode 0.00-0.02 s *longer* than declared, PCM and FLAC exactly. So a
# healthy file stays more than 10x below the 1 s floor, while a half-downloaded film misses half
# its length. The 1 % part keeps long recordings whose timestamps have small gaps (which the
# wav does not fill) from tripping it; a truncation ffmpeg notices fails whatever the numbers.
SHORTFALL_TOLERANCE_S = 1.0
SHORTFALL_TOLERANCE_RATIO = 0.01

# ffmpeg's own words (at -v warning) for a file that stops before its end: mov/mp4 "partial
# file", matroska/webm "File ended prematurely", mp3 "filesize and duration do not match"
# (its Xing header counts more bytes than the file has), raw demuxers "Truncating packet".
ENDS_EARLY = (
    "partial file",
    "File ended prematurely",
    "filesize and duration do not match",
    "Truncating packet",
    "moov atom not found",
)
# ... and for damaged data inside it (a cut FLAC, a broken packet): a failure only together with
# missing audio; alone, a warning in the job log (a healthy-length film with one bad packet builds).
DAMAGED = (
    "Invalid data found",
    "corrupt",
    "decode_frame() failed",
    "Error while decoding",
    "Header missing",
)
# The declared duration is then a guess from the bitrate (a VBR mp3 without a Xing header, raw
# AAC, a wav whose header was lost): measured 20-26 % off on healthy files, so it is not compared.
ESTIMATED = "Estimating duration from bitrate"


@dataclass
class FfmpegFindings:
    """What ffmpeg said about the input while extracting it."""

    ends_early: list[str] = field(default_factory=list)  # the ENDS_EARLY phrases it used
    damaged: list[str] = field(default_factory=list)  # the DAMAGED phrases it used
    estimated: bool = False  # the declared duration is a bitrate estimate
    lines: list[str] = field(default_factory=list)  # its lines that say either


def read_ffmpeg_warnings(stderr: str) -> FfmpegFindings:
    """Sort ffmpeg's warning lines into truncation, damage and an estimated duration; the rest
    (e.g. "Guessed Channel Layout") is harmless and ignored."""
    found = FfmpegFindings()
    for line in stderr.splitlines():
        text = re.sub(r"^\[[^]]* @ 0x[0-9a-f]+\] ", "", line.strip())
        lower = text.lower()
        if ESTIMATED.lower() in lower:
            found.estimated = True
            continue
        hits = [phrase for phrase in ENDS_EARLY if phrase.lower() in lower]
        damage = [phrase for phrase in DAMAGED if phrase.lower() in lower]
        for phrase in hits:
            if phrase not in found.ends_early:
                found.ends_early.append(phrase)
        for phrase in damage:
            if phrase not in found.damaged:
                found.damaged.append(phrase)
        if hits or damage:
            found.lines.append(text)
    return found


def _seconds(value: object) -> float | None:
    """A duration as ffprobe gives it: "198.000000", or a matroska tag "00:03:18.064000000"."""
    if value is None:
        return None
    text = str(value).strip()
    try:
        if ":" in text:
            hours, minutes, seconds = text.split(":")
            result = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
        else:
            result = float(text)
    except ValueError:
        return None
    return result if result > 0 else None


def declared_duration(info: dict, stream_index: int) -> tuple[float, str] | None:
    """What the file declares for audio stream `stream_index` (ffmpeg's `0:a:N`), and where it
    says so: the stream's own duration ("stream"; mp4, mov, mp3, flac, wav), else its matroska
    `DURATION` tag ("stream tag"; mkv and webm give per-stream durations only so), else the
    container's duration less the stream's late start ("container"). None when nothing is
    declared (e.g. an mkv written to a pipe). The stream's own figure comes first, so a film whose
    audio legitimately ends before its video is measured against the audio's length."""
    audio = [s for s in info.get("streams", []) if s.get("codec_type") == "audio"]
    if not 0 <= stream_index < len(audio):
        return None
    stream = audio[stream_index]
    own = _seconds(stream.get("duration"))
    if own:
        return own, "stream"
    for key, value in (stream.get("tags") or {}).items():
        # ffmpeg writes DURATION, mkvmerge DURATION or DURATION-<lang>
        if key.upper() == "DURATION" or key.upper().startswith("DURATION-"):
            tagged = _seconds(value)
            if tagged:
                return tagged, "stream tag"
    container = info.get("format") or {}
    total = _seconds(container.get("duration"))
    if not total:
        return None
    late = (_seconds(stream.get("start_time")) or 0.0) - (_seconds(container.get("start_time")) or 0.0)
    return (total - late if 0 < late < total else total), "container"


def check_complete(
    media: Path, stream_index: int, decoded: float, declared: tuple[float, str] | None, findings: FfmpegFindings
) -> str | None:
    """StageError when the audio stops early: ffmpeg says the file ends early, or the decoded
    audio falls short of the declared duration by more than the tolerance. Returns a warning for
    the log when ffmpeg only reports damage, else None."""
    shortfall = False
    if declared and not findings.estimated:
        seconds, _ = declared
        shortfall = seconds - decoded > max(SHORTFALL_TOLERANCE_S, SHORTFALL_TOLERANCE_RATIO * seconds)
    # the truncation when ffmpeg names one (the decode errors after it are its echo), else the damage
    said = ", ".join(findings.ends_early or findings.damaged)
    if findings.ends_early or shortfall:
        what = "the file ends early" if findings.ends_early else f"audio stream {stream_index} ends early"
        if declared and not findings.estimated:
            detail = f"decoded {decoded:.1f} s of audio, its container declares {declared[0]:.1f} s"
        else:
            detail = f"decoded {decoded:.1f} s of audio"
        raise StageError(
            f"{media}: {what}: {detail}" + (f" (ffmpeg: {said})" if said else "") + "; download or copy it again"
        )
    if findings.damaged:
        lines = " | ".join(findings.lines[:3])
        return f"{media}: ffmpeg reports damaged data ({said}), but the audio is complete ({decoded:.1f} s): {lines}"
    return None


def probe_media(media: Path) -> dict:
    """Streams and container of `media` as ffprobe reports them (`streams`, `format`);
    StageError if it is not readable media."""
    if media.is_symlink() and not media.exists():
        raise StageError(
            f"{media}: broken symbolic link (to {os.readlink(media)}); restore what it points to or remove the link"
        )
    if not media.exists():
        raise StageError(f"{media}: file not found")
    if media.stat().st_size == 0:
        raise StageError(f"{media}: file is empty (0 bytes); replace it with a real media file")
    cmd = ["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-show_format", "--", str(media)]
    done = run_tool(
        cmd, f"{media}: not readable as audio/video", "check the file is complete and a supported format"
    )
    info = json.loads(done.stdout)
    return {"streams": info.get("streams", []), "format": info.get("format", {})}


def choose_audio_stream(streams: list[dict], wanted: str, language: str | None) -> int:
    """Index among the audio streams (ffmpeg's `0:a:N`).

    `wanted` is an index ("0", "1", ...) or "auto": the first stream tagged with the source
    language (2- or 3-letter code), else the default-flagged one, else the first.
    """
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    if not audio:
        raise StageError("has no audio stream; subtitles need speech, use a file with an audio track")
    log = logging.getLogger("stage")
    log.debug(
        "audio streams: %s; wanted %s, source language %s", "; ".join(
            f"{i}: {s.get('codec_name')}, {s.get('channels')} ch, language {(s.get('tags') or {}).get('language', '-')}"
            + (", default" if (s.get("disposition") or {}).get("default") else "") for i, s in enumerate(audio)
        ), wanted, language,
    )  # fmt: skip
    if wanted != "auto":
        index = int(wanted)
        if not 0 <= index < len(audio):
            raise StageError(f"has {len(audio)} audio stream(s), audio_stream={index} does not exist")
        log.debug("audio stream %d: demux.audio_stream names it", index)
        return index
    if language:
        from subtitles_workflow.languages import iso639_2

        tags = {language, iso639_2(language)}
        for index, stream in enumerate(audio):
            if (stream.get("tags") or {}).get("language") in tags:
                log.debug("audio stream %d: the first tagged %s", index, "/".join(sorted(tags)))
                return index
    for index, stream in enumerate(audio):
        if (stream.get("disposition") or {}).get("default"):
            log.debug("audio stream %d: none tagged with the source language; the default one", index)
            return index
    log.debug("audio stream 0: none tagged with the source language, none marked default; the first")
    return 0


def extract_audio(media: Path, stream_index: int, output: Path, info: dict | None = None) -> float:
    """Write audio stream `stream_index` as the 16 kHz mono wav `output`; return its seconds.

    With `info` (probe_media's), the wav is checked against what the file declares and what
    ffmpeg said (check_complete): an incomplete film leaves no `output`."""
    with atomic_path(output) as tmp:
        cmd = [
            "ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-v", "warning", "-y",
            "-i", str(media.absolute()),
            "-map", f"0:a:{stream_index}", "-vn", "-sn", "-dn",
            "-ac", "1", "-ar", str(SAMPLE_RATE), "-c:a", "pcm_s16le",
            "-f", "wav", str(tmp),
        ]  # fmt: skip
        done = run_tool(cmd, f"{media}: ffmpeg could not extract the audio")
        with wave.open(str(tmp)) as extracted:
            frames = extracted.getnframes()
        if frames == 0:
            # The same outcome as a film without an audio stream: nothing to subtitle.
            raise StageError(
                f"{media}: audio stream {stream_index} lasts 0 s (no samples); subtitles need speech, "
                "use a file whose audio track has sound"
            )
        decoded = frames / SAMPLE_RATE
        if info is not None:
            declared = declared_duration(info, stream_index)
            log = logging.getLogger("stage")
            log.info(
                "%s: decoded %.3f s of audio; declared %s", media, decoded,
                f"{declared[0]:.3f} s ({declared[1]})" if declared else "nothing",
            )  # fmt: skip
            warning = check_complete(media, stream_index, decoded, declared, read_ffmpeg_warnings(done.stderr))
            if warning:
                log.warning("%s", warning)
    return decoded


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--audio-stream", default="auto", help="index among audio streams, or auto")
    parser.add_argument("--language", default=None, help="source language, to pick a tagged stream")
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    log = setup_logging(args.debug)
    info = probe_media(args.input)
    try:
        index = choose_audio_stream(info["streams"], args.audio_stream, args.language)
    except StageError as err:
        raise StageError(f"{args.input}: {err}") from None
    log.info("%s: using audio stream %d", args.input, index)
    extract_audio(args.input, index, args.output, info)


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
