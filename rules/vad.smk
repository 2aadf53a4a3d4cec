# vad (optional, `vad: {activate: true}`): speech regions, which ASR then decodes alone.


rule vad_segments:
    input:
        wav=ASR_AUDIO,
        env=env_input(STAGE_ENVS["vad"]),
    output:
        regions=f"{WORK_DIR}/vad/{{name}}.json",
    log:
        "logs/vad/{name}.log",
    benchmark:
        "benchmarks/vad/{name}.tsv"
    conda:
        f"../envs/{STAGE_ENVS['vad']}.yaml"
    resources:
        mem_mb=1000,
        runtime=60,
    params:
        python=stage_python("vad"),
        code=stage_code("vad"),
        code_digest=code_digest("vad"),
        backend=config["vad"]["backend"],
        pyannote_model=config["vad"]["pyannote_model"],
        options=get_stage_options(
            "vad", exclude=("activate", "backend", "pyannote_model")
        ),
        debug=debug_flag(),
    shell:
        "{params.python} {params.code:q} --audio {input.wav:q} --output {output.regions:q}"
        " --backend {params.backend} --pyannote-model={params.pyannote_model:q}"
        " --options {params.options:q} {params.debug} > {log:q} 2>&1"
