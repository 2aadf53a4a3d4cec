# subtitles: word-level JSON -> timed, line-broken cues in SRT or VTT. No inference here, so
# restyling subtitles never re-runs ASR.


rule subtitles_render:
    input:
        transcript=get_subtitle_transcript,
        env=env_stamp(STAGE_ENVS["subtitles"]),
        code=stage_code("subtitles"),
    output:
        subtitles="out/{name}.{lang}.{fmt}",
    log:
        "logs/subtitles/{name}.{lang}.{fmt}.log",
    conda:
        "../envs/subtitles.yaml"
    params:
        python=stage_python("subtitles"),
        style=get_subtitle_style,
        debug=debug_flag(),
    shell:
        "{params.python} {input.code:q} --transcript {input.transcript:q} --output {output.subtitles:q}"
        " --format {wildcards.fmt} --style {params.style:q} {params.debug} > {log:q} 2>&1"
