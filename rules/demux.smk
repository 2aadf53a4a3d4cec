# demux: one audio stream of the film -> 16 kHz mono WAV, the input of every speech stage.


rule demux_audio:
    input:
        media=get_media,
        env=env_stamp(STAGE_ENVS["demux"]),
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
        audio_stream=get_audio_stream,
        language=get_asr_language,
        # Content identity of the film: a replaced file re-runs demux even if older.
        fingerprint=get_media_fingerprint,
        debug=debug_flag(),
    shell:
        "{params.python} {params.code:q} --input {input.media:q} --output {output.wav:q}"
        " --audio-stream {params.audio_stream:q} --language {params.language:q} {params.debug}"
        " > {log:q} 2>&1"
