# asr: faster-whisper on the demuxed audio -> word-level JSON transcript. A checkpoint, because
# with source_language "auto" the subtitle file names depend on the language it detects.


checkpoint asr_transcribe:
    input:
        wav=get_asr_audio,
        regions=get_vad_regions,
        model=asr_model_input,
        env=env_stamp(STAGE_ENVS["asr"]),
        code=stage_code("asr"),
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
        asr_worker=int(config["asr"]["worker"]),
    params:
        python=stage_python("asr"),
        model=config["asr"]["model"],
        model_path=asr_model_path(),
        language=get_asr_language,
        options=get_asr_options,
        speech_regions=get_vad_argument,
        debug=debug_flag(),
    shell:
        "{params.python} {input.code:q} --audio {input.wav:q} --output {output.transcript:q}"
        " --model {params.model:q} --model-path {params.model_path:q} --language {params.language:q}"
        " --options {params.options:q} --threads {threads} {params.speech_regions}"
        " --worker {resources.asr_worker} {params.debug} > {log:q} 2>&1"
