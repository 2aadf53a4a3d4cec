# Stage environments as targets: one venv per envs/<env>.yaml, built with uv (pip fallback).
# The stamp records the env's identity (pip freeze + Python version); stage rules depend on it.
# What triggers a rebuild is the spec's content (Python + pip list, a plain param), not its
# mtime: a comment edit rebuilds nothing, and so re-runs nothing downstream in that run. A
# forced rebuild with identical contents writes an identical stamp, which Snakemake's checksum
# comparison treats as unchanged on later runs.


rule env_build:
    input:
        spec=ancient(env_spec("{env}")),
    output:
        stamp=str(VENV_DIR / "{env}.env.json"),
    log:
        "logs/envs/{env}.log",
    localrule: True
    conda:
        "../envs/env_builder.yaml"
    params:
        python=sys.executable,
        builder=str(SCRIPTS / "build_env.py"),
        venv=str(VENV_DIR / "{env}"),
        packages=get_env_packages,
    shell:
        "{params.python:q} {params.builder:q} --spec {input.spec:q} --venv {params.venv:q}"
        " --stamp {output.stamp:q} > {log:q} 2>&1"


# Whisper weights installed by the asr env, laid out as a CTranslate2 model directory.
rule model_assemble:
    input:
        env=env_stamp("asr"),
        code=str(SCRIPTS / "model_assemble.py"),
    output:
        model=directory(str(MODEL_DIR / "faster-whisper-{model}")),
    log:
        "logs/models/{model}.log",
    conda:
        "../envs/asr.yaml"
    params:
        python=env_python("asr"),
    shell:
        "{params.python} {input.code:q} --model {wildcards.model:q} --output {output.model:q} > {log:q} 2>&1"


# `snakemake envs`: build every stage env and the configured bundled model, and nothing else.
rule envs:
    input:
        get_env_targets,
    localrule: True
