# shots (films with video; `shots: {activate}`): shot cuts, which cue starts and ends near a
# cut snap to. Its own artifact, so restyling subtitles never decodes the video again.


rule shots_detect:
    input:
        **stage_inputs("shots"),
        media=get_media,
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
        **stage_params("shots"),
        source=get_shots_source,
        threshold=config["shots"]["threshold"],
    shell:
        "{params.python:q} {params.code:q} --input {params.source[film]:q} --output {output.cuts:q}"
        " --threshold {params.threshold:q} --threads {threads:q} > {log:q} 2>&1"
