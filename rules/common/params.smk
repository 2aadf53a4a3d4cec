# The options that shape an artifact, each as one plain param (a JSON string or a value), so
# that changing any of them re-runs the stage and an equal setting spelled differently does
# not. Functions and constants only.

# A film's names and terms: per film (media sheet, glossary), so their own param.
VOCABULARY_KEYS = ("initial_prompt", "hotwords")


def asr_decoding_options(cfg=None):
    """The asr config block without what is not a decoding option (the model is its own
    param; the worker is a resource), with `auto` resolved on this machine (as the backend
    is), so equal settings are equal params. On a cluster whose nodes differ from the
    machine running Snakemake, set asr.device in config."""
    from subtitles_workflow.hardware import resolve_options_here

    cfg = cfg or config
    options = {
        k: v
        for k, v in cfg["asr"].items()
        if k not in ("model", "worker") + VOCABULARY_KEYS + LANGUAGE_POLICY_KEYS
    }
    return resolve_options_here(options, asr_backend_of(cfg))


def asr_options(cfg=None):
    """ASR decoding options as one JSON string: a plain value, so changing any re-runs asr."""
    cfg = cfg or config
    return json.dumps(
        {**asr_decoding_options(cfg), "backend": asr_backend_of(cfg)}, sort_keys=True
    )


def whisper_translate_options(cfg=None):
    return json.dumps(
        {**asr_decoding_options(cfg), "task": "translate"}, sort_keys=True
    )


def get_asr_options(wildcards):
    return asr_options(config_for(wildcards))


def get_whisper_translate_options(wildcards):
    return whisper_translate_options(config_for(wildcards))


ASR_OPTIONS = by_tree(asr_options(), get_asr_options)
WHISPER_TRANSLATE_OPTIONS = by_tree(
    whisper_translate_options(), get_whisper_translate_options
)


def timing_options(cfg=None):
    """The timing config block as one JSON string: a plain value, so changing it re-runs timing."""
    return json.dumps((cfg or config)["timing"], sort_keys=True)


def get_timing_options(wildcards):
    return timing_options(config_for(wildcards))


TIMING_OPTIONS = by_tree(timing_options(), get_timing_options)


def glossary_path(name):
    return INPUT_DIR / f"{name}.glossary.txt"


def glossary_terms(name):
    """in/<name>.glossary.txt: one term a line; blank lines and `#` comments left out, and
    invisible characters (a BOM, zero-width spaces) too: they would reach Whisper's hotwords.
    UTF-8, else Windows-1252 with a note (scripts/subtitles_workflow/text_input.py)."""
    from subtitles_workflow.text_input import (
        TextInputError,
        read_user_text,
        visible_text,
    )

    path = glossary_path(name)
    if not path.is_file():
        return []
    try:
        text, note = read_user_text(path)
    except TextInputError as err:
        fail(str(err))
    if note and snakemake_invocation() != "job":
        print(f"note: {note}", file=sys.stderr)
    terms = (visible_text(line.split("#", 1)[0]) for line in text.splitlines())
    return [term for term in terms if term]


def film_vocabulary(name, cfg=None):
    """The film's initial prompt and hotwords (media sheet, else config; the glossary's terms
    join the hotwords) as one JSON string: its content, not a file's mtime, makes asr stale.
    """
    asr = (cfg or config)["asr"]
    prompt = media_setting(name, "initial_prompt", asr["initial_prompt"])
    hotwords = media_setting(name, "hotwords", asr["hotwords"])
    hotwords = " ".join(part for part in [hotwords, *glossary_terms(name)] if part)
    return vocabulary_json(prompt, hotwords)


def vocabulary_json(prompt, hotwords):
    return json.dumps(
        {"initial_prompt": prompt, "hotwords": hotwords},
        ensure_ascii=False,
        sort_keys=True,
    )


def get_asr_vocabulary(wildcards):
    return film_vocabulary(wildcards.name, config_for(wildcards))


def has_film_vocabulary():
    """Whether any film has its own prompt, hotwords or glossary."""
    per_film = any(
        row.get(key) for row in MEDIA_SHEET.values() for key in VOCABULARY_KEYS
    )
    return per_film or any(INPUT_DIR.glob("*.glossary.txt"))


# The same vocabulary for every film unless one has its own: then a per-film function.
ASR_VOCABULARY = (
    get_asr_vocabulary
    if has_film_vocabulary() or VARIANT_CONFIGS
    else vocabulary_json(config["asr"]["initial_prompt"], config["asr"]["hotwords"])
)


def get_align_model(wildcards):
    """The alignment model for the film's language ("" when none: the stage passes through)."""
    models = config_for(wildcards)["align"]["models"]
    return models.get(get_source_language(wildcards.name), "")


def translation_options(cfg=None):
    options = {
        k: v
        for k, v in (cfg or config)["translate"].items()
        if k not in ("backends", "models")
    }
    return json.dumps(options, sort_keys=True)


def get_translation_options(wildcards):
    return translation_options(config_for(wildcards))


TRANSLATION_OPTIONS = by_tree(translation_options(), get_translation_options)


def get_subtitle_render(wildcards):
    """What a subtitles job is told, as one plain (hashed) param (one call per job: 2000 jobs
    in a plan of 1000 films): `style`, the subtitle rules for this film, language and format
    as one JSON string (the language's reading speed; for .ass only the ASS styling, so
    restyling ASS does not re-render SRT; the configured fps, which the job replaces with the
    film's own frame rate), and the film and its fingerprint (picture_source)."""
    cfg = config_for(wildcards)
    style = dict(cfg["subtitles"])
    cps = style.pop("max_cps")
    style["max_cps"] = cps.get(wildcards.lang, cps["default"])
    if wildcards.fmt == "ass":
        style["ass"] = cfg["ass_style"]
    return {
        "style": json.dumps(style, sort_keys=True),
        **picture_source(wildcards.name),
    }
