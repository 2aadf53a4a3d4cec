# Variants (issue 18): experiments side by side. `variants:` maps a name to a partial config
# override; a variant's config is the config with its override merged in, checked against the
# same schema. A variant rebuilds only the stages its override changes and every stage after
# them, under the path prefix `variants/<name>/`; every other stage's artifact is the default
# one, as a plain input. The stage rules know nothing of variants: rules/variants.smk lays a
# copy of each over them, with a `{variant}` wildcard, whose inputs and params are the per-job
# functions at the end of this file. Functions and constants only.

import copy
import re

from subtitles_workflow.config_check import config_problem

VARIANT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
# The stages a variant can change, in build order, with the config sections each reads and
# the stages it reads from. A stage is varied when the override touches one of its sections,
# or any stage it reads from is varied.
VARIANT_STAGES = {
    "asr": {"sections": ("asr", "envs.asr"), "upstream": ()},
    "timing": {"sections": ("timing",), "upstream": ("asr",)},
    "align": {"sections": ("align", "envs.align"), "upstream": ("asr", "timing")},
    "translate": {"sections": ("translate",), "upstream": ("asr", "timing", "align")},
    "subtitles": {
        "sections": ("subtitles", "ass_style", "envs.subtitles"),
        "upstream": ("asr", "timing", "align", "translate"),
    },
}
# The settings of the stages before asr (demux, separate, vad), of the stages beside it
# (diarize, shots) and of the whole build are the default build's in every variant.
SECTION_STAGES = {
    section: stage
    for stage, facts in VARIANT_STAGES.items()
    for section in facts["sections"]
}


