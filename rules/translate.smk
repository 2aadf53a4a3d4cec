# translate: the word-level transcript -> a translated JSON on the same timeline, which the
# subtitles rule renders like a transcript. One rule per backend env:
#   whisper      Whisper's own translate task (into English only), on the asr env: decoded into
#                the asr stage's work (asr/translate/), its words refined by rules/timing.smk
#   nllb/m2m100/marian   transformers generate(), env translate
#   indictrans2  IndicTrans2 + IndicTransToolkit (needs transformers<5), env indictrans

# The translate keys an MT job passes in --options (translate.backends picks the rule,
# translate.models the model param).
TRANSLATION_KEYS = ("batch_size", "num_beams", "max_length")


rule translate_whisper:
    input:
        **stage_inputs("asr"),
        wav=ASR_AUDIO,
        regions=VAD_REGIONS,
        model=ASR_MODEL_INPUT,
    output:
        translation=f"{WORK_DIR}/asr/translate/{{name}}.{{lang}}.json",
    log:
        "logs/asr/translate/{name}.{lang}.log",
    benchmark:
        "benchmarks/asr/translate/{name}.{lang}.tsv"
    wildcard_constraints:
        lang="en",
    conda:
        f"../envs/{STAGE_ENVS['asr']}.yaml"
    threads: 4
    resources:
        mem_mb=2000,
        runtime=240,
    params:
        **stage_params(ASR_SCRIPT, env=STAGE_ENVS["asr"]),
        model=ASR_MODEL,
        language=get_asr_language,
        language_policy=get_language_policy,
        vocabulary=ASR_VOCABULARY,
        options=asr_decoding_options(ASR_DECODING_KEYS, task="translate"),
    shell:
        "{params.python:q} {params.code:q} --audio {input.wav:q} --output {output.translation:q}"
        " --model {params.model:q} --model-path {input.model:q} --language {params.language:q} --language-policy {params.language_policy:q}"
        " --options {params.options:q} --vocabulary {params.vocabulary:q} --threads {threads:q} --speech-regions {input.regions:q} > {log:q} 2>&1"


rule translate_transformers:
    input:
        **stage_inputs("translate", env="translate"),
        transcript=TRANSCRIPT,
        model=get_translation_model_input,
    output:
        translation=f"{WORK_DIR}/translate/{{backend}}/{{name}}.{{lang}}.json",
    log:
        "logs/translate/{backend}/{name}.{lang}.log",
    benchmark:
        "benchmarks/translate/{backend}/{name}.{lang}.tsv"
    wildcard_constraints:
        backend="nllb|m2m100|marian",
    conda:
        "../envs/translate.yaml"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=120,
    params:
        **stage_params("translate", env="translate"),
        model=get_translation_model,
        options=config_options("translate", TRANSLATION_KEYS),
    shell:
        "{params.python:q} {params.code:q} --transcript {input.transcript:q} --output {output.translation:q}"
        " --backend {wildcards.backend:q} --model {params.model:q} --model-path={input.model:q} --target {wildcards.lang:q}"
        " --options {params.options:q} > {log:q} 2>&1"


rule translate_indictrans2:
    input:
        **stage_inputs("translate", env="indictrans"),
        transcript=TRANSCRIPT,
        model=get_translation_model_input,
    output:
        translation=f"{WORK_DIR}/translate/{{backend}}/{{name}}.{{lang}}.json",
    log:
        "logs/translate/{backend}/{name}.{lang}.log",
    benchmark:
        "benchmarks/translate/{backend}/{name}.{lang}.tsv"
    wildcard_constraints:
        backend="indictrans2",
    conda:
        "../envs/indictrans.yaml"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=120,
    params:
        **stage_params("translate", env="indictrans"),
        model=get_translation_model,
        options=config_options("translate", TRANSLATION_KEYS),
    shell:
        "{params.python:q} {params.code:q} --transcript {input.transcript:q} --output {output.translation:q}"
        " --backend {wildcards.backend:q} --model {params.model:q} --model-path={input.model:q} --target {wildcards.lang:q}"
        " --options {params.options:q} > {log:q} 2>&1"
