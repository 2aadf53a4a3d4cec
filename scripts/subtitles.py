"""subtitles: segment the word-level transcript JSON into timed cues; render SRT, VTT or ASS.

Cues are chosen by dynamic programming over word boundaries, so every cue obeys the hard limits
(lines, characters per line, duration) and breaks land on sentence ends and punctuation where
possible. Timing follows the word timestamps. A QC report counts the cues over each limit.
No model runs here: restyling is cheap.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import regex

from common.io import StageError, read_json, run_cli, setup_logging, write_json_atomic, write_text_atomic

log = logging.getLogger("stage")

SENTENCE_END = (".", "?", "!", "…", "।", "。", "？", "！")
CLAUSE_END = (",", ";", ":", "—", "–", "、", "，")
# Words a line should not end on: they belong with what follows.
LEADING_WORDS = {
    "a", "an", "the", "of", "to", "in", "on", "at", "for", "with", "and", "or", "but", "my", "your",
    "his", "her", "its", "our", "their", "this", "that", "mr.", "mrs.", "dr.",
}  # fmt: skip


@dataclass(frozen=True)
class Word:
    text: str
    start: float
    end: float
    probability: float = 1.0
    speaker: str | None = None


@dataclass
class Style:
    max_lines: int = 2
    max_line_chars: int = 42
    max_cps: float = 17.0
    min_duration: float = 5 / 6
    max_duration: float = 7.0
    fps: float = 24.0
    min_gap_frames: int = 2
    close_gap: float = 0.5
    linger: float = 0.5
    pause_break: float = 1.0

    @property
    def min_gap(self) -> float:
        return self.min_gap_frames / self.fps


@dataclass
class Cue:
    start: float
    end: float
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


GRAPHEME = regex.compile(r"\X")


@functools.lru_cache(maxsize=1 << 16)
def graphemes(text: str) -> int:
    """Displayed width in user-perceived characters (Devanagari marks do not count)."""
    return len(GRAPHEME.findall(text))


def words_from_transcript(transcript: dict[str, Any]) -> list[Word]:
    """All words in time order, after dropping segments Whisper hallucinated.

    Dropped: a segment repeating the previous one verbatim (decoder loops), and a segment that
    Whisper itself thinks is not speech while its words are near-random (music, noise).
    """
    words: list[Word] = []
    previous_text = None
    for segment in transcript.get("segments", []):
        text = segment.get("text", "").strip()
        seg_words = [
            Word(w["word"].strip(), float(w["start"]), float(w["end"]), float(w.get("probability", 1.0)))
            for w in segment.get("words", [])
            if w.get("word", "").strip()
        ]
        if not seg_words or text == previous_text:
            continue
        mean_probability = sum(w.probability for w in seg_words) / len(seg_words)
        if segment.get("no_speech_prob", 0.0) > 0.6 and mean_probability < 0.3:
            log.info("dropped likely non-speech segment at %.2f s: %r", seg_words[0].start, text)
            continue
        previous_text = text
        words.extend(seg_words)
    return words


def is_name_pair(left: str, right: str) -> bool:
    """Two capitalised words in a row ("Martin Luther", "New York") read as one name."""
    return left[:1].isupper() and right[:1].isupper() and not left.endswith(SENTENCE_END + CLAUSE_END)


def split_lines(words: list[str], style: Style) -> list[str] | None:
    """Best way to set `words` in at most `style.max_lines` lines, or None if impossible."""
    # Line widths from the words' widths (a space is a grapheme of its own): the segmenter
    # tries ~10 splits per word, and measuring each joined line took 80 % of the stage's time.
    widths = [graphemes(word) for word in words]
    total = sum(widths) + len(widths) - 1
    if total <= style.max_line_chars:
        return [" ".join(words)]
    if style.max_lines < 2:
        return None
    best: tuple[float, list[str]] | None = None
    top_len = -1
    for cut in range(1, len(words)):
        top_len += widths[cut - 1] + 1
        bottom_len = total - top_len - 1
        if max(top_len, bottom_len) > style.max_line_chars:
            continue
        top, bottom = " ".join(words[:cut]), " ".join(words[cut:])
        cost = abs(top_len - bottom_len) / style.max_line_chars
        if top_len > bottom_len:
            cost += 0.1  # prefer a bottom-heavy pyramid
        last = words[cut - 1]
        if last.endswith(SENTENCE_END + CLAUSE_END):
            cost -= 0.5
        if last.lower() in LEADING_WORDS:
            cost += 1.0
        if is_name_pair(last, words[cut]):
            cost += 1.0
        if cut == len(words) - 1 or cut == 1:
            cost += 0.3  # a one-word line looks orphaned
        if best is None or cost < best[0]:
            best = (cost, [top, bottom])
    return best[1] if best else None


def cue_cost(span: list[Word], lines: list[str], next_word: Word | None, style: Style) -> float:
    """Penalty of making `span` one cue; lower is better. Each cue costs 1 (prefer fewer)."""
    cost = 1.0
    last = span[-1].text
    if next_word is not None:
        if last.endswith(SENTENCE_END):
            pass
        elif last.endswith(CLAUSE_END):
            cost += 0.5
        else:
            cost += 2.0
            if last.lower() in LEADING_WORDS or is_name_pair(last, next_word.text):
                cost += 2.0
        if next_word.start - span[-1].end >= style.pause_break:
            cost -= 0.5  # a pause is a natural break
    for a, b in zip(span, span[1:]):
        if a.text.endswith(SENTENCE_END):
            cost += 1.5  # a sentence end inside a cue: better as a cue break
        if b.start - a.end >= style.pause_break:
            cost += 3.0  # a long pause inside a cue leaves text on screen over silence
    duration = max(span[-1].end - span[0].start, style.min_duration)
    chars = sum(graphemes(line) for line in lines)
    if chars / duration > style.max_cps:
        cost += 2.0 * (chars / duration / style.max_cps - 1.0)
    if len(lines) > 1:
        cost += 0.2
    return cost


def segment_words(words: list[Word], style: Style) -> list[list[Word]]:
    """Partition `words` into cue spans by dynamic programming (minimum total cost)."""
    n = len(words)
    best = [0.0] + [float("inf")] * n
    back = [0] * (n + 1)
    for end in range(1, n + 1):
        for begin in range(end - 1, -1, -1):
            span = words[begin:end]
            if end - begin > 1 and span[-1].end - span[0].start > style.max_duration:
                break
            if end - begin > 1 and span[0].speaker != span[1].speaker:
                break  # a change of speaker always starts a new cue
            lines = split_lines([w.text for w in span], style)
            if lines is None:
                if end - begin == 1:  # a single over-long word: it still has to be shown
                    lines = [span[0].text]
                else:
                    break
            nxt = words[end] if end < n else None
            total = best[begin] + cue_cost(span, lines, nxt, style)
            if total < best[end]:
                best[end], back[end] = total, begin
    spans: list[list[Word]] = []
    end = n
    while end > 0:
        spans.append(words[back[end] : end])
        end = back[end]
    return spans[::-1]


def time_cues(spans: list[list[Word]], style: Style) -> list[Cue]:
    """Start each cue at its first word; end it a little after its last word (longer only when
    the minimum duration or reading speed needs it), respecting the minimum gap to the next cue, and closing gaps too short to notice.

    Computed in whole milliseconds (what SRT/VTT store), limits rounded up, so the rendered
    file itself meets them."""

    def ms(seconds: float) -> int:
        return round(seconds * 1000)

    def ms_at_least(seconds: float) -> int:
        return math.ceil(seconds * 1000 - 1e-6)

    min_gap, min_duration = ms_at_least(style.min_gap), ms_at_least(style.min_duration)
    cues: list[Cue] = []
    for index, span in enumerate(spans):
        start, last_end = ms(span[0].start), ms(span[-1].end)
        lines = split_lines([w.text for w in span], style) or [" ".join(w.text for w in span)]
        # Shortest time this cue needs on screen: the minimum duration, or its reading time.
        needed = max(min_duration, ms_at_least(sum(graphemes(line) for line in lines) / style.max_cps))
        end = max(last_end + ms(style.linger), start + needed)
        end = min(end, max(start + ms(style.max_duration), last_end))
        if index + 1 < len(spans):
            limit = ms(spans[index + 1][0].start) - min_gap
            if limit - end < ms(style.close_gap):
                end = limit  # a flicker-short gap: hold this cue until just before the next
            end = min(end, limit)  # never overlap, always keep the minimum gap
        end = max(end, start + 1)
        cues.append(Cue(start=start / 1000, end=end / 1000, lines=lines))
    return cues


def assign_speakers(words: list[Word], turns: list[dict[str, Any]]) -> list[Word]:
    """Give each word the speaker whose turn overlaps it most (the nearest turn if none does),
    and mark the first word after each change of speaker with a leading dash."""
    if not turns:
        return words

    def speaker_of(word: Word) -> str:
        def overlap(turn: dict[str, Any]) -> float:
            return min(word.end, turn["end"]) - max(word.start, turn["start"])

        return str(max(turns, key=overlap)["speaker"])

    labelled, previous = [], None
    for word in words:
        speaker = speaker_of(word)
        text = f"- {word.text}" if previous is not None and speaker != previous else word.text
        labelled.append(Word(text, word.start, word.end, word.probability, speaker))
        previous = speaker
    return labelled


def build_cues(transcript: dict[str, Any], style: Style, turns: list[dict[str, Any]] | None = None) -> list[Cue]:
    words = assign_speakers(words_from_transcript(transcript), turns or [])
    return time_cues(segment_words(words, style), style)


def timestamp(seconds: float, separator: str) -> str:
    millis = int(round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


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
    def escape(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    blocks = ["WEBVTT\n"]
    for cue in cues:
        blocks.append(f"{timestamp(cue.start, '.')} --> {timestamp(cue.end, '.')}\n{escape(cue.text)}\n")
    return "\n".join(blocks)


@dataclass
class AssStyle:
    """The ASS [V4+ Styles] line, for players and for burn-in (ffmpeg's subtitles filter)."""

    font: str = "DejaVu Sans"
    font_size: int = 54
    primary_colour: str = "&H00FFFFFF"
    outline_colour: str = "&H00000000"
    back_colour: str = "&H80000000"
    bold: bool = False
    outline: float = 2.5
    shadow: float = 1.0
    margin_v: int = 60
    play_res_x: int = 1920
    play_res_y: int = 1080


def ass_timestamp(seconds: float, round_up: bool = False) -> str:
    """ASS keeps centiseconds: starts round up and ends down, so gaps never shrink."""
    centis = math.ceil(seconds * 100 - 1e-6) if round_up else math.floor(seconds * 100 + 1e-6)
    hours, centis = divmod(centis, 360_000)
    minutes, centis = divmod(centis, 6000)
    secs, centis = divmod(centis, 100)
    return f"{hours:d}:{minutes:02d}:{secs:02d}.{centis:02d}"


def ass_escape(text: str) -> str:
    """Braces start override blocks and backslashes escapes in ASS; show them as look-alikes."""
    return text.replace("\\", "\uff3c").replace("{", "\uff5b").replace("}", "\uff5d")


def render_ass(cues: list[Cue], style: AssStyle | None = None) -> str:
    st = style or AssStyle()
    header = [
        "[Script Info]",
        "ScriptType: v4.00+",
        f"PlayResX: {st.play_res_x}",
        f"PlayResY: {st.play_res_y}",
        "WrapStyle: 2",  # our line breaks only: the segmenter already balanced them
        "ScaledBorderAndShadow: yes",
        "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, "
        "Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, "
        "MarginL, MarginR, MarginV, Encoding",
        f"Style: Default,{st.font},{st.font_size},{st.primary_colour},&H000000FF,{st.outline_colour},"
        f"{st.back_colour},{-1 if st.bold else 0},0,0,0,100,100,0,0,1,{st.outline:g},{st.shadow:g},2,"
        f"80,80,{st.margin_v},1",
        "",
        "[Events]",
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
    ]
    events = [
        f"Dialogue: 0,{ass_timestamp(c.start, round_up=True)},{ass_timestamp(c.end)},Default,,0,0,0,,"
        + "\\N".join(ass_escape(line) for line in c.lines)
        for c in cues
    ]
    return "\n".join(header + events) + "\n"


def quality_report(cues: list[Cue], style: Style) -> dict[str, Any]:
    """Count the cues breaking each limit. A reading-speed violation is `cps_speech_too_fast`
    when even the longest time the cue could stay up (to the next cue, or max duration) is too
    short: the speech itself is faster than the limit and no timing can fix it."""
    min_gap = math.ceil(style.min_gap * 1000 - 1e-6) / 1000
    min_duration = math.ceil(style.min_duration * 1000 - 1e-6) / 1000
    kinds = ("line_chars", "line_count", "cps", "cps_speech_too_fast", "duration_short", "duration_long", "gap")
    violations: list[dict[str, Any]] = []
    for index, cue in enumerate(cues):
        following = cues[index + 1] if index + 1 < len(cues) else None
        chars = sum(graphemes(line) for line in cue.lines)
        duration = cue.end - cue.start
        found = []
        if any(graphemes(line) > style.max_line_chars for line in cue.lines):
            found.append("line_chars")
        if len(cue.lines) > style.max_lines:
            found.append("line_count")
        if chars / max(duration, 1e-3) > style.max_cps + 1e-6:
            latest = cue.start + style.max_duration
            if following is not None:
                latest = min(latest, following.start - min_gap)
            too_fast = chars / max(latest - cue.start, 1e-3) > style.max_cps + 1e-6
            found.append("cps_speech_too_fast" if too_fast else "cps")
        if duration < min_duration - 1e-6:
            found.append("duration_short")
        if duration > style.max_duration + 1e-6:
            found.append("duration_long")
        if following is not None and following.start - cue.end < min_gap - 1e-6:
            found.append("gap")
        for kind in found:
            violations.append({"cue": index + 1, "kind": kind, "start": cue.start, "text": cue.text})
    counts = {kind: sum(v["kind"] == kind for v in violations) for kind in kinds}
    return {
        "cues": len(cues),
        "limits": asdict(style),
        "counts": counts,
        "fixable_violations": sum(n for kind, n in counts.items() if kind != "cps_speech_too_fast"),
        "max_cps_seen": round(max((sum(graphemes(l) for l in c.lines) / max(c.end - c.start, 1e-3) for c in cues), default=0.0), 2),
        "violations": violations,
    }


def qc_summary(path: Path, report: dict[str, Any]) -> str:
    counts = ", ".join(f"{kind} {n}" for kind, n in report["counts"].items() if n)
    return f"qc {path.name}: {report['cues']} cues, {report['fixable_violations']} violations" + (f" ({counts})" if counts else "")


def render(cues: list[Cue], fmt: str, ass_style: AssStyle) -> str:
    if fmt == "srt":
        return render_srt(cues)
    if fmt == "vtt":
        return render_vtt(cues)
    if fmt == "ass":
        return render_ass(cues, ass_style)
    raise StageError(f"unknown subtitle format {fmt!r}; use srt, vtt or ass")


FORMATS = ("srt", "vtt", "ass")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transcript", type=Path, required=True, help="word-level JSON (asr or translate)")
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--format", choices=FORMATS, required=True)
    parser.add_argument("--style", default="{}", help='JSON object of Style fields, plus "ass": AssStyle fields')
    parser.add_argument("--qc", type=Path, help="write the quality report (JSON) here")
    # nargs="?": the rule passes the flag with no value when the diarize stage is off.
    parser.add_argument("--speakers", type=Path, nargs="?", help="speaker turns JSON from the diarize stage")
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    setup_logging(args.debug)
    transcript = read_json(args.transcript, "transcript")
    style_fields = json.loads(args.style)
    ass_style = AssStyle(**style_fields.pop("ass", {}))
    style = Style(**style_fields)
    turns = read_json(args.speakers, "speaker turns")["turns"] if args.speakers else None
    cues = build_cues(transcript, style, turns)
    write_text_atomic(render(cues, args.format, ass_style), args.output)
    log.info("%s: %d cues", args.output, len(cues))
    if args.qc:
        report = quality_report(cues, style)
        write_json_atomic(report, args.qc)
        log.info("%s", qc_summary(args.output, report))


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
