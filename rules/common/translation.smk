# Translation: which backend and model translate a language pair, and which file a subtitle
# language renders from (the transcript, or its translation). Functions only.

from subtitles_workflow.languages import backend_codes, default_backend


def translation_backend(source, target, cfg=None):
    """The configured backend for this pair ("hi-en", then "*-en", "hi-*"), else the default;
    an unsupported pair stops the run with one line listing what is supported."""
    backends = (cfg or config)["translate"]["backends"]
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


def translation_model(backend, source, target, cfg=None):
    """Hub id or local directory; IndicTrans2 has one model per direction."""
    models = (cfg or config)["translate"]["models"]
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
    cfg = config_for(wildcards)
    return translation_model(wildcards.backend, source, wildcards.lang, cfg)


def check_translation_pairs():
    """Fail before any job on a pair no backend supports (films with a known language)."""
    for name in MEDIA:
        source = configured_source_language(name)
        if source != "auto":
            for target in target_languages(name):
                if target != source:
                    translation_backend(source, target)


def get_subtitle_transcript(wildcards):
    """The spoken language renders from the transcript; any other from its translation."""
    tree = wildcards_tree(wildcards)
    check_language(
        wildcards.lang,
        f"out/{tree}{wildcards.name}.{wildcards.lang}.{wildcards.fmt}",
        allow_auto=False,
    )
    source = get_source_language(wildcards.name)
    if wildcards.lang == source:
        return get_transcript(wildcards.name, tree)
    backend = translation_backend(source, wildcards.lang, tree_config(tree))
    translations = f"{WORK_DIR}/{stage_tree('translate', tree)}translate"
    return f"{translations}/{backend}/{wildcards.name}.{wildcards.lang}.json"
