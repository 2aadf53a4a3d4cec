"""make_demo_media: generate the demo film, so the README's main command needs no downloads.

English speech from espeak-ng over an ffmpeg test pattern, muxed as H.264 + AAC in MP4.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

from subtitles_workflow.io import StageError, atomic_path, run_cli, run_tool, setup_logging

DEMO_TEXT = (
    "Welcome to the subtitles workflow. "
    "Drop your films into the input folder and ask for the artifacts you want by name. "
    "Each stage runs in its own environment, and only what is out of date is built again. "
    "Changing the subtitle style never runs speech recognition a second time."
)


def speak(text: str, wav: Path, voice: str = "en-us", words_per_minute: int = 150) -> None:
    cmd = ["espeak-ng", "-v", voice, "-s", str(words_per_minute), "-w", str(wav), text]
    if subprocess.run(cmd, capture_output=True).returncode != 0 or not wav.exists():
        raise StageError("espeak-ng could not synthesise the demo speech; run scripts/install-system-deps.sh")


def make_demo(output: Path, text: str = DEMO_TEXT) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        speech = Path(tmp) / "speech.wav"
        speak(text, speech)
        with atomic_path(output) as video:
            cmd = [
                "ffmpeg", "-nostdin", "-v", "error", "-y",
                "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=24",
                "-i", str(speech),
                "-af", "apad=pad_dur=1", "-shortest",
                "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
                "-c:a", "aac", "-b:a", "96k", "-f", "mp4", str(video),
            ]  # fmt: skip
            run_tool(cmd, f"ffmpeg could not make {output}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path, help="e.g. in/demo.mp4")
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")
    args = parser.parse_args(argv)
    log = setup_logging()
    if args.output.exists() and not args.force:
        log.info("%s exists; keeping it", args.output)
        return
    make_demo(args.output)
    log.info("wrote %s", args.output)


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
