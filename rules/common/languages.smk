# Which language each film speaks and which subtitle languages it gets: config, then the media
# sheet's row for the film, then (for `auto`) the language Whisper detected. Functions only.


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
    document = json.loads(Path(transcript).read_text())
    language = document["language"]
    # Written in place: Snakemake removes a failed job's output.
    Path(output).write_text(f"{language}\n")
    # Below asr.language_threshold: the asr job's warning line (and the fallback it used).
    warning = document.get("language_warning")
    Path(log).write_text(
        f"{transcript}: detected language {language}\n"
        + (f"warning: {warning}\n" if warning else "")
    )


def get_asr_language(wildcards):
    return configured_source_language(wildcards.name)


# What the asr stage does with an `auto` film whose detection is unsure (asr.language_threshold,
# asr.language_fallback; scripts/subtitles_workflow/language_id.py). Not decoding options: a
# param of `auto` films only, so changing them re-runs no film whose language is known.
def get_language_policy(wildcards):
    if configured_source_language(wildcards.name) != "auto":
        return ""
    asr = config_for(wildcards)["asr"]
    return json.dumps(
        {"fallback": asr["language_fallback"], "threshold": asr["language_threshold"]},
        sort_keys=True,
    )


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
