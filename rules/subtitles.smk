# subtitles: word-level JSON -> timed, line-broken cues in SRT, VTT or ASS, with a QC report.
# No inference here, so restyling subtitles never re-runs ASR.

# The keys a subtitles job is told in --style: cues.Style's fields (scripts/subtitles_workflow/
# cues.py), and for .ass files the ass_style keys (its `ass`).
SUBTITLE_KEYS = (
    "max_lines",
    "max_line_chars",
    "max_cps",
    "min_duration",
    "max_duration",
    "fps",
    "min_gap_frames",
    "shot_snap_frames",
    "close_gap",
    "linger",
    "pause_break",
    "lead_in_frames",
    "max_start_delay",
    "min_flash",
    "sentence_pause",
    "min_word_step",
)
ASS_STYLE_KEYS = (
    "font",
    "font_size",
    "primary_colour",
    "outline_colour",
    "back_colour",
    "bold",
    "outline",
    "shadow",
    "margin_v",
)


rule subtitles_render:
    input:
        **stage_inputs("subtitles"),
        transcript=get_subtitle_transcript,
        speakers=SPEAKER_TURNS,
        shots=SHOT_CUTS,
    output:
        subtitles="out/{name}.{lang}.{fmt}",
        qc=f"{WORK_DIR}/qc/{{name}}.{{lang}}.{{fmt}}.json",
    log:
        "logs/subtitles/{name}.{lang}.{fmt}.log",
    conda:
        "../envs/subtitles.yaml"
    params:
        **stage_params("subtitles"),
        # the style, and the film (for its frame rate, video only) with its content identity
        render=subtitle_render(SUBTITLE_KEYS, ASS_STYLE_KEYS),
    shell:
        "{params.python:q} {params.code:q} --transcript {input.transcript:q} --output {output.subtitles:q}"
        " --format {wildcards.fmt:q} --style {params.render[style]:q} --film {params.render[film]:q}"
        " --qc {output.qc:q} --speakers {input.speakers:q} --shots {input.shots:q}"
        " > {log:q} 2>&1"


# Burn-in: one language drawn into the picture (re-encodes the video), for players without
# subtitle support. Styled by the ASS file, so config ass_style decides the look.
rule subtitles_burn:
    input:
        **stage_inputs("burn"),
        media=get_media,
        subtitles="out/{name}.{lang}.ass",
    output:
        video="out/{name}.{lang}.burned.mp4",
    log:
        "logs/burn/{name}.{lang}.log",
    conda:
        "../envs/media.yaml"
    threads: 2
    params:
        **stage_params("burn"),
    shell:
        "{params.python:q} {params.code:q} --video {input.media:q} --subtitles {input.subtitles:q}"
        " --output {output.video:q} --threads {threads:q} > {log:q} 2>&1"
