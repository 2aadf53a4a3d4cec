# Models as build artifacts: what each configured model name means (bundled with the asr env,
# a Hugging Face hub repository, or a local directory; scripts/subtitles_workflow/model_manifest.py),
# the manifest each stands for in model_dir, and which one a film's language gets. Stages
# depend on the manifest, never on a name: rule model_assemble (rules/envs.smk) writes the
# bundled ones', rule model_fetch (rules/models.smk) a hub model's, and a local directory's is
# written while the workflow is parsed (record_local_model). Whisper, translation, and the
# optional stages' models (STAGE_MODELS: alignment, separation, diarization, pyannote VAD)
# alike. Functions and constants only.

import functools
import json
import os
import re

from subtitles_workflow.io import write_text_atomic
from subtitles_workflow.model_manifest import (
    BUNDLED_WHISPER,
    content_folder,
    ModelSpec,
    dumps as manifest_text,
    expected_sha256_problem,
    file_sha256,
    hash_folder,
    make_manifest,
    parse_model,
    read_manifest,
)

# Whisper models that install from PyPI with the asr env (assembled by rule model_assemble).
BUNDLED_MODELS = BUNDLED_WHISPER
MODEL_DIR = Path(config["model_dir"])


def bundled_model_dir(model):
    """Where a bundled model is loaded from: a link that model_assemble swaps atomically to a
    folder named by the model's content, so a job loading it never sees it half-written.
    """
    return str(MODEL_DIR / f"faster-whisper-{model}")


def model_manifest(model):
    """The bundled model's identity (its files' hashes): what stages depend on."""
    return bundled_model_dir(model) + ".json"


def hub_manifest(slug):
    return str(MODEL_DIR / "hub" / f"{slug}.json")


def local_manifest(slug):
    return str(MODEL_DIR / "local" / f"{slug}.json")


@functools.cache
def model_spec(model):
    """What a configured Whisper model name is (ModelSpec); one line for a name that is none."""
    try:
        return parse_model(model)
    except ValueError as err:
        fail(f"config {err}")


@functools.cache
def translation_spec(model):
    """What a configured translation model is: a hub repository (owner/name[@revision]) or a
    local directory (ModelSpec); one line for anything else."""
    try:
        return parse_model(model, bundled=(), names={}, where="translate.models")
    except ValueError as err:
        if "no such local model directory" in str(err):
            # Passed by name, as before: the translate job says in one line that it is missing.
            return ModelSpec(model, "missing", path=model)
        fail(f"config {err}")


# The models the optional stages load: stage -> the config key that names them, which files of
# a hub repository the stage's library loads (model_manifest.FILE_SETS), whether one local file
# is a model (a demucs checkpoint, a pyannote config.yaml), and what the one-line error for a
# missing one adds. Each is a hub repository (owner/name[@revision]) or a local path.
STAGE_MODELS = {
    "align": ("align.models", "transformers", False, "a wav2vec2 CTC model"),
    "separate": (
        "separate.model",
        "all",
        True,
        "a demucs checkpoint (.th) or model repository; demucs weights are not on PyPI",
    ),
    "diarize": (
        "diarize.model",
        "all",
        True,
        "a pyannote pipeline; its weights are not on PyPI",
    ),
    "vad": (
        "vad.pyannote_model",
        "all",
        False,
        "a pyannote VAD pipeline; its weights are not on PyPI",
    ),
}
# The stages a variant may change (rules/common/variants.smk): their models are the variants'
# too; the others' are the default build's in every variant.
VARIANT_MODEL_STAGES = ("align",)


@functools.cache
def stage_model_spec(stage, value):
    """What an optional stage's configured model is (ModelSpec): a hub repository or a local
    path; one line for anything else."""
    key, _, files, what = STAGE_MODELS[stage]
    if files and Path(value).expanduser().is_file():
        return ModelSpec(value, "local", path=value)
    try:
        return parse_model(value, bundled=(), names={}, where=key)
    except ValueError as err:
        problem = str(err)
        if files:
            problem = problem.replace(
                "local model directory", "local model file or directory"
            )
        fail(f"config {problem} ({what})")


