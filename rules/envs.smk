# Stage environments as targets: one venv per envs/<env>.yaml, built with uv (pip fallback).
# The stamp records the env's identity (pip freeze + Python version); stages take it as an
# input, compared by checksum. What triggers a rebuild is the spec's content (Python + pip
# list, a plain param), not its mtime, so a comment edit rebuilds nothing. A rebuild of an
# unchanged spec installs the env's lock (<venv_dir>/<env>.lock.json, what the last build
# resolved): the same env, an identical stamp, nothing stale. A deleted env folder is rebuilt
# by `snakemake envs` or by the first job that needs it (scripts/run-in-env).


rule env_build:
    input:
        spec=ancient(env_spec("{env}")),
    output:
        stamp=str(VENV_DIR / "{env}.env.json"),
        marker=env_marker("{env}"),
    log:
        "logs/envs/{env}.log",
    localrule: True
    conda:
        "../envs/env_builder.yaml"
    params:
        builder=str(SCRIPTS / "build_env.py"),
        venv=str(VENV_DIR / "{env}"),
        lock=str(VENV_DIR / "{env}.lock.json"),
        packages=get_env_packages,
    shell:
        '"$SUBTITLES_WORKFLOW_PYTHON" {params.builder:q} --spec {input.spec:q} --venv {params.venv:q}'
        " --stamp {output.stamp:q} --lock {params.lock:q} > {log:q} 2>&1"


# Whisper weights installed by the asr env, laid out as a CTranslate2 model directory. The
# manifest (its files' hashes) is the artifact stages depend on; the files go to a folder named
# by their content, reached through a link swapped atomically: a rebuild never deletes a model
# a running job (of this or another checkout sharing model_dir) is loading.
rule model_assemble:
    input:
        env=env_input("asr"),
    output:
        manifest=model_manifest("{model}"),
    log:
        "logs/models/{model}.log",
    conda:
        "../envs/asr.yaml"
    # model_sha256 (rules/common/models.smk): a resource, so pinning the content re-runs nothing.
    resources:
        expected_sha256=get_bundled_model_sha256,
    params:
        python=env_python("asr"),
        code=stage_code("model_assemble"),
        code_digest=code_digest("model_assemble"),
        link=bundled_model_dir("{model}"),
    shell:
        "{params.python:q} {params.code:q} --model {wildcards.model:q} --link {params.link:q}"
        " --manifest {output.manifest:q} --expect-sha256={resources.expected_sha256:q} > {log:q} 2>&1"


# `snakemake envs`: build the envs the configured stages run on and the configured bundled
# model, and nothing else. `snakemake test_envs`: those the test suite uses too. Any one env:
# `snakemake .venvs/<env>.env.json`.
rule envs:
    input:
        get_env_targets,
    localrule: True


rule test_envs:
    input:
        get_tested_env_targets,
    localrule: True
