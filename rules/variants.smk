# Variants (config variants, issue 18): `snakemake variants` builds every variant's subtitles
# (or one: --config variant=NAME) into out/variants/<variant>/ and the comparison table;
# `snakemake promote_variant --config variant=NAME` makes a variant the default.


# The variant layer: each stage rule a variant may change, laid over as a copy whose outputs,
# log and benchmark sit under variants/<variant>/ and whose inputs and params are those of the
# job's build (common/variants.smk). Snakemake keeps the stage rule's shell, threads, resources
# and env, merges the params given here over its own, and replaces inputs, outputs, log,
# benchmark and wildcard constraints whole. The params a copy does not restate are the same in
# every build or read the job's build themselves (tests/unit/test_variant_layer.py lists them).
# A copy exists only when some variant changes its stage, and its `variant` wildcard matches
# only those variants.

if variants_varying("asr"):

    use rule asr_transcribe as variant_asr_transcribe with:
        input:
            env=variant_env_input("asr"),
            wav=ASR_AUDIO,
            regions=VAD_REGIONS,
            model=get_asr_model_input,
        output:
            transcript=f"{WORK_DIR}/variants/{{variant}}/asr/{{name}}.json",
        log:
            "logs/variants/{variant}/asr/{name}.log",
        benchmark:
            "benchmarks/variants/{variant}/asr/{name}.tsv"
        wildcard_constraints:
            variant=variants_varying("asr"),
        params:
            python=variant_python("asr"),
            code=get_variant_asr_code,
            code_digest=get_variant_asr_code_digest,
            model=get_asr_model,
            vocabulary=get_asr_vocabulary,
            options=variant_asr_options(ASR_DECODING_KEYS),

    use rule translate_whisper as variant_translate_whisper with:
        input:
            env=variant_env_input("asr"),
            wav=ASR_AUDIO,
            regions=VAD_REGIONS,
            model=get_asr_model_input,
        output:
            translation=f"{WORK_DIR}/variants/{{variant}}/asr/translate/{{name}}.{{lang}}.json",
        log:
            "logs/variants/{variant}/asr/translate/{name}.{lang}.log",
        benchmark:
            "benchmarks/variants/{variant}/asr/translate/{name}.{lang}.tsv"
        wildcard_constraints:
            variant=variants_varying("asr"),
            lang="en",
        params:
            python=variant_python("asr"),
            code=get_variant_asr_code,
            code_digest=get_variant_asr_code_digest,
            model=get_asr_model,
            vocabulary=get_asr_vocabulary,
            options=variant_asr_options(ASR_DECODING_KEYS, task="translate"),


if variants_varying("timing"):

    use rule timing_refine as variant_timing_refine with:
        input:
            env=variant_env_input("timing"),
            transcript=in_stage_build("asr", "asr/{name}.json"),
            wav=ASR_AUDIO,
        output:
            transcript=f"{WORK_DIR}/variants/{{variant}}/timing/{{name}}.json",
        log:
            "logs/variants/{variant}/timing/{name}.log",
        benchmark:
            "benchmarks/variants/{variant}/timing/{name}.tsv"
        wildcard_constraints:
            variant=variants_varying("timing"),
        params:
            python=variant_python("timing"),
            options=variant_options("timing", TIMING_KEYS),


if variants_varying("align"):

    use rule align_words as variant_align_words with:
        input:
            env=variant_env_input("align"),
            transcript=in_stage_build("timing", "timing/{name}.json"),
            wav=ASR_AUDIO,
            model=get_align_model_input,
        output:
            transcript=f"{WORK_DIR}/variants/{{variant}}/align/{{name}}.json",
        log:
            "logs/variants/{variant}/align/{name}.log",
        benchmark:
            "benchmarks/variants/{variant}/align/{name}.tsv"
        wildcard_constraints:
            variant=variants_varying("align"),
        params:
            python=variant_python("align"),


# Translations live in the translate stage's build (Whisper's refined like a transcript: a
# timing change reaches it).
if variants_varying("translate"):

    use rule timing_whisper_translation as variant_timing_whisper_translation with:
        input:
            env=variant_env_input("timing"),
            transcript=in_stage_build("asr", "asr/translate/{name}.{lang}.json"),
            wav=ASR_AUDIO,
        output:
            translation=f"{WORK_DIR}/variants/{{variant}}/translate/whisper/{{name}}.{{lang}}.json",
        log:
            "logs/variants/{variant}/translate/whisper/{name}.{lang}.log",
        benchmark:
            "benchmarks/variants/{variant}/translate/whisper/{name}.{lang}.tsv"
        wildcard_constraints:
            variant=variants_varying("translate"),
            lang="en",
        params:
            python=variant_python("timing"),
            options=variant_options("timing", TIMING_KEYS),

    use rule translate_transformers as variant_translate_transformers with:
        input:
            **stage_inputs("translate", env="translate"),
            transcript=get_variant_transcript,
            model=get_translation_model_input,
        output:
            translation=f"{WORK_DIR}/variants/{{variant}}/translate/{{backend}}/{{name}}.{{lang}}.json",
        log:
            "logs/variants/{variant}/translate/{backend}/{name}.{lang}.log",
        benchmark:
            "benchmarks/variants/{variant}/translate/{backend}/{name}.{lang}.tsv"
        wildcard_constraints:
            variant=variants_varying("translate"),
            backend="nllb|m2m100|marian",
        params:
            options=variant_options("translate", TRANSLATION_KEYS),

    use rule translate_indictrans2 as variant_translate_indictrans2 with:
        input:
            **stage_inputs("translate", env="indictrans"),
            transcript=get_variant_transcript,
            model=get_translation_model_input,
        output:
            translation=f"{WORK_DIR}/variants/{{variant}}/translate/{{backend}}/{{name}}.{{lang}}.json",
        log:
            "logs/variants/{variant}/translate/{backend}/{name}.{lang}.log",
        benchmark:
            "benchmarks/variants/{variant}/translate/{backend}/{name}.{lang}.tsv"
        wildcard_constraints:
            variant=variants_varying("translate"),
            backend="indictrans2",
        params:
            options=variant_options("translate", TRANSLATION_KEYS),


if variants_varying("subtitles"):

    use rule subtitles_render as variant_subtitles_render with:
        input:
            env=variant_env_input("subtitles"),
            transcript=get_subtitle_transcript,
            speakers=SPEAKER_TURNS,
            shots=SHOT_CUTS,
        output:
            subtitles="out/variants/{variant}/{name}.{lang}.{fmt}",
            qc=f"{WORK_DIR}/variants/{{variant}}/qc/{{name}}.{{lang}}.{{fmt}}.json",
        log:
            "logs/variants/{variant}/subtitles/{name}.{lang}.{fmt}.log",
        wildcard_constraints:
            variant=variants_varying("subtitles"),
        params:
            python=variant_python("subtitles"),

    ruleorder: variant_subtitles_render > unknown_target


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