def stage_model_names(stage, cfg=None):
    """The models a stage loads in a build, as configured: none when it is off."""
    section = (cfg or config)[stage]
    if not section.get("activate"):
        return []
    if stage == "align":
        return sorted({model for model in section["models"].values() if model})
    if stage == "vad":
        wanted = section["backend"] == "pyannote" and section["pyannote_model"]
        return [section["pyannote_model"]] if wanted else []
    return [section["model"]] if section["model"] else []


def configured_stage_models():
    """(stage, ModelSpec) of every model an optional stage of a build loads."""
    found = {}
    for stage in STAGE_MODELS:
        builds = [config]
        if stage in VARIANT_MODEL_STAGES:
            builds += list(VARIANT_CONFIGS.values())
        for cfg in builds:
            for value in stage_model_names(stage, cfg):
                spec = stage_model_spec(stage, value)
                found.setdefault((stage, spec.slug), spec)
    return [(stage, spec) for (stage, _), spec in found.items()]


def stage_model_input(stage, value):
    """The manifest of an optional stage's model (none when it names none: the stage says so)."""
    return [spec_manifest(stage_model_spec(stage, value))] if value else []


def spec_manifest(spec):
    if spec.kind == "bundled":
        return model_manifest(spec.name)
    if spec.kind == "hub":
        return hub_manifest(spec.slug)
    return local_manifest(spec.slug)


def asr_model_for(language, cfg=None):
    """The Whisper model for a spoken language: asr.model itself, or its entry for the
    language in a map by language (the "default" one for others and for `auto`)."""
    model = (cfg or config)["asr"]["model"]
    return model if isinstance(model, str) else model.get(language, model["default"])


def asr_models():
    """Every model the config names."""
    model = config["asr"]["model"]
    return [model] if isinstance(model, str) else sorted(set(model.values()))


def configured_asr_models():
    """Every Whisper model the default build and the variants name."""
    models = set()
    for cfg in [config, *VARIANT_CONFIGS.values()]:
        model = cfg["asr"]["model"]
        models |= {model} if isinstance(model, str) else set(model.values())
    return sorted(models)


def model_input(model):
    """The manifest of the model a stage loads: its input, whatever kind of model it is."""
    return [spec_manifest(model_spec(model))]


def asr_model_input():
    """The manifests of the bundled models the config names (what `snakemake envs` builds)."""
    return [
        model_manifest(model)
        for model in asr_models()
        if model_spec(model).kind == "bundled"
    ]


def asr_file_set(cfg):
    """Which files of a hub repository the asr backend loads: faster-whisper's (whisperx loads
    through it too), or all of them (mlx-whisper's own format)."""
    return "all" if asr_backend_of(cfg) == "mlx-whisper" else "faster-whisper"


@functools.cache
def configured_translation_models():
    """ModelSpec of every translation model the builds name for the known language pairs: the
    films', and source_language to each of target_languages (default build and variants;
    Whisper's translate task loads the asr model). A film whose language is detected (`auto`)
    gets its model once the language is known."""
    models = {}
    for cfg in [config, *VARIANT_CONFIGS.values()]:
        pairs = {
            (configured_source_language(name), target)
            for name in MEDIA
            for target in target_languages(name)
        } | {
            (config["source_language"], target) for target in config["target_languages"]
        }
        for source, target in sorted(pairs):
            if source in ("auto", target):
                continue
            # A pair no film has may be one no backend takes (a film's is checked before any job).
            try:
                backend = translation_backend(source, target, cfg)
            except SystemExit:
                continue
            if backend != "whisper":
                spec = translation_spec(translation_model(backend, source, target, cfg))
                if spec.kind != "missing":
                    models.setdefault(spec.slug, spec)
    return tuple(models.values())


