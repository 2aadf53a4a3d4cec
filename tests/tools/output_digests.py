"""The sha256 of every subtitle artifact the workflow makes from the shared fixtures, for a
commit or this checkout: the proof that a restructuring left every output byte-identical.

    PYTHONPATH=bench .venvs/workflow/bin/python tests/tools/output_digests.py [--commit REV] > digests.json
    PYTHONPATH=bench .venvs/workflow/bin/python tests/tools/output_digests.py --compare before.json after.json

The fixtures are ../shared/fixtures beside the checkout; a worktree elsewhere names them with
--fixtures (or BENCH_FIXTURES).

Films: English (flac, mp3 with a German part), Hindi (media sheet), a video (muxed). Every
subtitle format, the QC JSON and the muxed video's subtitle streams are digested; logs, and
what the run measured of itself (the decoder's peak memory), are not outputs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from project import FIXTURES, copy_project, snakemake

FILMS = {
    "jfk.flac": "en/jfk.flac",
    "libri.flac": "en/librispeech_2412-153948-0000.flac",
    "en_de.mp3": "en/multilingual_en_de.mp3",
    "ekstep.wav": "hi/ekstep_sample.wav",
    "clip.mp4": "video/autocut_test001.mp4",
}
MEDIA_SHEET = "name\tsource_language\nekstep\thi\n"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def subtitle_streams(video: Path) -> str:
    """The muxed video's streams (codec and tags) and its subtitle tracks as text: its container
    bytes hold a muxing date."""
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=index,codec_type,codec_name:stream_tags",
                            "-of", "json", str(video)], capture_output=True, check=True, text=True)  # fmt: skip
    streams = json.loads(probe.stdout)["streams"]
    tracks = [probe.stdout.encode()]
    for number in range(sum(stream["codec_type"] == "subtitle" for stream in streams)):
        tracks.append(subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(video), "-map", f"0:s:{number}",
                                      "-c:s", "srt", "-f", "srt", "-"], capture_output=True, check=True).stdout)  # fmt: skip
    return hashlib.sha256(b"\0".join(tracks)).hexdigest()


def output_digests(commit: str | None, fixtures: Path = FIXTURES, keep: Path | None = None) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        work = copy_project(Path(tmp) / "project", commit, subtitle_formats=["srt", "vtt", "ass"])
        for name, source in FILMS.items():
            shutil.copy(fixtures / source, work / "in" / name)
        (work / "config" / "media.tsv").write_text(MEDIA_SHEET)
        snakemake(work, timeout=3600)
        digests = {}
        for path in sorted((work / "out").rglob("*")):
            if path.is_file():
                name = str(path.relative_to(work))
                digests[name] = subtitle_streams(path) if path.suffix in (".mkv", ".mp4") else digest(path)
        for path in sorted((work / "work" / "qc").glob("*.json")):
            report = json.loads(path.read_text().replace(str(work), "<project>"))
            report.pop("decoder_peak_rss_mb", None)  # a measurement of the run, not of the subtitles
            digests[str(path.relative_to(work))] = hashlib.sha256(json.dumps(report, sort_keys=True).encode()).hexdigest()
        if keep:  # the project as run, to look into or to run again with other code
            shutil.copytree(work, keep, symlinks=True, ignore=shutil.ignore_patterns("*.sock"))  # a warm worker's socket
        return digests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commit", help="a revision of this checkout (default: the files as they are)")
    parser.add_argument("--fixtures", type=Path, default=FIXTURES,
                        help=f"the shared test media (default: $BENCH_FIXTURES or {FIXTURES})")  # fmt: skip
    parser.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"), type=Path)
    parser.add_argument("--keep", type=Path, help="copy the project as run here (a new folder)")
    args = parser.parse_args()
    if args.compare:
        before, after = (json.loads(path.read_text()) for path in args.compare)
        differ = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
        for name in differ:
            print(f"differs: {name}")
        print(f"{len(before)} outputs before, {len(after)} after, {len(differ)} differ")
        return 1 if differ else 0
    json.dump(output_digests(args.commit, args.fixtures, args.keep), sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
