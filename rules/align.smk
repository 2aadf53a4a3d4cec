# align (optional, `align: {activate: true}`): CTC forced alignment refines word timestamps.
# A language without a configured model passes through with a warning.


rule align_words:
    input:
        transcript=f"{WORK_DIR}/asr/{{name}}.json",
        wav=ASR_AUDIO,
        env=env_input(STAGE_ENVS["align"]),
    output:
        transcript=f"{WORK_DIR}/align/{{name}}.json",
    log:
        "logs/align/{name}.log",
    benchmark:
        "benchmarks/align/{name}.tsv"
    conda:
        "../envs/align.yaml"
    threads: 2
    resources:
        mem_mb=3000,
        runtime=120,
    params:
        python=stage_python("align"),
        code=stage_code("align"),
        code_digest=code_digest("align"),
        model=get_align_model,
        debug=debug_flag(),
    shell:
        "{params.python} {params.code:q} --transcript {input.transcript:q} --audio {input.wav:q}"
        " --output {output.transcript:q} --model={params.model:q} {params.debug} > {log:q} 2>&1"
