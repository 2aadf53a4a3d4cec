# separate (optional, `separate: {activate: true}`): demucs vocals -> the audio ASR hears.


rule separate_vocals:
    input:
        wav=f"{WORK_DIR}/demux/{{name}}.wav",
        env=env_input(STAGE_ENVS["separate"]),
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
        python=stage_python("separate"),
        code=stage_code("separate"),
        code_digest=code_digest("separate"),
        model=config["separate"]["model"],
        model_name=config["separate"]["name"],
        shifts=config["separate"]["shifts"],
        device=config["separate"]["device"],
        debug=debug_flag(),
    shell:
        "{params.python} {params.code:q} --audio {input.wav:q} --output {output.vocals:q}"
        " --model={params.model:q} --name {params.model_name:q} --shifts {params.shifts}"
        " --device {params.device:q} {params.debug} > {log:q} 2>&1"
