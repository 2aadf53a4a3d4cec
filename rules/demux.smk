# demux: one audio stream of the film -> 16 kHz mono WAV, the input of every speech stage.


rule demux_audio:
    input:
        media=get_media,
        env=env_input(STAGE_ENVS["demux"]),
    output:
        wav=f"{WORK_DIR}/demux/{{name}}.wav",
    log:
        "logs/demux/{name}.log",
    conda:
        "../envs/media.yaml"
    resources:
        mem_mb=500,
        runtime=30,
    params:
        python=stage_python("demux"),
        code=stage_code("demux"),
        code_digest=code_digest("demux"),
        # the film, its stream choice and content identity (a replaced film re-runs demux)
        source=get_demux_source,
        debug=debug_flag(),
    shell:
        "{params.python} {params.code:q} --input {params.source[film]:q} --output {output.wav:q}"
        " --audio-stream {params.source[audio_stream]:q} --language {params.source[language]:q}"
        " {params.debug}"
        " > {log:q} 2>&1"
