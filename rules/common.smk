# Python shared by the rules, one file per concern in rules/common/ (base.smk, which the
# Snakefile includes before it reads the config, and those below). Those files hold functions
# and constants only. While the workflow is parsed it reads the config (common/config.smk), the
# media table and the probe cache (common/media.smk, which probes new films) and the code-facts
# cache behind each stage's code digest (common/stages.smk); the two calls below check the
# configured language pairs and name an env whose folder is gone. What touches Snakemake's
# internals is in rules/hooks.smk. No rules here.


include: "hooks.smk"
include: "common/config.smk"


read_config()


include: "common/variants.smk"
include: "common/envs.smk"
include: "common/models.smk"
include: "common/stages.smk"
include: "common/media.smk"
include: "common/languages.smk"
include: "common/params.smk"
include: "common/translation.smk"
include: "common/outputs.smk"
include: "common/report.smk"


check_translation_pairs()
check_variant_names()
note_missing_envs()


# `name` is any file name: an alternation of the films' names made every path pattern ~10 kB
# long with 1000 films and Snakemake's matching 4x slower. Unknown names fail in film_path();
# `lang`, `fmt` and `video_format` keep the paths out/ holds unambiguous.
wildcard_constraints:
    name="[^/]+",
    lang="[a-z]{2,3}",
    fmt="srt|vtt|ass",
    video_format="mkv|mp4",
    env="|".join(ENVS),
    model="|".join(re.escape(m) for m in BUNDLED_MODELS),
