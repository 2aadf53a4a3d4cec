"""demux: extract one audio stream of a media file as 16 kHz mono PCM WAV (the ASR input).

ffmpeg streams the decode, so memory stays flat however long the film is.
"""

from __future__ import annotations

import argparse
import json
import os
import wave
from pathlib import Path

from subtitles_workflow.io import StageError, atomic_path, run_cli, run_tool, setup_logging

SAMPLE_RATE = 16_000


def probe_streams(media: Path) -> list[dict]:
    """All streams of `media` as ffprobe reports them; StageError if it is not readable media."""
    if media.is_symlink() and not media.exists():
        raise StageError(
            f"{media}: broken symbolic link (to {os.readlink(media)}); restore what it points to or remove the link"
        )
    if not media.exists():
        raise StageError(f"{media}: file not found")
    if media.stat().st_size == 0:
        raise StageError(f"{media}: file is empty (0 bytes); replace it with a real media file")
    cmd = ["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "--", str(media)]
    done = run_tool(
        cmd, f"{media}: not readable as audio/video", "check the file is complete and a supported format"
    )
    return json.loads(done.stdout).get("streams", [])


def choose_audio_stream(streams: list[dict], wanted: str, language: str | None) -> int:
    """Index among the audio streams (ffmpeg's `0:a:N`).

    `wanted` is an index ("0", "1", ...) or "auto": the first stream tagged with the source
    language (2- or 3-letter code), else the default-flagged one, else the first.
    """
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    if not audio:
        raise StageError("has no audio stream; subtitles need speech, use a file with an audio track")
    if wanted != "auto":
        index = int(wanted)
        if not 0 <= index < len(audio):
            raise StageError(f"has {len(audio)} audio stream(s), audio_stream={index} does not exist")
        return index
    if language:
        from subtitles_workflow.languages import iso639_2

        tags = {language, iso639_2(language)}
        for index, stream in enumerate(audio):
            if (stream.get("tags") or {}).get("language") in tags:
                return index
    for index, stream in enumerate(audio):
        if (stream.get("disposition") or {}).get("default"):
            return index
    return 0


def extract_audio(media: Path, stream_index: int, output: Path) -> None:
    with atomic_path(output) as tmp:
        cmd = [
            "ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y",
            "-i", str(media.absolute()),
            "-map", f"0:a:{stream_index}", "-vn", "-sn", "-dn",
            "-ac", "1", "-ar", str(SAMPLE_RATE), "-c:a", "pcm_s16le",
            "-f", "wav", str(tmp),
        ]  # fmt: skip
        run_tool(cmd, f"{media}: ffmpeg could not extract the audio")
        with wave.open(str(tmp)) as extracted:
            if extracted.getnframes() == 0:
                # The same outcome as a film without an audio stream: nothing to subtitle.
                raise StageError(
                    f"{media}: audio stream {stream_index} lasts 0 s (no samples); subtitles need speech, "
                    "use a file whose audio track has sound"
                )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--audio-stream", default="auto", help="index among audio streams, or auto")
    parser.add_argument("--language", default=None, help="source language, to pick a tagged stream")
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    log = setup_logging(args.debug)
    streams = probe_streams(args.input)
    try:
        index = choose_audio_stream(streams, args.audio_stream, args.language)
    except StageError as err:
        raise StageError(f"{args.input}: {err}") from None
    log.info("%s: using audio stream %d", args.input, index)
    extract_audio(args.input, index, args.output)


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
