"""mux: copy a film's video and audio (no re-encode) and add every subtitle track, language-tagged.

Matroska takes SRT as is; MP4 needs mov_text, the only text codec its players agree on.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from subtitles_workflow.io import StageError, atomic_path, run_cli, run_tool, setup_logging
from subtitles_workflow.languages import iso639_2, language_name

SUBTITLE_CODEC = {".mkv": "srt", ".mp4": "mov_text", ".mov": "mov_text"}


def parse_track(spec: str) -> tuple[str, Path]:
    """`out/movie.en.srt` -> ("en", Path(...)): the language is the name's last part before the
    extension, as the workflow names subtitle files (out/<name>.<lang>.srt)."""
    path = Path(spec)
    film, dot, lang = path.stem.rpartition(".")
    if not dot or not film or not lang:
        raise argparse.ArgumentTypeError(f"expected a subtitle file named <name>.<lang>.srt, got {spec!r}")
    return lang, path


def mux_command(video: Path, tracks: list[tuple[str, Path]], output: Path, container: str) -> list[str]:
    """The ffmpeg argv (no shell: file names are never interpreted)."""
    cmd = ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y", "-i", str(video.absolute())]
    for _, path in tracks:
        cmd += ["-f", "srt", "-i", str(path.absolute())]
    # Video and audio of the film, then one stream per subtitle file; data/attachment streams and
    # the film's own subtitle streams are left out (codecs a container cannot take break the mux).
    cmd += ["-map", "0:v?", "-map", "0:a?"]
    for index in range(len(tracks)):
        cmd += ["-map", f"{index + 1}:0"]
    cmd += ["-map_metadata", "0", "-map_chapters", "0", "-c:v", "copy", "-c:a", "copy"]
    cmd += ["-c:s", SUBTITLE_CODEC[container]]
    for index, (lang, _) in enumerate(tracks):
        cmd += [f"-metadata:s:s:{index}", f"language={iso639_2(lang)}"]
        cmd += [f"-metadata:s:s:{index}", f"title={language_name(lang)}"]
        cmd += [f"-metadata:s:s:{index}", f"handler_name={language_name(lang)}"]  # MP4's track title
        cmd += [f"-disposition:s:{index}", "default" if index == 0 else "0"]
    if container == ".mp4":
        cmd += ["-movflags", "+faststart"]
    return cmd + ["-f", {".mkv": "matroska", ".mp4": "mp4", ".mov": "mov"}[container]]


def mux(video: Path, tracks: list[tuple[str, Path]], output: Path) -> None:
    container = output.suffix.lower()
    if container not in SUBTITLE_CODEC:
        raise StageError(f"{output}: cannot mux into {container}; use .mkv or .mp4")
    with atomic_path(output) as tmp:
        run_tool(mux_command(video, tracks, tmp, container) + [str(tmp)], f"{video}: ffmpeg could not mux subtitles into {output.name}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("tracks", type=parse_track, nargs="*", help="<name>.<lang>.srt, one per track, the default first")
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    log = setup_logging(args.debug)
    log.debug(
        "%s: video and audio copied, subtitles as %s; %s", args.output.suffix,
        SUBTITLE_CODEC.get(args.output.suffix.lower(), "(none: not a container it takes)"),
        "; ".join(f"track {i}: {lang} ({iso639_2(lang)}){', default' if i == 0 else ''}" for i, (lang, _) in enumerate(args.tracks)),
    )  # fmt: skip
    mux(args.video, args.tracks, args.output)
    log.info("%s: %d subtitle track(s): %s", args.output, len(args.tracks), ", ".join(lang for lang, _ in args.tracks))


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
