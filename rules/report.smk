# report: per-film QC plots and summary, picked up by `snakemake --report out/report.html`.


rule report_film:
    input:
        **stage_inputs("report"),
        subtitles=get_report_subtitles,
        qc=get_report_qc,
        references=get_references,
        video=get_report_video,
        audio=f"{WORK_DIR}/demux/{{name}}.wav",
        transcript=TRANSCRIPT,
        shots=get_report_shots,
    output:
        cps=report(
            f"{WORK_DIR}/report/{{name}}.cps.png",
            caption="../report/cps.rst",
            category="{name}",
            labels={"film": "{name}", "figure": "reading speed"},
        ),
        durations=report(
            f"{WORK_DIR}/report/{{name}}.durations.png",
            caption="../report/durations.rst",
            category="{name}",
            labels={"film": "{name}", "figure": "cue durations"},
        ),
        # In the report as a page that scrolls from its top: Snakemake's report centres an
        # image in a box one window tall, which hides the top of a long film's timeline.
        timeline=f"{WORK_DIR}/report/{{name}}.timeline.png",
        timeline_page=report(
            f"{WORK_DIR}/report/{{name}}.timeline.html",
            caption="../report/timeline.rst",
            category="{name}",
            labels={"film": "{name}", "figure": "timeline"},
        ),
        summary=report(
            f"{WORK_DIR}/report/{{name}}.summary.html",
            caption="../report/summary.rst",
            category="{name}",
            labels={"film": "{name}", "figure": "summary"},
        ),
    log:
        "logs/report/{name}.log",
    conda:
        "../envs/report.yaml"
    params:
        **stage_params("report"),
        source=get_report_source_language,
        subtitles=get_report_pairs("out/{name}.{lang}.srt"),
        qc=get_report_pairs(f"{WORK_DIR}/qc/{{name}}.{{lang}}.srt.json"),
        references=get_reference_args,
    shell:
        "{params.python:q} {params.code:q} --name {wildcards.name:q} --source-language {params.source:q}"
        " --subtitles {params.subtitles:q} --qc {params.qc:q} --references {params.references:q}"
        " --cps-plot {output.cps:q} --durations-plot {output.durations:q} --summary {output.summary:q}"
        " --audio {input.audio:q} --transcript {input.transcript:q} --shots {input.shots:q} --timeline-plot {output.timeline:q}"
        " --timeline-page {output.timeline_page:q}"
        " > {log:q} 2>&1"
