# Stage environments: which env each stage runs on, where an env lives, how a job reaches its
# interpreter, and an env's identity (its stamp) as a stage input. Functions and constants only.

import json
import shlex

# ASR backends and the env each runs on.
ASR_BACKEND_ENVS = {
    "faster-whisper": "asr",
    "whisperx": "whisperx",
    "mlx-whisper": "mlx",
}
# Each backend's script (scripts/<script>.py); all three take the same arguments.
ASR_BACKEND_SCRIPTS = {
    "faster-whisper": "asr",
    "whisperx": "asr_whisperx",
    "mlx-whisper": "asr_mlx",
}


def resolve_asr_backend(backend):
    """`auto`: mlx-whisper on Apple Silicon, faster-whisper elsewhere (decided where the
    workflow runs, logged by the job)."""
    from subtitles_workflow.hardware import resolve_backend

    return resolve_backend(backend)


ASR_BACKEND = resolve_asr_backend(config["asr"]["backend"])


def asr_backend_of(cfg):
    """The asr backend of a build whose config is `cfg` (a variant's, or the default)."""
    return ASR_BACKEND if cfg is config else resolve_asr_backend(cfg["asr"]["backend"])


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
# config envs: a stage pointed at another spec (envs/<env>.yaml) runs on that env.
STAGE_ENVS.update({stage: Path(spec).stem for stage, spec in config["envs"].items()})
# timing (numpy, and silero's probabilities from the transcript) runs on the asr stage's env:
# every asr backend's env has numpy, and the same interpreter needs no env of its own.
STAGE_ENVS["timing"] = STAGE_ENVS["asr"]
# The envs `snakemake test_envs` builds: the default path's, translation's and the light
# optional ones, which the test suite uses. whisperx, mlx and pyannote are built only when a
# config uses them (heavy or platform-bound).
TESTED_ENVS = [
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
VENV_DIR = Path(config["venv_dir"])
# Under --sdm conda, Snakemake manages the envs itself.
USE_CONDA = deploys_with_conda()


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
    return [] if USE_CONDA else [env_paths(env)["stamp"]]


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
    """The command prefix, as arguments, that runs a script on the stage's env interpreter
    (rebuilding the env first if its folder is gone); the rules quote each (`:q`). Under
    conda the rule's `conda:` env is active, so plain `python` is that env's."""
    if USE_CONDA:
        return ["python"]
    return [
        str(SCRIPTS / "run-in-env"),
        str(VENV_DIR / env),
        env_paths(env)["stamp"],
        env_build_command(env),
    ]


def note_missing_envs():
    """Say so when a built env's folder is gone: a dry run shows no job for it (the first job
    that needs the env rebuilds it, which changes no artifact)."""
    if USE_CONDA:
        return
    for env in sorted(set(STAGE_ENVS.values())):
        paths = env_paths(env)
        if Path(paths["stamp"]).exists() and not Path(env_marker(env)).exists():
            print(
                f"note: env '{env}' ({paths['venv']}) is gone; the first job that needs it "
                "rebuilds it from its lock (or now: snakemake envs)",
                file=sys.stderr,
            )


# The optional stages, each run only when its config block says `activate: true`.
OPTIONAL_STAGES = ("separate", "vad", "align", "diarize", "shots")


def stages_in_use(cfg):
    """The stages a build whose config is `cfg` runs (translation apart: translation_envs)."""
    stages = ["demux", "asr", "timing", "subtitles", "mux"]
    stages += [stage for stage in OPTIONAL_STAGES if cfg[stage]["activate"]]
    if cfg["burn_in_language"]:
        stages.append("burn")
    if cfg["qc_report"] or cfg["variants"]:
        stages.append("report")  # the QC report, and the variants' comparison
    return stages


# The env each translation backend's rule runs on (rules/translate.smk).
TRANSLATION_ENVS = {"whisper": "asr", "indictrans2": "indictrans"}


def translation_envs():
    """The envs of the translation backends the films' (and the config's) language pairs use;
    a film whose language is detected (`auto`) may need any of them."""
    pairs = {(config["source_language"], t) for t in config["target_languages"]}
    pairs |= {
        (configured_source_language(n), t) for n in MEDIA for t in target_languages(n)
    }
    envs = set()
    for source, target in pairs:
        if source == "auto":
            envs |= {"translate", "indictrans"}
        elif source != target:
            backend = translation_backend(source, target)
            envs.add(TRANSLATION_ENVS.get(backend, "translate"))
    return {STAGE_ENVS["asr"] if env == "asr" else env for env in envs}


def configured_envs():
    """The envs the configured stages run on, in the default build and every variant."""
    envs = translation_envs()
    for cfg in [config, *VARIANT_CONFIGS.values()]:
        envs |= {stage_env_for(stage, cfg) for stage in stages_in_use(cfg)}
    return sorted(envs)


def env_targets(envs):
    return [
        path
        for env in envs
        for path in (str(VENV_DIR / f"{env}.env.json"), env_marker(env))
    ]


def get_env_targets(wildcards):
    """`snakemake envs`: the configured stages' envs and the bundled models they load."""
    return env_targets(configured_envs()) + asr_model_input()


def get_tested_env_targets(wildcards):
    """`snakemake test_envs`: what the test suite runs on."""
    return (
        env_targets(sorted(set(TESTED_ENVS) | set(configured_envs())))
        + [model_manifest(model) for model in BUNDLED_MODELS[:1]]
        + asr_model_input()
    )


def stage_env_for(stage, cfg):
    """The env a stage runs on in a build whose config is `cfg` (a variant's, or the default)."""
    if cfg is config:
        return STAGE_ENVS[stage]
    if stage == "timing":
        return stage_env_for("asr", cfg)
    spec = cfg["envs"].get(stage)
    if spec:
        return Path(spec).stem
    if stage == "asr":
        return ASR_BACKEND_ENVS[asr_backend_of(cfg)]
    return STAGE_ENVS[stage]