def configured_hub_models():
    """Slug -> (ModelSpec, file set) of every hub model a build names: Whisper models with the
    files their backend loads (the default build's first), translation models with what
    transformers loads."""
    models = {}
    for cfg in [config, *VARIANT_CONFIGS.values()]:
        model = cfg["asr"]["model"]
        for name in [model] if isinstance(model, str) else sorted(set(model.values())):
            spec = model_spec(name)
            if spec.kind == "hub":
                models.setdefault(spec.slug, (spec, asr_file_set(cfg)))
    for spec in configured_translation_models():
        if spec.kind == "hub":
            models.setdefault(spec.slug, (spec, "transformers"))
    for stage, spec in configured_stage_models():
        if spec.kind == "hub":
            models.setdefault(spec.slug, (spec, STAGE_MODELS[stage][1]))
    return models


def hub_model_entry(slug):
    """(ModelSpec, file set) of a hub model by its slug: a configured one, or one a detected
    language asked for later (a translation model, read back from its slug)."""
    if slug in HUB_MODELS:
        return HUB_MODELS[slug]
    owner, _, rest = slug.partition("--")
    name, _, revision = rest.partition("@")
    repo = f"{owner}/{name}"
    return ModelSpec(repo, "hub", repo=repo, revision=revision), "transformers"


MODEL_SHA256 = config.get("model_sha256") or {}


def configured_specs():
    """Every model a build names: Whisper's, translation's and the optional stages'."""
    return (
        [model_spec(m) for m in configured_asr_models()]
        + list(configured_translation_models())
        + [spec for _, spec in configured_stage_models()]
    )


def configured_model_manifests():
    """`snakemake models`: the manifest of every model the config names."""
    return sorted({spec_manifest(spec) for spec in configured_specs()})


def expected_model_sha256(spec):
    """The content sha256 model_sha256 pins for this model ("" when none): keyed by the name
    as the config writes it, or by the hub repository."""
    for key in (spec.name, spec.label, spec.repo):
        if key and key in MODEL_SHA256:
            return str(MODEL_SHA256[key]).lower()
    return ""


def get_hub_model_param(what):
    def param(wildcards):
        spec, file_set = hub_model_entry(wildcards.hub_model)
        return {"repo": spec.repo, "revision": spec.revision, "files": file_set}[what]

    return param


def get_hub_model_sha256(wildcards):
    return expected_model_sha256(hub_model_entry(wildcards.hub_model)[0])


def get_translation_model_input(wildcards):
    """The translate job's model: its manifest (none for a directory that is not there)."""
    spec = translation_spec(get_translation_model(wildcards))
    return [] if spec.kind == "missing" else [spec_manifest(spec)]


def get_bundled_model_sha256(wildcards):
    return expected_model_sha256(model_spec(wildcards.model))


def check_model_sha256():
    """Before any job: a model already here whose content is not what model_sha256 pins stops
    the run in one line."""
    for spec in configured_specs():
        expected = expected_model_sha256(spec)
        manifest = read_manifest(spec_manifest(spec)) if expected else None
        if manifest:
            problem = expected_sha256_problem(
                spec.label, spec_manifest(spec), manifest, expected
            )
            if problem:
                fail(problem)


def local_fingerprint(folder):
    """Names, sizes and dates of a local model's files (or of the one file it is): when they
    are unchanged, so is its recorded manifest (not hashed again)."""
    if folder.is_file():
        return {folder.name: [folder.stat().st_size, folder.stat().st_mtime_ns]}
    return {
        str(path.relative_to(folder)): [path.stat().st_size, path.stat().st_mtime_ns]
        for path in sorted(folder.rglob("*"))
        if path.is_file()
        and not any(p.startswith(".") for p in path.relative_to(folder).parts)
    }


def local_files(folder):
    """Relative path -> sha256 of a local model's files (a model that is one file: that file,
    by its name). Here, not in model_manifest.py: a change there is a change of model_assemble's
    code, which re-assembles the bundled model and re-runs every asr job."""
    if folder.is_file():
        return {folder.name: file_sha256(folder)}
    return hash_folder(folder)


def local_file(folder, name):
    """A file of a local model: in its directory, or the model itself (one file)."""
    return folder if folder.is_file() else folder / name


