# What a plain `snakemake` builds for each film, and one line for a path in out/ that no rule
# writes. Functions and constants only.

import re


def get_final_outputs(wildcards):
    """The outputs of the films whose spoken language is known (`auto` films: below)."""
    outputs = []
    for name in MEDIA:
        if configured_source_language(name) != "auto":
            outputs += film_outputs(name)
    return outputs


def auto_film_outputs(name):
    """An `auto` film's outputs, as an input function of its own: each waits for its own
    detected_language checkpoint, so all of them are planned and run at once, and a film that
    stops (asr.language_fallback: stop) stops no other. In one function, the first film whose
    language was not yet known hid every later one until its asr was done, and its failure
    ended the run for them all."""
    return lambda wildcards: film_outputs(name)


# rule all's inputs besides get_final_outputs (Snakefile).
AUTO_FILM_OUTPUTS = [
    auto_film_outputs(name)
    for name in MEDIA
    if configured_source_language(name) == "auto"
]


def film_outputs(name):
    outputs = []
    for lang in subtitle_languages(name):
        outputs += [f"out/{name}.{lang}.{fmt}" for fmt in config["subtitle_formats"]]
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


def artifact_paths(tree):
    """The paths in out/ the rules write, as a regex, with `tree` the pattern of the variant
    folder a stage's outputs may sit in."""
    return (
        rf"{tree}[^/]+\.[a-z]{{2,3}}\.(?:srt|vtt|ass)"  # subtitles_render, variant_subtitles_render
        r"|[^/]+(?<!\.burned)\.(?:mkv|mp4)"  # mux_video
        r"|[^/]+\.[a-z]{2,3}\.burned\.mp4"  # subtitles_burn
        r"|variants/(?:compare\.(?:tsv|html)|cue_diff\.tsv)"  # compare_variants
    )


# unknown_target's wildcard leaves out the paths the rules write (the variants configured),
# so Snakemake never makes it a candidate job beside the one that writes a path (2000 jobs
# more in the plan of 1000 films, each with its input function, only for the rule order to
# drop them).
CONFIGURED_VARIANT_FOLDER = (
    "(?:variants/(?:" + "|".join(re.escape(n) for n in sorted(VARIANT_CONFIGS)) + ")/)?"
    if VARIANT_CONFIGS
    else ""
)
UNKNOWN_TARGET = rf"(?!(?:{artifact_paths(CONFIGURED_VARIANT_FOLDER)})$).+"
# The paths in out/ a rule could write under some config. Snakemake plans every rule whose
# output matches a target before it applies the rule order, so reject_target must leave these
# alone itself (e.g. out/variants/<name>/... of a variant not configured).
OUT_ARTIFACTS = re.compile(artifact_paths(r"(?:variants/[^/]+/)?"))


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
    if re.fullmatch(r"[^/]+\.[a-z]{2,3}\.burned\.\w+", wildcards.target):
        fail(
            f"{target}: a burn-in is always mp4; ask for {target.rsplit('.', 1)[0]}.mp4"
        )
    fail(
        f"{target}: not an artifact of this workflow; out/ holds <name>.<lang>.srt|vtt|ass, "
        "<name>.mp4 (mp4 films) or <name>.mkv (other videos), and <name>.<lang>.burned.mp4"
    )
