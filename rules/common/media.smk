# The films: what in/ holds, the media sheet's per-film settings, and each film's probe (video
# or not, content fingerprint), cached. Reading these three is all the workflow does while it
# is parsed besides reading config. The frame rate is not planned: the subtitles job reads it
# from the film (scripts/subtitles.py). Functions and constants only.

import functools
import hashlib
import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor

MEDIA_EXTENSIONS = (
    "mp4",
    "mkv",
    "mov",
    "webm",
    "avi",
    "m4v",
    "mp3",
    "wav",
    "flac",
    "m4a",
    "ogg",
    "opus",
)
VIDEO_EXTENSIONS = ("mp4", "mkv", "mov", "webm", "avi", "m4v")
MEDIA_SCHEMA = PROJECT / "config" / "schemas" / "media.schema.yaml"


# Files in in/ that belong to a film and are read with it (common/params.smk, common/report.smk).
COMPANION_FILE = re.compile(r".+\.(glossary\.txt|[a-z]{2,3}\.ref\.(txt|srt))")
# An mp4 film of this name would be muxed into another film's burn-in (out/<name>.<lang>.burned.mp4).
BURNED_OUTPUT_NAME = re.compile(r".+\.[a-z]{2,3}\.burned")


def refusal(path, name):
    """Why a film cannot be built under its name, with what to do; None when it can."""
    if "{" in name or "}" in name:
        renamed = name.replace("{", "(").replace("}", ")")
        return (
            f"braces in a film name are not supported (Snakemake reads them as wildcards); "
            f"rename it, e.g. to {renamed + path.suffix!r}"
        )
    if path.suffix.lower() == ".mp4" and BURNED_OUTPUT_NAME.fullmatch(name):
        return (
            f"its muxed film out/{path.name} would be the burn-in of film {name.rsplit('.', 2)[0]!r} "
            f"(out/<name>.<lang>.burned.mp4); rename it, e.g. to {name.replace('.burned', '-burned') + path.suffix!r}"
        )
    return None


def discover_media(input_dir):
    """(name -> file in in/ for every film to build, one-line notes on everything else in
    in/ that is not processed). Names must be unique. Hidden files are left out unnoted.
    """
    found, notes, unprocessed = {}, [], []
    if not input_dir.is_dir():
        return found, notes
    for path in sorted(input_dir.iterdir()):
        ext = path.suffix[1:].lower()
        # A broken link stays in: its demux job names it (and the batch summary lists it).
        broken_link = path.is_symlink() and not path.exists()
        if path.name.startswith("."):
            continue
        if path.is_dir():
            unprocessed.append(f"{path.name}/ (a folder)")
            continue
        if ext not in MEDIA_EXTENSIONS or not (path.is_file() or broken_link):
            if not COMPANION_FILE.fullmatch(path.name):
                unprocessed.append(path.name)
            continue
        name = path.stem
        if name in found:
            fail(
                f"{path} and {found[name]} have the same name {name!r}; rename one, outputs are named after it"
            )
        why = refusal(path, name)
        if why:
            notes.append(f"error: {path}: not built: {why}")
            continue
        found[name] = path
    if unprocessed:
        notes.append(
            f"note: {input_dir}/ holds {len(unprocessed)} entr{'y' if len(unprocessed) == 1 else 'ies'} "
            f"the workflow does not process: {', '.join(unprocessed)}; films go directly in "
            f"{input_dir}/ with one of the extensions {' '.join(MEDIA_EXTENSIONS)}"
        )
    return found, notes


def split_languages(cell):
    """A media sheet list cell: codes separated by commas and/or spaces."""
    return [code for code in re.split(r"[,\s]+", cell or "") if code]


@functools.cache
def media_sheet_validator():
    """The media sheet schema's validator, read once however many rows the sheet has."""
    from jsonschema import Draft202012Validator

    from subtitles_workflow.config_check import load_yaml

    return Draft202012Validator(load_yaml(MEDIA_SCHEMA))


def media_sheet_row_problem(row, where):
    """The first problem with one media sheet row's cells (schema, language codes), or None."""
    for error in media_sheet_validator().iter_errors(row):
        column = error.path[0] if error.path else "name"
        return f"{where}, column {column!r}: {error.message}; see config/README.md"
    for column in ("source_language", "target_languages"):
        for code in split_languages(row.get(column, "")):
            if code not in LANGUAGES and not (
                column == "source_language" and code == "auto"
            ):
                return (
                    f"{where}, column {column!r}: unknown language code {code!r}; use an ISO 639-1 "
                    "code Whisper knows (all in scripts/subtitles_workflow/languages.py)"
                    + (" or 'auto'" if column == "source_language" else "")
                )
    return None


