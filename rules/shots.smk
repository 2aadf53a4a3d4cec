# shots (films with video; `shots: {activate}`): shot cuts, which cue starts and ends near a
# cut snap to. Its own artifact, so restyling subtitles never decodes the video again.


rule shots_detect:
    input:
        media=get_media,
        env=env_input(STAGE_ENVS["shots"]),
    output:
        cuts=f"{WORK_DIR}/shots/{{name}}.json",
    log:
        "logs/shots/{name}.log",
    benchmark:
        "benchmarks/shots/{name}.tsv"
    conda:
        "../envs/media.yaml"
    threads: 2
    resources:
        mem_mb=500,
        runtime=60,
    params:
        python=stage_python("shots"),
        code=stage_code("shots"),
        code_digest=code_digest("shots"),
        source=get_shots_source,
        threshold=config["shots"]["threshold"],
        debug=debug_flag(),
    shell:
        "{params.python} {params.code:q} --input {params.source[film]:q} --output {output.cuts:q}"
        " --threshold {params.threshold} --threads {threads} {params.debug} > {log:q} 2>&1"
