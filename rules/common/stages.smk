# What every stage has: its script run on its env's interpreter, the script's code
# identity as a param (what re-runs the stage when its code changes) and its env as an input.
# Config `debug` is no param: it changes logs only, and reaches the jobs through the
# environment (common/config.smk). Each stage unpacks these (`**stage_inputs("asr")`,
# `**stage_params("asr")`) and states only what is its own. Also the files the optional
# stages put between two stages. Functions and constants only.

import functools
import os


def stage_code(stage):
    """A stage's script (scripts/<stage>.py)."""
    return str(SCRIPTS / f"{stage}.py")


def stage_inputs(script, env=None):
    """The input every stage has: its env's stamp (`env` defaults to the stage's own)."""
    return {"env": env_input(env or STAGE_ENVS[script])}


def stage_params(script, env=None):
    """The params every stage has, all plain values (so a change to any re-runs the stage):
    how to run scripts/<script>.py on the env and the script's code identity.
    """
    return {
        "python": env_python(env or STAGE_ENVS[script]),
        "code": stage_code(script),
        "code_digest": code_digest(script),
    }


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
    transitively, hashed as syntax trees without docstrings (scripts/subtitles_workflow/code_digest.py).
    Any change to what that code does re-runs the stage; a comment, a docstring, formatting
    or a touch does not. Not an input: 4000 more input lookups cost 0.5 s of a no-op run
    over 1000 films."""
    from subtitles_workflow.code_digest import code_digest as digest_of

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


def get_transcript(name, tree=""):
    """The word-level transcript later stages read: the timing stage's, aligned when the align
    stage is on (in the build of `tree`: the default's, or a variant's)."""
    stage = "align" if tree_config(tree)["align"]["activate"] else "timing"
    return f"{WORK_DIR}/{stage_tree(stage, tree)}{stage}/{name}.json"


# The default build's inputs, as plain patterns (the variant layer's are per-job functions,
# common/variants.smk).
TRANSCRIPT = get_transcript("{name}")
ASR_TRANSCRIPT = f"{WORK_DIR}/asr/{{name}}.json"
TIMING_TRANSCRIPT = f"{WORK_DIR}/timing/{{name}}.json"
WHISPER_DECODED = f"{WORK_DIR}/asr/translate/{{name}}.{{lang}}.json"
# The asr stage runs the configured backend's script on the asr env.
ASR_SCRIPT = ASR_BACKEND_SCRIPTS[ASR_BACKEND]
