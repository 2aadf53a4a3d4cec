# asr: faster-whisper on the demuxed audio -> word-level JSON transcript, with Whisper's own word
# times and silero's frame probabilities (silero runs once per film, here); rules/timing.smk refines
# the word edges.

# The asr keys a decoding job passes in --options: AsrOptions' fields (scripts/subtitles_workflow/
# asr_options.py) but the film's vocabulary, its own param. asr.model and the language policy
# are params of their own, asr.worker a resource.
ASR_DECODING_KEYS = (
    "backend",
    "device",
    "compute_type",
    "beam_size",
    "vad_filter",
    "condition_on_previous_text",
    "batch_size",
)


rule asr_transcribe:
    input:
        **stage_inputs("asr"),
        wav=ASR_AUDIO,
        regions=VAD_REGIONS,
        model=ASR_MODEL_INPUT,
    output:
        transcript=f"{WORK_DIR}/asr/{{name}}.json",
    log:
        "logs/asr/{name}.log",
    benchmark:
        "benchmarks/asr/{name}.tsv"
    conda:
        f"../envs/{STAGE_ENVS['asr']}.yaml"
    threads: 4
    # On a GPU cluster, profiles add gpu=1 here via set-resources.
    resources:
        mem_mb=2000,
        runtime=240,
        # A resource, not a param: switching the warm worker on or off re-runs nothing.
        asr_worker=str(config["asr"]["worker"]).lower(),
    params:
        **stage_params(ASR_SCRIPT, env=STAGE_ENVS["asr"]),
        model=ASR_MODEL,
        language=get_asr_language,
        language_policy=get_language_policy,
        vocabulary=ASR_VOCABULARY,
        options=asr_decoding_options(ASR_DECODING_KEYS),
    shell:
        "{params.python:q} {params.code:q} --audio {input.wav:q} --output {output.transcript:q}"
        " --model {params.model:q} --model-path {input.model:q} --language {params.language:q} --language-policy {params.language_policy:q}"
        " --options {params.options:q} --vocabulary {params.vocabulary:q} --threads {threads:q} --speech-regions {input.regions:q}"
        " --worker {resources.asr_worker:q} > {log:q} 2>&1"


# Only films whose source_language is "auto" reach this checkpoint: their subtitle file names
# depend on the language Whisper detected. It is not the asr rule itself because Snakemake
# re-evaluates every done checkpoint's dependents on each run (+3 s on a no-op run over 1000
# films, bench/b4_orchestration.py); this way films with a known language pay nothing.
checkpoint detected_language:
    input:
        transcript=f"{WORK_DIR}/asr/{{name}}.json",
    output:
        language=f"{WORK_DIR}/language/{{name}}.txt",
    log:
        "logs/language/{name}.log",
    localrule: True
    run:
        write_detected_language(input.transcript, output.language, log[0])