def read_media_sheet(path, films):
    """Per-film overrides as {name: {column: cell}}, the sheet checked as a whole
    (scripts/subtitles_workflow/media_sheet.py): any problem stops the run before any job,
    each on its own line. The default sheet may be absent; a configured one may not. Read
    with csv rather than pandas, whose import alone costs 0.3 s of every Snakemake start.
    """
    from subtitles_workflow.media_sheet import read_media_sheet as read_sheet

    path = Path(path)
    default = CONFIG_SCHEMA["properties"]["media_sheet"]["default"]
    if not path.exists() and str(path) == default:
        return {}
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "does not exist"
        fail(
            f"config media_sheet: {path} {what}; give the path of a tab-separated file (see config/README.md)"
        )
    sheet, problems, notes = read_sheet(path, films, media_sheet_row_problem)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    if problems:
        print(
            "\n".join(f"error: {problem}" for problem in problems[:-1]), file=sys.stderr
        )
        fail(problems[-1])
    return sheet


def check_writable(folders):
    """Fail before any job when an output folder cannot be written (read-only mount or
    permissions): Snakemake would otherwise stop mid-run with a traceback."""
    for folder in folders:
        if folder.exists() and not os.access(folder, os.W_OK | os.X_OK):
            fail(
                f"{folder}/ is not writable (read-only file system or permissions); "
                "make it writable, or run the workflow from a folder you can write to"
            )


def media_setting(name, column, default):
    """A media sheet cell for this film, or `default` when the row or cell is empty."""
    return MEDIA_SHEET.get(name, {}).get(column) or default


def film_path(name):
    """in/<name>.<ext>, or a one-line error for a target that names no film in in/."""
    if name not in MEDIA:
        known = ", ".join(sorted(MEDIA)[:5]) + (", ..." if len(MEDIA) > 5 else "")
        fail(
            f"no film named {name!r} in {INPUT_DIR}/ (found: {known or 'none'}); "
            f"add in/{name}.<ext> or fix the target's name"
        )
    return MEDIA[name]


# ------------------------------------------------------------------------- media probing
PROBE_CACHE = WORK_DIR / "media-probe.json"
# What a broken link is probed as (its demux job reports it).
UNREADABLE_FILM = {"video": False, "fingerprint": None}


def read_probe_cache():
    try:
        return json.loads(PROBE_CACHE.read_text())
    except (OSError, ValueError):
        return {}


def probe_key(path):
    """A film's cache key: a replaced or edited film gets a new one. Size and mtime miss a
    same-size film copied over with `cp -p` (which keeps the mtime); its inode or its ctime,
    which no copy can set, changes."""
    stat = path.stat()
    return (
        f"v6|{path}|{stat.st_size}|{stat.st_mtime_ns}|{stat.st_ino}|{stat.st_ctime_ns}"
    )


def probe_media(paths):
    """{path: {"video", "fingerprint"}} per film, cached by path and file status so that
    a no-op run over a large catalogue reads and probes nothing."""
    cache = read_probe_cache()
    keys = {path: probe_key(path) for path in paths if path.exists()}
    new = [path for path, key in keys.items() if key not in cache]
    if new:
        cache.update(zip((keys[path] for path in new), probe_films(new)))
        PROBE_CACHE.parent.mkdir(parents=True, exist_ok=True)
        tmp = PROBE_CACHE.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(cache))
        tmp.replace(PROBE_CACHE)
    return {
        str(path): cache[keys[path]] if path in keys else UNREADABLE_FILM
        for path in paths
    }


# The most films whose headers one ffmpeg process reads. ffprobe takes one file, and its
# start-up (~0.1 s of CPU loading its libraries) is nearly all a probe costs: 1000 new films
# took 100 s one ffprobe each; a batch costs about one start-up. ffmpeg holds every input of
# a batch open: this stays well under the usual limit of 1024 open files.
PROBE_BATCH = 250


