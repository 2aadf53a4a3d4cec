# demux: one audio stream of the film -> 16 kHz mono WAV, the input of every speech stage.


rule demux_audio:
    input:
        **stage_inputs("demux"),
        media=get_media,
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
        **stage_params("demux"),
        # the film, its stream choice and content identity (a replaced film re-runs demux)
        source=get_demux_source,
    shell:
        "{params.python:q} {params.code:q} --input {params.source[film]:q} --output {output.wav:q}"
        " --audio-stream {params.source[audio_stream]:q} --language {params.source[language]:q}"
        " > {log:q} 2>&1"
