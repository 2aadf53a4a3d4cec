# The options that shape an artifact, each as one plain param (a JSON string or a value), so
# that changing any of them re-runs the stage and an equal setting spelled differently does
# not. Functions and constants only.

# A film's names and terms: per film (media sheet, glossary), so their own param.
VOCABULARY_KEYS = ("initial_prompt", "hotwords")


def config_options(block, keys, cfg=None):
    """The named keys of one config block (the schema's defaults filled in) as one JSON
    string: a plain param, so changing any of them re-runs the stage, and an equal setting
    spelled differently does not. Each rule names the keys it passes; every key of a
    stage's block reaches a rule (tests/unit/test_settings.py)."""
    values = (cfg or config)[block]
    return json.dumps({key: values[key] for key in keys}, sort_keys=True)


def asr_decoding_options(keys, cfg=None, task=None):
    """The named asr keys as one JSON string, with `auto` resolved on this machine, so equal
    settings are equal params: the device, compute type and batch size, and for decoding the
    backend. Whisper's translate task adds `task` and keeps `backend` as configured (its rule
    runs faster-whisper whatever it says; resolving it now would re-run every built
    translation). On a cluster whose nodes differ from the machine running Snakemake, set
    asr.device in config."""
    from subtitles_workflow.hardware import resolve_options_here

    cfg = cfg or config
    options = resolve_options_here(
        {key: cfg["asr"][key] for key in keys}, asr_backend_of(cfg)
    )
    added = {"task": task} if task else {"backend": asr_backend_of(cfg)}
    return json.dumps({**options, **added}, sort_keys=True)


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
    if has_film_vocabulary()
    else vocabulary_json(config["asr"]["initial_prompt"], config["asr"]["hotwords"])
)


def get_align_model(wildcards):
    """The alignment model for the film's language ("" when none: the stage passes through)."""
    models = config_for(wildcards)["align"]["models"]
    return models.get(get_source_language(wildcards.name), "")


def subtitle_render(style_keys, ass_keys):
    """What a subtitles job is told, as one plain (hashed) param per job (one call per job:
    2000 jobs in a plan of 1000 films): `style`, the named subtitle and (for .ass only, so
    restyling ASS does not re-render SRT) ASS keys as one JSON string, with the reading speed
    of the cue language (the configured fps, which the job replaces with the film's own frame
    rate), and the film and its fingerprint (picture_source)."""

    def render(wildcards):
        cfg = config_for(wildcards)
        style = {key: cfg["subtitles"][key] for key in style_keys}
        cps = style["max_cps"]
        style["max_cps"] = cps.get(wildcards.lang, cps["default"])
        if wildcards.fmt == "ass":
            style["ass"] = {key: cfg["ass_style"][key] for key in ass_keys}
        return {
            "style": json.dumps(style, sort_keys=True),
            **picture_source(wildcards.name),
        }

    return render
