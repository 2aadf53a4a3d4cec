"""Cues as SRT (pysrt), WebVTT and ASS (pysubs2) text."""

from __future__ import annotations

import math
from dataclasses import dataclass

from subtitles_workflow.cues import Cue
from subtitles_workflow.io import StageError


def render_srt(cues: list[Cue]) -> str:
    import pysrt

    subs = pysrt.SubRipFile()
    for index, cue in enumerate(cues, start=1):
        subs.append(
            pysrt.SubRipItem(
                index=index,
                start=pysrt.SubRipTime.from_ordinal(int(round(cue.start * 1000))),
                end=pysrt.SubRipTime.from_ordinal(int(round(cue.end * 1000))),
                text=cue.text,
            )
        )
    return "\n".join(str(item) for item in subs) if len(subs) else ""


def render_vtt(cues: list[Cue]) -> str:
    """WebVTT by pysubs2, which numbers the cues; `&`, `<` and `>` are escaped first (VTT
    reads them as markup) and SSA tags kept as they are (no `{...}` is dropped)."""
    import pysubs2

    def escape(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    subs = pysubs2.SSAFile()
    for cue in cues:
        text = r"\N".join(escape(line) for line in cue.lines)
        subs.append(pysubs2.SSAEvent(start=round(cue.start * 1000), end=round(cue.end * 1000), text=text))
    return subs.to_string("vtt", keep_ssa_tags=True)


@dataclass
class AssStyle:
    """The ass_style config block (the schema holds the defaults): the ASS [V4+ Styles] line,
    for players and for burn-in (ffmpeg's subtitles filter)."""

    font: str
    font_size: int
    primary_colour: str
    outline_colour: str
    back_colour: str
    bold: bool
    outline: float
    shadow: float
    margin_v: int


# Sizes in ass_style are for this frame; players scale them to the video.
PLAY_RES = (1920, 1080)


def ass_centiseconds(seconds: float, round_up: bool = False) -> int:
    """ASS keeps centiseconds: starts round up and ends down, so gaps never shrink."""
    return math.ceil(seconds * 100 - 1e-6) if round_up else math.floor(seconds * 100 + 1e-6)


def ass_escape(text: str) -> str:
    """Braces start override blocks and backslashes escapes in ASS; show them as look-alikes."""
    return text.replace("\\", "\uff3c").replace("{", "\uff5b").replace("}", "\uff5d")


def render_ass(cues: list[Cue], st: AssStyle) -> str:
    """ASS by pysubs2. Times go in already on whole centiseconds (rounded as
    ass_centiseconds says), so pysubs2's own rounding to the nearest one changes nothing."""
    import pysubs2
    from pysubs2.formats.substation import rgba_to_color

    subs = pysubs2.SSAFile()
    subs.info = {
        "ScriptType": "v4.00+",
        "PlayResX": str(PLAY_RES[0]),
        "PlayResY": str(PLAY_RES[1]),
        "WrapStyle": "2",  # our line breaks only: the segmenter already balanced them
        "ScaledBorderAndShadow": "yes",
    }
    subs.styles = {
        "Default": pysubs2.SSAStyle(
            fontname=st.font,
            fontsize=st.font_size,
            primarycolor=rgba_to_color(st.primary_colour),
            secondarycolor=rgba_to_color("&H000000FF"),
            outlinecolor=rgba_to_color(st.outline_colour),
            backcolor=rgba_to_color(st.back_colour),
            bold=st.bold,
            outline=st.outline,
            shadow=st.shadow,
            alignment=pysubs2.Alignment.BOTTOM_CENTER,
            marginl=80,
            marginr=80,
            marginv=st.margin_v,
            encoding=1,
        )
    }
    for cue in cues:
        start, end = ass_centiseconds(cue.start, round_up=True), ass_centiseconds(cue.end)
        text = "\\N".join(ass_escape(line) for line in cue.lines)
        subs.append(pysubs2.SSAEvent(start=start * 10, end=end * 10, text=text))
    return subs.to_string("ass", header_notice="")


def render(cues: list[Cue], fmt: str, ass_style: AssStyle | None) -> str:
    if fmt == "srt":
        return render_srt(cues)
    if fmt == "vtt":
        return render_vtt(cues)
    if fmt == "ass":
        return render_ass(cues, ass_style)
    raise StageError(f"unknown subtitle format {fmt!r}; use srt, vtt or ass")


FORMATS = ("srt", "vtt", "ass")
