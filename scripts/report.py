"""report: per-film QC figures and summary for `snakemake --report` (PNG plots + an HTML table).

  <name>.cps.png        reading speed (characters per second) of every cue, per language
  <name>.durations.png  cue durations along the film, with the duration limits
  <name>.timeline.png   the film in rows of 60 s: audio envelope, speech regions, shot cuts
                        and every cue of the spoken-language subtitles, flagged cues marked
  <name>.summary.html   stage timings (from benchmark files), the QC counts of each subtitle
                        file, and WER / chrF against references put beside the film
                        (in/<name>.<lang>.ref.txt or .ref.srt)
"""

from __future__ import annotations

import argparse
import csv
import html
import json
import logging
import re
from pathlib import Path
from typing import Any

from subtitles_workflow.io import atomic_path, run_cli, setup_logging, write_text_atomic
from subtitles_workflow.text_input import read_user_text
from subtitles_workflow.transcript import SCHEMA, TRANSLATION_SCHEMA, read_transcript
from subtitles_workflow.wer import word_error_rate

CHARS = re.compile(r"\S")
ENVELOPE_STEP_S = 0.05  # one RMS value per 50 ms: finer than any cue edge a viewer can see
ROW_SECONDS = 60.0  # one row per minute keeps a 2 s cue about 30 px wide
ROW_HEIGHT_IN = 1.5
# scripts/subtitles.py NOTE_KINDS: noted in the QC, not problems (drawn amber, not red)
NOTE_KINDS = ("cps_speech_too_fast", "end_cut_by_next", "end_cut_by_max_duration", "dropped_segment")
# QC flags of a span of the film rather than a cue (subtitles_workflow/coverage.py), shaded
# over the whole row: speech under no cue, and what the asr stage decoded and dropped.
SPAN_KINDS = {"uncovered_speech": ("#e45756", "///", "speech under no cue"),
              "dropped_segment": ("#ff7f0e", "xx", "asr dropped (loop, prompt echo, too fast)")}  # fmt: skip


def read_srt(path: Path) -> list[tuple[float, float, str]]:
    import pysrt

    return [(c.start.ordinal / 1000, c.end.ordinal / 1000, c.text) for c in pysrt.from_string(read_text(path))]


def read_text(path: Path) -> str:
    """A text a user wrote (a reference): UTF-8, else Windows-1252 with a note in the log."""
    text, note = read_user_text(path)
    if note:
        logging.getLogger("stage").warning("%s", note)
    return text


def cps(cue: tuple[float, float, str]) -> float:
    start, end, text = cue
    return len(text.replace("\n", " ")) / max(end - start, 1e-3)


def new_figure():
    import matplotlib

    matplotlib.use("Agg")  # no display: render straight to PNG
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(7, 3.5), dpi=100)


def save_figure(figure, axes, output: Path) -> None:
    import matplotlib.pyplot as plt

    axes.legend()
    figure.tight_layout()
    with atomic_path(output) as tmp:
        figure.savefig(tmp, format="png")
    plt.close(figure)


def plot_cps(tracks: dict[str, list], limits: dict[str, float], output: Path) -> None:
    figure, axes = new_figure()
    for lang, cues in tracks.items():
        axes.hist([cps(c) for c in cues], bins=range(0, 41), alpha=0.6, label=f"{lang} ({len(cues)} cues)")
        if lang in limits:
            axes.axvline(limits[lang], linestyle="--", linewidth=1)
    axes.set(xlabel="characters per second", ylabel="cues", title="Reading speed")
    save_figure(figure, axes, output)


def plot_durations(tracks: dict[str, list], min_duration: float, max_duration: float, output: Path) -> None:
    figure, axes = new_figure()
    for lang, cues in tracks.items():
        axes.plot([c[0] for c in cues], [c[1] - c[0] for c in cues], "o", markersize=3, label=lang)
    for limit in (min_duration, max_duration):
        axes.axhline(limit, color="grey", linestyle="--", linewidth=1)
    axes.set(xlabel="cue start (s)", ylabel="duration (s)", title="Cue durations")
    save_figure(figure, axes, output)