def merged(base, override):
    """`base` with `override` merged in, mapping by mapping (anything else replaces)."""
    result = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merged(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def touched_sections(override):
    """The config sections an override sets: top-level keys, and envs.<stage> for envs."""
    return [
        f"envs.{stage}" if key == "envs" else key
        for key, value in override.items()
        for stage in (value if key == "envs" and isinstance(value, dict) else [None])
    ]


def varied_stages(override):
    """The stages a variant rebuilds, in build order."""
    touched = {
        SECTION_STAGES[s] for s in touched_sections(override) if s in SECTION_STAGES
    }
    varied = []
    for stage, facts in VARIANT_STAGES.items():
        if stage in touched or any(up in varied for up in facts["upstream"]):
            varied.append(stage)
    return varied


def check_env_specs(cfg, where):
    for stage, spec in cfg.get("envs", {}).items():
        if not (PROJECT / spec).is_file():
            fail(
                f"{where}envs.{stage}: {spec} does not exist; copy envs/"
                f"{STAGE_ENV_NAMES.get(stage, stage)}.yaml to it and change what you want to try"
            )


# The env each stage the `envs` section can point elsewhere runs on by default.
STAGE_ENV_NAMES = {"asr": "asr", "align": "align", "subtitles": "subtitles"}


def variant_config(name, override):
    """The variant's effective config, or one line on what is wrong with it."""
    where = f"config variants.{name}: "
    if not VARIANT_NAME.fullmatch(str(name)):
        fail(
            f"{where}a variant name is letters, digits, '_' and '-' (starting with a letter "
            f"or digit), so that out/variants/{name}/ is one plain folder"
        )
    if name == "default":
        fail(f"{where}'default' names the default build in out/variants/compare.tsv")
    if not isinstance(override, dict) or not override:
        fail(
            f"{where}an override is a mapping of the settings to try (e.g. asr: {{model: tiny.en}})"
        )
    for section in touched_sections(override):
        if section in ("variants", "variant"):
            fail(f"{where}a variant cannot hold {section}")
    # --config values come as text (translate.num_beams=2 as '2'): typed as the schema says
    override = typed(override, CONFIG_SCHEMA)
    config["variants"][name] = override
    effective = merged(config, override)
    problem = config_problem(
        effective, CONFIG_SCHEMA, {}, (), workflow_configfile=f"variants.{name}"
    )
    if problem:
        fail(problem)
    for section in touched_sections(override):
        if section not in SECTION_STAGES:
            fail(
                f"{where}{section} is the same in every variant (it belongs to the default "
                "build); a variant may change " + ", ".join(sorted(SECTION_STAGES))
            )
    if not varied_stages(override):  # e.g. envs: {}
        fail(
            f"{where}it changes no stage (it would be the default build); a variant may "
            "change " + ", ".join(sorted(SECTION_STAGES))
        )
    check_env_specs(effective, where)
    return effective


def read_variants():
    """Every variant's config, checked before any job."""
    check_env_specs(config, "config ")
    configs = {
        name: variant_config(name, override)
        for name, override in config["variants"].items()
    }
    chosen = config["variant"]
    if chosen and chosen not in configs:
        fail(
            f"--config variant={chosen}: no such variant; config variants has "
            + (", ".join(sorted(configs)) or "none")
        )
    return configs


VARIANT_CONFIGS = read_variants()
VARIANT_STAGES_OF = {
    name: varied_stages(config["variants"][name]) for name in VARIANT_CONFIGS
}


def check_variant_names():
    """A variant named like a film would make out/variants/<name>/ ambiguous to read."""
    for name in VARIANT_CONFIGS:
        if name in MEDIA:
            fail(
                f"config variants.{name}: a film in in/ has this name; name the variant "
                "after what it tries (e.g. tiny-model)"
            )


def variant_tree(name):
    return f"variants/{name}/" if name else ""


def tree_variant(tree):
    return tree[len("variants/") : -1] if tree else ""


def tree_config(tree):
    """The config of the build a path prefix belongs to."""
    return VARIANT_CONFIGS[tree_variant(tree)] if tree else config


def wildcards_tree(wildcards):
    """The job's build as a path prefix: "" for the default build's rules, variants/<name>/
    for the variant layer's (their `variant` wildcard)."""
    return variant_tree(getattr(wildcards, "variant", ""))


def config_for(wildcards):
    """The config of the job's build: the default's, or its variant's."""
    return tree_config(wildcards_tree(wildcards))


def stage_tree(stage, tree):
    """Where `stage`'s artifact of this build lives: the variant's tree when the variant
    changes the stage, else the default's ("")."""
    return tree if tree and stage in VARIANT_STAGES_OF[tree_variant(tree)] else ""


def variants_varying(stage):
    """The variants that rebuild `stage`, as the `variant` wildcard's constraint of the stage's
    layer rules (which exist only when there is one)."""
    names = [
        name for name in sorted(VARIANT_CONFIGS) if stage in VARIANT_STAGES_OF[name]
    ]
    return "|".join(re.escape(name) for name in names)


def chosen_variants():
    chosen = config["variant"]
    return [chosen] if chosen else sorted(VARIANT_CONFIGS)


def variant_subtitles(name, tree):
    """A build's subtitle files of one film (the default formats and languages)."""
    return [
        f"out/{tree}{name}.{lang}.{fmt}"
        for lang in subtitle_languages(name)
        for fmt in config["subtitle_formats"]
    ]


# compare_variants' outputs (Snakemake checks only the outputs a target asks for)
VARIANT_TABLES = ("compare.tsv", "cue_diff.tsv", "compare.html")


def get_variant_targets(wildcards):
    """`snakemake variants`: every chosen variant's subtitles of every film, and the table."""
    if not VARIANT_CONFIGS:
        fail(
            "snakemake variants: config variants is empty; declare one, e.g. "
            "--config 'variants={tiny: {asr: {model: tiny.en}}}' (docs/variants.md: Trying a new "
            "model or library version safely)"
        )
    return [
        path
        for variant in chosen_variants()
        for name in MEDIA
        for path in variant_subtitles(name, variant_tree(variant))
    ] + [f"out/variants/{table}" for table in VARIANT_TABLES]


def compared_rows():
    """What compare.tsv compares: the default build and each chosen variant, per film."""
    rows = []
    for variant in [""] + chosen_variants():
        tree = variant_tree(variant)
        for name in MEDIA:
            stages = rebuilt_stages(variant, name) if variant else []
            languages = subtitle_languages(name)
            rows.append(
                {
                    "variant": variant or "default",
                    "film": name,
                    "source_language": get_source_language(name),
                    "stages": stages,
                    "subtitles": {
                        lang: f"out/{tree}{name}.{lang}.srt" for lang in languages
                    },
                    "qc": {
                        lang: f"{WORK_DIR}/{tree}qc/{name}.{lang}.srt.json"
                        for lang in languages
                    },
                    "references": film_references(name),
                    "benchmarks": variant_benchmarks(name, tree, stages),
                }
            )
    return rows


def variant_benchmarks(name, tree, stages):
    """The benchmark files of the stages a variant rebuilt (for the default: its asr)."""
    found = {}
    for stage in stages or ["asr"]:
        if stage in ("asr", "timing", "align"):
            found[stage] = [f"benchmarks/{tree}{stage}/{name}.tsv"]
        elif stage == "translate":
            found[stage] = sorted(
                str(path)
                for path in Path(f"benchmarks/{tree}translate").glob(f"*/{name}.*.tsv")
            )
    return found


def get_compare_inputs(wildcards):
    return [
        path
        for row in compared_rows()
        for kind in ("subtitles", "qc")
        for path in row[kind].values()
    ] + [path for row in compared_rows() for path in row["references"].values()]


def get_compare_manifest(wildcards):
    """The rows as one JSON param (a plain value: another set of rows re-runs compare)."""
    return json.dumps(compared_rows(), sort_keys=True)


def stage_artifacts(stage, name, tree):
    """The files a stage made for one film in a build (none when the stage is off there)."""
    cfg = tree_config(tree)
    source = configured_source_language(name)
    if stage == "asr":  # and Whisper's translations as decoded
        return [f"{WORK_DIR}/{tree}asr/{name}.json"] + [
            f"{WORK_DIR}/{tree}asr/translate/{name}.{lang}.json"
            for lang in target_languages(name)
            if lang != source
            and source != "auto"
            and translation_backend(source, lang, cfg) == "whisper"
        ]
    if stage == "timing":
        return [f"{WORK_DIR}/{tree}timing/{name}.json"]
    if stage == "align":
        return (
            [f"{WORK_DIR}/{tree}align/{name}.json"] if cfg["align"]["activate"] else []
        )
    if stage == "translate":
        return [
            f"{WORK_DIR}/{tree}translate/{translation_backend(source, lang, cfg)}/{name}.{lang}.json"
            for lang in target_languages(name)
            if lang != source and source != "auto"
        ]
    return [
        path
        for lang in subtitle_languages(name)
        for fmt in config["subtitle_formats"]
        for path in (
            f"out/{tree}{name}.{lang}.{fmt}",
            f"{WORK_DIR}/{tree}qc/{name}.{lang}.{fmt}.json",
        )
    ]


def rebuilt_stages(variant, name):
    """The stages whose jobs a variant ran for a film (a varied stage that is off makes none)."""
    tree = variant_tree(variant)
    return [s for s in VARIANT_STAGES_OF[variant] if stage_artifacts(s, name, tree)]


ADOPTED_LIST = f"{WORK_DIR}/variants/adopted.txt"


def write_compare_manifest(manifest, output, log):
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    Path(output).write_text(manifest)
    Path(log).write_text(f"{output}: {len(json.loads(manifest))} rows\n")


def promote_variant(log):
    """Write the chosen variant's override into config/config.yaml (comments kept), copy its
    artifacts of the stages it rebuilt over the default ones, and list those in
    work/variants/adopted.txt for `snakemake adopt_variant --touch`, which records them as
    built with the new config (so nothing identical is rebuilt)."""
    import shutil

    from subtitles_workflow.yaml_edit import set_values

    variant = config["variant"]
    if not variant:
        fail("promote_variant: name the variant: --config variant=NAME")
    path = PROJECT / "config" / "config.yaml"
    text = path.read_text(encoding="utf-8")
    try:
        path.write_text(set_values(text, config["variants"][variant]), encoding="utf-8")
    except ValueError as err:
        fail(f"promote_variant: {err}")
    tree = variant_tree(variant)
    adopted = []
    for name in MEDIA:
        for stage in VARIANT_STAGES_OF[variant]:
            for source in stage_artifacts(stage, name, tree):
                target = source.replace(tree, "", 1)
                if Path(source).is_file():
                    Path(target).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(source, target)
                    adopted.append(target)
    Path(ADOPTED_LIST).parent.mkdir(parents=True, exist_ok=True)
    Path(ADOPTED_LIST).write_text("".join(f"{p}\n" for p in adopted))
    message = (
        f"config/config.yaml now holds variant {variant}'s settings "
        f"{json.dumps(config['variants'][variant], sort_keys=True)}; {len(adopted)} of its "
        f"files copied over the default ones (listed in {ADOPTED_LIST}). Record them as "
        f"built, so that nothing identical re-runs:\n  snakemake adopt_variant --touch\n"
        f"then remove variants.{variant} from config/config.yaml"
    )
    Path(log).write_text(f"{message}\n")
    print(message, file=sys.stderr)


def get_adopted_artifacts(wildcards):
    """The artifacts promote_variant copied over the default ones (none before it ran)."""
    path = Path(ADOPTED_LIST)
    return path.read_text().split() if path.is_file() else []


# The variant layer's inputs and params (rules/variants.smk): what the default build's rules
# hold as plain values, per job for the job's build. The default rules' own per-job functions
# (get_asr_model, subtitle_render, ...) read `config_for(wildcards)` and serve both.


def variant_env_input(stage):
    """A stage's env stamp in the job's build (a variant may swap the env)."""

    def stage_env_stamp(wildcards):
        return env_input(stage_env_for(stage, config_for(wildcards)))

    return stage_env_stamp


def variant_python(stage):
    """How a stage's job runs its script, on the env of the job's build."""

    def stage_python(wildcards):
        return env_python(stage_env_for(stage, config_for(wildcards)))

    return stage_python


def variant_asr_script(wildcards):
    """The asr script of the job's build (a variant may switch the backend)."""
    return ASR_BACKEND_SCRIPTS[asr_backend_of(config_for(wildcards))]


def get_variant_asr_code(wildcards):
    return stage_code(variant_asr_script(wildcards))


def get_variant_asr_code_digest(wildcards):
    return code_digest(variant_asr_script(wildcards))


def variant_options(block, keys):
    """config_options of the job's build."""
    return lambda wildcards: config_options(block, keys, config_for(wildcards))


def variant_asr_options(keys, task=None):
    """asr_decoding_options of the job's build."""
    return lambda wildcards: asr_decoding_options(keys, config_for(wildcards), task)


def get_variant_transcript(wildcards):
    """The transcript later stages of the job's build read (timing's, or align's)."""
    return get_transcript(wildcards.name, wildcards_tree(wildcards))


def in_stage_build(stage, pattern):
    """`pattern` (a path under work/, with the job's wildcards) in the build that made `stage`'s
    artifact for the job: the variant's tree when the variant changes the stage, else the
    default build's (timing reads the default's asr transcript unless asr is varied too).
    """

    def path(wildcards):
        tree = stage_tree(stage, wildcards_tree(wildcards))
        within = pattern.format(**dict(wildcards.items()))
        return f"{WORK_DIR}/{tree}{within}"

    return path
