# align (optional, `align: {activate: true}`): CTC forced alignment refines word timestamps.
# A language without a configured model passes through with a warning.


rule align_words:
    input:
        **stage_inputs("align"),
        transcript=f"{WORK_DIR}/asr/{{name}}.json",
        wav=ASR_AUDIO,
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
        **stage_params("align"),
        model=get_align_model,
    shell:
        "{params.python} {params.code:q} --transcript {input.transcript:q} --audio {input.wav:q}"
        " --output {output.transcript:q} --model={params.model:q} {params.debug} > {log:q} 2>&1"