def audio_envelope(wav: Path) -> list[float]:
    """RMS of every ENVELOPE_STEP_S of the demuxed audio, read a minute at a time."""
    import numpy as np
    from subtitles_workflow.speech import SAMPLE_RATE, read_wav, wav_seconds

    step = int(ENVELOPE_STEP_S * SAMPLE_RATE)
    envelope: list[float] = []
    total = wav_seconds(wav)
    start = 0.0
    while start < total:
        samples = read_wav(wav, start, start + ROW_SECONDS)
        usable = samples[: len(samples) - len(samples) % step].reshape(-1, step)
        envelope += np.sqrt((usable**2).mean(axis=1)).tolist()
        start += ROW_SECONDS
    return envelope


def flags_by_cue(violations: list[dict[str, Any]]) -> dict[int, list[str]]:
    """1-based cue number -> the QC kinds flagged on it (loops dropped before rendering have none)."""
    flags: dict[int, list[str]] = {}
    for violation in violations:
        if violation.get("cue"):
            flags.setdefault(violation["cue"], []).append(violation["kind"])
    return flags


def flagged_spans(violations: list[dict[str, Any]]) -> list[tuple[float, float, str]]:
    """(start, end, kind) of every QC flag of a span (SPAN_KINDS) rather than a cue."""
    return [(float(v["start"]), float(v["end"]), v["kind"]) for v in violations if v.get("kind") in SPAN_KINDS and "end" in v]


def cue_colour(kinds: list[str]) -> str:
    if not kinds:
        return "#4c78a8"
    return "#ffb000" if all(kind in NOTE_KINDS for kind in kinds) else "#e45756"


def cue_label(text: str, kinds: list[str]) -> str:
    words = " ".join(text.split())
    named_once = dict.fromkeys(kinds)  # function_word_breaks is listed once per break
    return f"[{', '.join(named_once)}] {words}" if kinds else words