def record_local_model(spec):
    """A local model directory's manifest (its path as configured and every file's sha256) and
    a link to the directory named by its content, which the stages load (a model that is one
    file, a demucs checkpoint: a link to the file). Hashed again only when
    a file's name, size or date changed; the manifest is rewritten only when its content did, so
    a touched or re-copied directory re-runs nothing."""
    folder = Path(spec.path).expanduser()
    manifest_path = Path(local_manifest(spec.slug))
    stamp_path = manifest_path.with_name(f".{spec.slug}.stat.json")
    fingerprint = local_fingerprint(folder)
    manifest = read_manifest(manifest_path)
    stamp = read_manifest(stamp_path)
    if manifest is None or stamp != {"fingerprint": fingerprint}:
        files = local_files(folder)
        if not files:
            fail(f"model {spec.path!r} holds no files")
        sizes = {name: local_file(folder, name).stat().st_size for name in files}
        sha256 = make_manifest(spec.label, {}, files, {})["sha256"]
        document = make_manifest(
            spec.label,
            {"local": spec.path},
            files,
            sizes,
            content_folder(spec.slug, sha256),
        )
        manifest_path.parent.mkdir(parents=True, exist_ok=True)
        if manifest != document:
            write_text_atomic(manifest_text(document), manifest_path)
        write_text_atomic(json.dumps({"fingerprint": fingerprint}), stamp_path)
        manifest = document
    link = manifest_path.with_name(manifest["folder"])
    target = os.path.relpath(folder.resolve(), link.parent.resolve())
    if not link.is_symlink() or os.readlink(link) != target:
        tmp = link.with_name(f".{link.name}.link-{os.getpid()}")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(target)
        os.replace(tmp, link)


def record_local_models():
    for spec in configured_specs():
        if spec.kind == "local":
            record_local_model(spec)


def check_models_fetchable():
    """onstart: a hub model this run must fetch while the hub cannot be reached stops the run
    before any job, in one line naming the model and the command that fetches it."""
    from subtitles_workflow.hub import hub_reachable

    jobs = [wildcards["hub_model"] for wildcards in jobs_to_run("model_fetch")]
    if not jobs or hub_reachable():
        return
    offline = " (HF_HUB_OFFLINE=1)" if os.environ.get("HF_HUB_OFFLINE") == "1" else ""
    hub = f"the Hugging Face hub ({os.environ.get('HF_ENDPOINT', 'https://huggingface.co')}) cannot be reached{offline}"
    absent = [slug for slug in jobs if not os.path.exists(hub_manifest(slug))]
    if absent:
        names = [hub_model_entry(slug)[0].label for slug in absent]
        fail(
            f"model {', '.join(sorted(names))} is not in {MODEL_DIR} and {hub}; "
            "fetch it where the hub is reachable with: snakemake models"
        )
    names = [hub_model_entry(slug)[0].label for slug in jobs]
    fail(
        f"model {', '.join(sorted(names))} cannot be fetched again: {hub}; the copy in {MODEL_DIR} "
        "is still there, and a run without --forcerun model_fetch uses it"
    )


def get_asr_model(wildcards):
    """The Whisper model of the film's language in the job's build."""
    language = configured_source_language(wildcards.name)
    return asr_model_for(language, config_for(wildcards))


def get_asr_model_input(wildcards):
    return model_input(get_asr_model(wildcards))


def get_align_model_input(wildcards):
    """The alignment model of the film's language: its manifest (none without one)."""
    return stage_model_input("align", get_align_model(wildcards))


def default_stage_model_input(stage):
    """The default build's model of a stage no variant changes (separate, diarize, vad)."""
    names = stage_model_names(stage)
    return stage_model_input(stage, names[0]) if names else []


SEPARATE_MODEL_INPUT = default_stage_model_input("separate")
DIARIZE_MODEL_INPUT = default_stage_model_input("diarize")
VAD_MODEL_INPUT = default_stage_model_input("vad")


# One model for every film (asr.model a name): a plain param and input, not per-job functions
# (2000 calls cost ~0.1 s of a run over 1000 films, bench/b4_orchestration.py).
ASR_MODEL = (
    config["asr"]["model"] if isinstance(config["asr"]["model"], str) else get_asr_model
)
ASR_MODEL_INPUT = (
    model_input(config["asr"]["model"])
    if isinstance(config["asr"]["model"], str)
    else get_asr_model_input
)
