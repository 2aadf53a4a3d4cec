# The per-film QC report's inputs and arguments. Functions only.


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
