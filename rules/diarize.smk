# diarize (optional, `diarize: {activate: true}`): speaker turns; subtitles start a new cue,
# with a leading dash, at each change of speaker.


rule diarize_speakers:
    input:
        wav=f"{WORK_DIR}/demux/{{name}}.wav",
        env=env_input(STAGE_ENVS["diarize"]),
    output:
        turns=f"{WORK_DIR}/diarize/{{name}}.json",
    log:
        "logs/diarize/{name}.log",
    benchmark:
        "benchmarks/diarize/{name}.tsv"
    conda:
        "../envs/pyannote.yaml"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=240,
    params:
        python=stage_python("diarize"),
        code=stage_code("diarize"),
        code_digest=code_digest("diarize"),
        model=config["diarize"]["model"],
        device=config["diarize"]["device"],
        debug=debug_flag(),
    shell:
        "{params.python} {params.code:q} --audio {input.wav:q} --output {output.turns:q}"
        " --model={params.model:q} --device {params.device:q} {params.debug} > {log:q} 2>&1"
