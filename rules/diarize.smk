# diarize (optional, `diarize: {activate: true}`): speaker turns; subtitles start a new cue,
# with a leading dash, at each change of speaker. The pipeline is an artifact
# (rules/models.smk): the job depends on its manifest and loads what it names.


rule diarize_speakers:
    input:
        **stage_inputs("diarize"),
        wav=f"{WORK_DIR}/demux/{{name}}.wav",
        model=DIARIZE_MODEL_INPUT,
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
        **stage_params("diarize"),
        model=config["diarize"]["model"],
        device=config["diarize"]["device"],
    shell:
        "{params.python:q} {params.code:q} --audio {input.wav:q} --output {output.turns:q}"
        " --model={params.model:q} --model-path={input.model:q} --device {params.device:q}"
        " > {log:q} 2>&1"
