# separate (optional, `separate: {activate: true}`): demucs vocals -> the audio ASR hears. The
# model is an artifact (rules/models.smk): the job depends on its manifest and loads what it names.


rule separate_vocals:
    input:
        **stage_inputs("separate"),
        wav=f"{WORK_DIR}/demux/{{name}}.wav",
        model=SEPARATE_MODEL_INPUT,
    output:
        vocals=f"{WORK_DIR}/separate/{{name}}.vocals.wav",
    log:
        "logs/separate/{name}.log",
    benchmark:
        "benchmarks/separate/{name}.tsv"
    conda:
        "../envs/separate.yaml"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=240,
    params:
        **stage_params("separate"),
        model=config["separate"]["model"],
        model_name=config["separate"]["name"],
        shifts=config["separate"]["shifts"],
        device=config["separate"]["device"],
    shell:
        "{params.python:q} {params.code:q} --audio {input.wav:q} --output {output.vocals:q}"
        " --model={params.model:q} --model-path={input.model:q} --name {params.model_name:q}"
        " --shifts {params.shifts:q}"
        " --device {params.device:q} > {log:q} 2>&1"
