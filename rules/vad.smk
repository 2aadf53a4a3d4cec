# vad (optional, `vad: {activate: true}`): speech regions, which ASR then decodes alone: silero
# (scripts/vad.py), or a pyannote pipeline (scripts/vad_pyannote.py) whose model is an artifact
# (rules/models.smk): the job depends on its manifest and loads what it names. One rule per
# backend, so that silero's command stays as it was (a changed command is a changed rule, which
# would make every silero VAD artifact again).

# The vad keys each job passes in --options (silero's options, or the pyannote pipeline's params).
VAD_KEYS = ("threshold", "min_silence_duration_ms", "speech_pad_ms")


if config["vad"]["backend"] == "pyannote":

    rule vad_segments:
        input:
            **stage_inputs("vad"),
            wav=ASR_AUDIO,
            model=VAD_MODEL_INPUT,
        output:
            regions=f"{WORK_DIR}/vad/{{name}}.json",
        log:
            "logs/vad/{name}.log",
        benchmark:
            "benchmarks/vad/{name}.tsv"
        conda:
            f"../envs/{STAGE_ENVS['vad']}.yaml"
        resources:
            mem_mb=1000,
            runtime=60,
        params:
            **stage_params("vad_pyannote", env=STAGE_ENVS["vad"]),
            backend=config["vad"]["backend"],
            pyannote_model=config["vad"]["pyannote_model"],
            options=config_options("vad", VAD_KEYS),
        shell:
            "{params.python:q} {params.code:q} --audio {input.wav:q} --output {output.regions:q}"
            " --backend {params.backend:q} --pyannote-model={params.pyannote_model:q}"
            " --pyannote-model-path={input.model:q} --options {params.options:q} > {log:q} 2>&1"

else:

    rule vad_segments:
        input:
            **stage_inputs("vad"),
            wav=ASR_AUDIO,
        output:
            regions=f"{WORK_DIR}/vad/{{name}}.json",
        log:
            "logs/vad/{name}.log",
        benchmark:
            "benchmarks/vad/{name}.tsv"
        conda:
            f"../envs/{STAGE_ENVS['vad']}.yaml"
        resources:
            mem_mb=1000,
            runtime=60,
        params:
            **stage_params("vad"),
            backend=config["vad"]["backend"],
            pyannote_model=config["vad"]["pyannote_model"],
            options=config_options("vad", VAD_KEYS),
        shell:
            "{params.python:q} {params.code:q} --audio {input.wav:q} --output {output.regions:q}"
            " --backend {params.backend:q} --pyannote-model={params.pyannote_model:q}"
            " --options {params.options:q} > {log:q} 2>&1"
