"""burn: draw one subtitle file into the picture (ffmpeg's subtitles filter, libass) -> MP4.

The filter parses its argument as a filtergraph, where quotes, colons, commas and brackets in a
file name are syntax; the subtitles are therefore read from a temp copy with a plain name.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from subtitles_workflow.io import atomic_path, run_cli, run_tool, setup_logging


def burn_command(video: Path, subtitles: Path, output: Path, threads: int) -> list[str]:
    return [
        "ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y",
        "-i", str(video.absolute()),
        "-map", "0:v:0", "-map", "0:a?",
        "-vf", f"subtitles=filename={subtitles.name}",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "160k", "-threads", str(threads),
        "-movflags", "+faststart", "-f", "mp4", str(output.absolute()),
    ]  # fmt: skip


def burn(video: Path, subtitles: Path, output: Path, threads: int = 2) -> None:
    with tempfile.TemporaryDirectory() as tmp, atomic_path(output) as partial:
        plain = Path(tmp) / "subtitles.ass"
        shutil.copyfile(subtitles, plain)
        run_tool(burn_command(video, plain, partial, threads), f"{video}: ffmpeg could not burn {subtitles.name} in", cwd=tmp)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, required=True)
    parser.add_argument("--subtitles", type=Path, required=True, help="an .ass file")
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    log = setup_logging(args.debug)
    log.debug("libass draws %s (from a plain-named temp copy) into the first video stream; x264 crf 20, %d threads",
              args.subtitles.name, args.threads)  # fmt: skip
    burn(args.video, args.subtitles, args.output, args.threads)
    log.info("burned %s into %s", args.subtitles.name, args.output)


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
