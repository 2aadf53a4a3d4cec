# timing: Whisper's word times refined against the audio (scripts/timing.py): each word's start
# and end moved to where its speech starts and ends. Cheap (no model, silero's probabilities come
# in the transcript), and its own stage, so a timing change never decodes again.

# The timing keys each job passes in --options (EdgeLimits' fields, scripts/subtitles_workflow/word_timing.py).
TIMING_KEYS = ("end_pad_s", "max_earlier_s")


rule timing_refine:
    input:
        **stage_inputs("timing"),
        transcript=ASR_TRANSCRIPT,
        wav=ASR_AUDIO,
    output:
        transcript=f"{WORK_DIR}/timing/{{name}}.json",
    log:
        "logs/timing/{name}.log",
    benchmark:
        "benchmarks/timing/{name}.tsv"
    conda:
        f"../envs/{STAGE_ENVS['timing']}.yaml"
    resources:
        mem_mb=1000,
        runtime=30,
    params:
        **stage_params("timing"),
        options=config_options("timing", TIMING_KEYS),
    shell:
        "{params.python:q} {params.code:q} --transcript {input.transcript:q} --audio {input.wav:q}"
        " --output {output.transcript:q} --options {params.options:q} > {log:q} 2>&1"


# Whisper's own translation (translate_whisper) decodes like asr and is refined like a transcript.
rule timing_whisper_translation:
    input:
        **stage_inputs("timing"),
        transcript=WHISPER_DECODED,
        wav=ASR_AUDIO,
    output:
        translation=f"{WORK_DIR}/translate/whisper/{{name}}.{{lang}}.json",
    log:
        "logs/translate/whisper/{name}.{lang}.log",
    benchmark:
        "benchmarks/translate/whisper/{name}.{lang}.tsv"
    wildcard_constraints:
        lang="en",
    conda:
        f"../envs/{STAGE_ENVS['timing']}.yaml"
    resources:
        mem_mb=1000,
        runtime=30,
    params:
        **stage_params("timing"),
        options=config_options("timing", TIMING_KEYS),
    shell:
        "{params.python:q} {params.code:q} --transcript {input.transcript:q} --audio {input.wav:q}"
        " --output {output.translation:q} --options {params.options:q} > {log:q} 2>&1"
