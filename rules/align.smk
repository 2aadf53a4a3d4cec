# align (optional, `align: {activate: true}`): CTC forced alignment refines word timestamps.
# A language without a configured model passes through with a warning. The model is an
# artifact (rules/models.smk): the job depends on its manifest and loads the folder it names.


rule align_words:
    input:
        **stage_inputs("align"),
        transcript=TIMING_TRANSCRIPT,
        wav=ASR_AUDIO,
        model=get_align_model_input,
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
        "{params.python:q} {params.code:q} --transcript {input.transcript:q} --audio {input.wav:q}"
        " --output {output.transcript:q} --model={params.model:q} --model-path={input.model:q}"
        " > {log:q} 2>&1"