def plot_timeline(
    envelope: list[float],
    speech_regions: list[list[float]],
    cuts: list[float],
    cues: list[tuple[float, float, str]],
    flags: dict[int, list[str]],
    output: Path,
    spans: list[tuple[float, float, str]] | None = None,
) -> None:
    """Subtitle Edit's waveform view on paper: per row of ROW_SECONDS, the envelope on top with
    speech regions shaded behind it and shot cuts as lines, the cues as bars below it on two
    alternating levels (so neighbours stay apart), problems red, notes amber; `spans` (QC
    flags of a stretch of film: flagged_spans) hatched over the whole row."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.patches import Rectangle

    film_end = max([len(envelope) * ENVELOPE_STEP_S] + [end for _, end, _ in cues] + [1.0])
    rows = int(np.ceil(film_end / ROW_SECONDS))
    row_seconds = min(ROW_SECONDS, float(np.ceil(film_end)))  # a short film fills its one row
    figure, axes_rows = plt.subplots(rows, 1, figsize=(14, ROW_HEIGHT_IN * rows + 0.4), dpi=100, squeeze=False)
    times = np.arange(len(envelope)) * ENVELOPE_STEP_S
    # scale to a loud frame, not the loudest: one click must not flatten the whole film
    loud = float(np.percentile(envelope, 99)) if envelope else 1.0
    level = np.clip(np.asarray(envelope) / max(loud, 1e-6), 0, 1) * 0.5 + 0.48
    for row, axes in enumerate(axes_rows[:, 0]):
        start, end = row * row_seconds, (row + 1) * row_seconds
        axes.set_xlim(start, end)
        axes.set_ylim(0, 1)
        axes.set_yticks([])
        axes.tick_params(axis="x", labelsize=7)
        for region_start, region_end in speech_regions:
            if region_end > start and region_start < end:
                axes.axvspan(region_start, region_end, ymin=0.47, ymax=1, color="#54a24b", alpha=0.25, linewidth=0)
        for span_start, span_end, kind in spans or []:
            if span_end > start and span_start < end:
                colour, hatch, _ = SPAN_KINDS[kind]
                axes.axvspan(span_start, span_end, facecolor=colour, alpha=0.25, hatch=hatch, edgecolor=colour, linewidth=0)
        shown = (times >= start - ENVELOPE_STEP_S) & (times <= end)
        axes.fill_between(times[shown], 0.48, level[shown], color="#333333", linewidth=0)
        for cut in cuts:
            if start <= cut < end:
                axes.axvline(cut, color="#b279a2", linestyle="--", linewidth=1)
        for number, (cue_start, cue_end, text) in enumerate(cues, start=1):
            if cue_end <= start or cue_start >= end:
                continue
            kinds = flags.get(number, [])
            bottom = 0.03 if number % 2 else 0.24
            bar = Rectangle((cue_start, bottom), cue_end - cue_start, 0.19, facecolor=cue_colour(kinds), edgecolor="white")
            axes.add_patch(bar)
            label = axes.text(cue_start + row_seconds * 0.002, bottom + 0.095, cue_label(text, kinds), fontsize=6.5, va="center", color="white", clip_on=True)
            label.set_clip_path(bar)  # the text stays inside its own cue
            label.set_in_layout(False)  # its unclipped length must not shrink the row
    save_timeline(figure, axes_rows[0, 0], output)


def save_timeline(figure, first_row, output: Path) -> None:
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    legend = [
        Patch(color="#333333", label="audio (RMS per 50 ms)"),
        Patch(color="#54a24b", alpha=0.25, label="speech regions"),
        Patch(color="#4c78a8", label="cue"),
        Patch(color="#e45756", label="cue with a QC problem"),
        Patch(color="#ffb000", label="cue with a QC note"),
        plt.Line2D([], [], color="#b279a2", linestyle="--", label="shot cut"),
    ] + [Patch(facecolor=colour, alpha=0.25, hatch=hatch, edgecolor=colour, label=label) for colour, hatch, label in SPAN_KINDS.values()]
    first_row.legend(handles=legend, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=4, fontsize=7, frameon=False)
    figure.supxlabel("film time (s)", fontsize=8)
    figure.tight_layout()
    with atomic_path(output) as tmp:
        figure.savefig(tmp, format="png")
    plt.close(figure)


def stage_timings(benchmarks: Path, name: str) -> list[dict[str, Any]]:
    """One row per benchmark file of this film (benchmarks/<stage>/[...]/<name>[.x].tsv)."""
    rows = []
    for path in sorted(benchmarks.rglob("*.tsv")) if benchmarks.is_dir() else []:
        if path.name != f"{name}.tsv" and not path.name.startswith(f"{name}."):
            continue
        with open(path, newline="") as handle:
            record = next(csv.DictReader(handle, delimiter="\t"), None)
        if record:
            rows.append({"job": str(path.relative_to(benchmarks).with_suffix("")), "seconds": float(record["s"]), "max_rss_mb": record.get("max_rss", "")})
    return rows


def reference_text(path: Path) -> str:
    if path.suffix == ".srt":
        return " ".join(text.replace("\n", " ") for _, _, text in read_srt(path))
    return " ".join(read_text(path).split())


def scores(tracks: dict[str, list], references: dict[str, Path], source: str) -> list[dict[str, Any]]:
    """WER for the spoken language, chrF for translations, wherever a reference exists."""
    import sacrebleu
    rows = []
    for lang, path in references.items():
        if lang not in tracks:
            continue
        hypothesis = " ".join(text.replace("\n", " ") for _, _, text in tracks[lang])
        reference = reference_text(path)
        row = {"language": lang, "reference": path.name}
        if lang == source:
            row["WER"] = round(word_error_rate(reference, hypothesis), 4)
        row["chrF"] = round(sacrebleu.sentence_chrf(hypothesis, [reference]).score, 2)
        rows.append(row)
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p>none</p>"
    head = "".join(f"<th>{html.escape(str(k))}</th>" for k in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row.values()) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def summary_html(name: str, timings: list, qc_rows: list, score_rows: list) -> str:
    style = "body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px}"
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(name)}</title><style>{style}</style></head><body>"
        f"<h2>{html.escape(name)}</h2><h3>Stage timings</h3>{table(timings)}"
        f"<h3>Subtitle QC</h3>{table(qc_rows)}<h3>Scores against references</h3>{table(score_rows)}</body></html>\n"
    )


def plot_film_timeline(args: argparse.Namespace, cues: list[tuple[float, float, str]], qc: dict[str, Any]) -> None:
    transcript = read_transcript(args.transcript, (SCHEMA, TRANSLATION_SCHEMA))
    cuts = json.loads(args.shots.read_text())["cuts"] if args.shots else []
    flags = flags_by_cue(qc.get("violations", []))
    spans = flagged_spans(qc.get("violations", []))
    plot_timeline(audio_envelope(args.audio), transcript.get("speech_regions") or [], cuts, cues, flags, args.timeline_plot, spans)


def parse_pairs(values: list[str]) -> dict[str, Path]:
    return {lang: Path(path) for lang, _, path in (v.partition("=") for v in values)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True)
    parser.add_argument("--source-language", required=True)
    parser.add_argument("--subtitles", nargs="+", default=[], help="LANG=out/<name>.<lang>.srt")
    parser.add_argument("--qc", nargs="*", default=[], help="LANG=work/qc/<name>.<lang>.srt.json")
    parser.add_argument("--references", nargs="*", default=[], help="LANG=in/<name>.<lang>.ref.txt|srt")
    parser.add_argument("--benchmarks", type=Path, default=Path("benchmarks"))
    parser.add_argument("--cps-plot", type=Path, required=True)
    parser.add_argument("--durations-plot", type=Path, required=True)
    parser.add_argument("--summary", type=Path, required=True)
    parser.add_argument("--audio", type=Path, required=True, help="work/demux/<name>.wav")
    parser.add_argument("--transcript", type=Path, required=True, help="the transcript the subtitles stage read")
    parser.add_argument("--shots", type=Path, nargs="?", help="work/shots/<name>.json ({'cuts': [seconds]}), when that stage ran")
    parser.add_argument("--timeline-plot", type=Path, required=True)
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    log = setup_logging(args.debug)
    tracks = {lang: read_srt(path) for lang, path in parse_pairs(args.subtitles).items()}
    qc = {lang: json.loads(path.read_text()) for lang, path in parse_pairs(args.qc).items()}
    limits = {lang: report["limits"]["max_cps"] for lang, report in qc.items()}
    any_limits = next(iter(qc.values()), {"limits": {"min_duration": 0.833, "max_duration": 7.0}})["limits"]
    log.debug(
        "tracks %s; reading speed limits %s; duration limits from %s; the timeline shows the %s track%s",
        ", ".join(f"{lang} ({len(cues)} cues)" for lang, cues in tracks.items()), limits,
        next(iter(qc), "the defaults (no QC)"), args.source_language, " and shot cuts" if args.shots else "",
    )  # fmt: skip
    plot_cps(tracks, limits, args.cps_plot)
    plot_durations(tracks, any_limits["min_duration"], any_limits["max_duration"], args.durations_plot)
    plot_film_timeline(args, tracks.get(args.source_language, []), qc.get(args.source_language, {}))
    qc_rows = [{"language": lang, "cues": r["cues"], "problems": r["problems"], "format violations": r["format_violations"],
                "speech under no cue (s)": r.get("uncovered_speech_s", ""), **r["counts"]} for lang, r in qc.items()]  # fmt: skip
    score_rows = scores(tracks, parse_pairs(args.references), args.source_language)
    write_text_atomic(summary_html(args.name, stage_timings(args.benchmarks, args.name), qc_rows, score_rows), args.summary)
    log.info("report for %s: %d tracks, %d references", args.name, len(tracks), len(score_rows))


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
