# Models from the Hugging Face hub as build artifacts (rules/common/models.smk says which the
# config names; bundled Whisper models are rule model_assemble's, in rules/envs.smk).
#
# One job per model, however many films load it, on the machine Snakemake runs on (a cluster's
# compute nodes often have no network), on Snakemake's own interpreter (no stage env needed).
# Its output, the manifest (source, resolved commit, every file's sha256), is what the stages
# depend on: a new commit with new content re-runs exactly the stages that load the model; the
# same content re-runs nothing. It has no input, so once fetched a model is never asked about
# again, offline or not, until it is fetched again on purpose:
#   snakemake models --forcerun model_fetch    the latest commit of every unpinned hub model
# (a pinned one, `owner/name@revision`, gets that revision's commit again). Then the next run
# re-runs what loads a model whose content changed, and nothing else.


# Every hub model a build names (rules/common/models.smk), read once the films and their
# languages are known.
HUB_MODELS = configured_hub_models()

# Before any job: a local model directory's manifest is (re)written while the workflow is
# parsed, and a model here whose content model_sha256 does not pin stops the run.
if snakemake_invocation() != "job":
    record_local_models()
check_model_sha256()


rule model_fetch:
    output:
        manifest=hub_manifest("{hub_model}"),
    log:
        "logs/models/hub/{hub_model}.log",
    # A configured one, or a translation model a detected language asks for (hub_model_entry).
    wildcard_constraints:
        hub_model=r"[A-Za-z0-9][\w.-]*--[\w.-]+(@[\w.-]+)?",
    localrule: True
    conda:
        "../envs/env_builder.yaml"
    # A resource, not a param: pinning the content re-fetches nothing (a model already here is
    # checked while the workflow is parsed).
    resources:
        expected_sha256=get_hub_model_sha256,
    # The fetcher's code is no param: a new fetcher fetches the same bytes, and a re-fetch
    # would re-run every stage that loads the model.
    params:
        code=stage_code("model_fetch"),
        repo=get_hub_model_param("repo"),
        revision=get_hub_model_param("revision"),
        files=get_hub_model_param("files"),
    shell:
        '"$SUBTITLES_WORKFLOW_PYTHON" {params.code:q} --repo {params.repo:q} --revision={params.revision:q}'
        " --files {params.files:q} --manifest {output.manifest:q}"
        " --expect-sha256={resources.expected_sha256:q} --log {log:q}"


# `snakemake models`: every model the config names (default build and variants), fetched or
# assembled, and nothing else.
rule models:
    input:
        configured_model_manifests(),
    localrule: True
