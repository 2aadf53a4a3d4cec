# Variants (config variants, issue 18): `snakemake variants` builds every variant's subtitles
# (or one: --config variant=NAME) into out/variants/<variant>/ and the comparison table;
# `snakemake promote_variant --config variant=NAME` makes a variant the default.


rule variants:
    input:
        get_variant_targets,
    localrule: True


# What compare_variants compares (which files of which builds), as a file: the list outgrows
# one command-line argument (128 kB) with many films. Rewritten when the list changes.
rule compare_manifest:
    output:
        manifest=f"{WORK_DIR}/variants/compare.manifest.json",
    log:
        "logs/variants/compare_manifest.log",
    localrule: True
    params:
        manifest=get_compare_manifest,
    run:
        write_compare_manifest(params.manifest, output.manifest, log[0])


# One row per film and build (default included): WER and chrF against references, agreement
# with the default, the QC counts, the rebuilt stages' time and memory; and a cue-by-cue diff.
rule compare_variants:
    input:
        **stage_inputs("compare_variants", env="report"),
        manifest=f"{WORK_DIR}/variants/compare.manifest.json",
        files=get_compare_inputs,
    output:
        table=report(
            "out/variants/compare.tsv",
            caption="../report/variants.rst",
            category="variants",
            labels={"table": "compare"},
        ),
        diff=report(
            "out/variants/cue_diff.tsv",
            caption="../report/variants_diff.rst",
            category="variants",
            labels={"table": "cue diff"},
        ),
        page=report(
            "out/variants/compare.html",
            caption="../report/variants.rst",
            category="variants",
            labels={"table": "side by side"},
        ),
    log:
        "logs/variants/compare.log",
    conda:
        "../envs/report.yaml"
    params:
        **stage_params("compare_variants", env="report"),
    shell:
        "{params.python:q} {params.code:q} --manifest @{input.manifest:q}"
        " --table {output.table:q} --diff {output.diff:q} --page {output.page:q}"
        " > {log:q} 2>&1"


# Writes the chosen variant's override into config/config.yaml; the default build then adopts
# the variant's artifacts (docs/variants.md: "Trying a new model or library version safely").
rule promote_variant:
    log:
        "logs/variants/promote.log",
    localrule: True
    run:
        promote_variant(log[0])


# After promote_variant: `snakemake adopt_variant --touch` records the copied artifacts as built
# with the promoted config (Snakemake's --touch stores their params and code like a run), so
# the default build re-runs none of them; what they feed (mux, report) is rebuilt as usual.
rule adopt_variant:
    input:
        get_adopted_artifacts,
    localrule: True


ruleorder: compare_variants > unknown_target
