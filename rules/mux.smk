# mux: the film's video and audio, copied, plus every subtitle track tagged with its language.


rule mux_video:
    input:
        **stage_inputs("mux"),
        media=get_mux_media,
        tracks=get_mux_tracks,
    output:
        video="out/{name}.{video_format}",
    log:
        "logs/mux/{name}.{video_format}.log",
    # out/<name>.<lang>.burned.mp4 is the burn-in's (rule subtitles_burn), never a muxed video.
    wildcard_constraints:
        name=r"[^/]+(?<!\.burned)",
    conda:
        "../envs/media.yaml"
    resources:
        mem_mb=500,
        runtime=30,
    params:
        **stage_params("mux"),
    shell:
        "{params.python:q} {params.code:q} --video {input.media:q} --output {output.video:q}"
        " -- {input.tracks:q} > {log:q} 2>&1"