def probe_films(paths):
    """The cache entries of new films: videos probed in batches, one ffmpeg per core, the
    films shared out evenly (1000 films on 2 cores: 4 start-ups, not 10)."""
    videos = [path for path in paths if path.suffix[1:].lower() in VIDEO_EXTENSIONS]
    cores = os.cpu_count() or 1
    size = max(1, min(PROBE_BATCH, -(-len(videos) // cores)))
    batches = [videos[i : i + size] for i in range(0, len(videos), size)]
    with ThreadPoolExecutor(max_workers=cores) as pool:
        probed = [facts for batch in pool.map(probe_videos, batches) for facts in batch]
    video_facts = dict(zip(videos, probed))
    return [
        {"video": video_facts.get(path, False), "fingerprint": fingerprint(path)}
        for path in paths
    ]


def probe_videos(paths):
    """has_video() of each path, from ffmpeg's header dump of all of them at once. ffmpeg
    stops at the first file it cannot open; that one is probed alone, the rest in a new batch.
    """
    facts = []
    while len(facts) < len(paths):
        rest = paths[len(facts) :]
        dumped = ffmpeg_stream_dump(rest)
        facts += [video_in_dump(streams) for streams in dumped]
        if len(dumped) < len(rest):
            facts.append(has_video(rest[len(dumped)]))
    return facts


def ffmpeg_stream_dump(paths):
    """Per file that ffmpeg opened, in order: the lines of its video streams in ffmpeg's dump."""
    inputs = [arg for path in paths for arg in ("-i", f"file:{path}")]
    cmd = ["ffmpeg", "-hide_banner", "-nostdin", *inputs]
    # No output file: ffmpeg exits 1 once it has opened and described every input.
    done = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    streams = []
    for line in done.stderr.splitlines():
        if re.match(r"Input #\d+, ", line):
            streams.append([])
        elif streams and re.match(r"\s+Stream #\d+:\d+.*?: Video: ", line):
            streams[-1].append(line)
    return streams


def video_in_dump(streams):
    """What has_video() says of a film, from its video streams in ffmpeg's dump."""
    return any("(attached pic)" not in stream for stream in streams)


def fingerprint(path, chunk=1 << 20):
    """Size plus a hash of the first and last MiB: tells a replaced film from a touched one
    without reading whole films (Snakemake's own checksums stop at max-checksum-file-size,
    and mtimes miss a replacement that carries an older date)."""
    digest = hashlib.sha256(str(path.stat().st_size).encode())
    with open(path, "rb") as handle:
        digest.update(handle.read(chunk))
        handle.seek(max(0, path.stat().st_size - chunk))
        digest.update(handle.read(chunk))
    return digest.hexdigest()[:16]


def has_video(path):
    """Whether the film has a real video stream (cover art does not count). Unreadable files
    count as video so that demux, not DAG building, reports them with a clear error."""
    cmd = [
        "ffprobe",
        "-v",
        "error",
        "-print_format",
        "json",
        "-show_streams",
        "--",
        str(path),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        return True
    return any(
        stream.get("codec_type") == "video"
        and not (stream.get("disposition") or {}).get("attached_pic")
        for stream in json.loads(done.stdout or "{}").get("streams", [])
    )


check_writable([Path("out"), WORK_DIR, Path("logs")])
MEDIA, MEDIA_NOTES = discover_media(INPUT_DIR)
if snakemake_invocation() != "job":
    for note in MEDIA_NOTES:
        print(note, file=sys.stderr)
MEDIA_SHEET = read_media_sheet(config["media_sheet"], MEDIA)
MEDIA_PROBE = probe_media(MEDIA.values())
# The films with a picture, looked up once per subtitle job when the shots stage is on.
VIDEO_FILMS = {name for name, path in MEDIA.items() if MEDIA_PROBE[str(path)]["video"]}


# ------------------------------------------------------------------------ input functions
def get_media(wildcards):
    """The film as an input; none for a broken link (demux then fails naming it, instead of
    Snakemake stopping the whole batch on a missing input)."""
    path = film_path(wildcards.name)
    return str(path) if path.exists() else []


def get_demux_source(wildcards):
    """Which audio of which film, as one plain (hashed) param: the stream setting, the language
    to pick a tagged stream by, and the film's content fingerprint, so that a replaced film
    re-runs demux even when it carries an older date. One function, not three: each is called
    once per film on every run."""
    name = wildcards.name
    return {
        "film": str(film_path(name)),
        "audio_stream": str(
            media_setting(name, "audio_stream", config["demux"]["audio_stream"])
        ),
        "language": configured_source_language(name),
        "fingerprint": MEDIA_PROBE[str(film_path(name))]["fingerprint"],
    }


def get_shots_source(wildcards):
    """The film and its content identity, one plain param (a replaced film re-runs shots)."""
    film = str(film_path(wildcards.name))
    return {"film": film, "fingerprint": MEDIA_PROBE[film]["fingerprint"]}


def picture_source(name):
    """The film whose frame rate a subtitles job counts frame-based gaps in ("" for an
    audio-only film: the configured fps) and its content fingerprint. The job reads the rate,
    the plan does not: the fingerprint is what re-renders the subtitles of a film replaced by
    one of another rate, even when demux makes the same audio."""
    film = str(film_path(name))
    facts = MEDIA_PROBE[film]
    return {"film": film if facts["video"] else "", "fingerprint": facts["fingerprint"]}


def get_shot_cuts(wildcards):
    """The film's shot cuts for subtitles to snap to: films with video only."""
    name = wildcards.name
    return [f"{WORK_DIR}/shots/{name}.json"] if name in VIDEO_FILMS else []


SHOT_CUTS = get_shot_cuts if is_activated("shots") else []


def muxed_video_format(name):
    """mp4 films stay mp4; other videos become Matroska; audio-only films get no muxed video."""
    path = film_path(name)
    if not MEDIA_PROBE[str(path)]["video"]:
        return None
    return "mp4" if path.suffix.lower() == ".mp4" else "mkv"


def get_mux_media(wildcards):
    """The film, for the one muxed video the artifact contract gives it: out/<name>.mp4 for
    an mp4 film, out/<name>.mkv for other videos, none for audio-only films."""
    name, asked = wildcards.name, wildcards.video_format
    path = film_path(name)
    expected = muxed_video_format(name)
    if expected is None:
        fail(
            f"out/{name}.{asked}: {path} has no video stream (cover art is not video); "
            f"an audio-only film gets subtitle files only, e.g. out/{name}.<lang>.srt"
        )
    if asked != expected:
        fail(
            f"out/{name}.{asked}: {path} is muxed into out/{name}.{expected} "
            "(mp4 films stay mp4, other videos become mkv); ask for that file"
        )
    return get_media(wildcards)
