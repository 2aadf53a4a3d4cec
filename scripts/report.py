"""report: per-film QC figures and summary for `snakemake --report` (PNG plots + an HTML table).

  <name>.cps.png        reading speed (characters per second) of every cue, per language
  <name>.durations.png  cue durations along the film, with the duration limits
  <name>.summary.html   stage timings (from benchmark files), the QC counts of each subtitle
                        file, and WER / chrF against references put beside the film
                        (in/<name>.<lang>.ref.txt or .ref.srt)
"""

from __future__ import annotations

import argparse
import csv
import html
import json
import re
from pathlib import Path
from typing import Any

from common.io import atomic_path, run_cli, setup_logging, write_text_atomic

CHARS = re.compile(r"\S")


def read_srt(path: Path) -> list[tuple[float, float, str]]:
    import pysrt

    return [(c.start.ordinal / 1000, c.end.ordinal / 1000, c.text) for c in pysrt.open(str(path), encoding="utf-8")]


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
    return " ".join(path.read_text(encoding="utf-8").split())


def scores(tracks: dict[str, list], references: dict[str, Path], source: str) -> list[dict[str, Any]]:
    """WER for the spoken language, chrF for translations, wherever a reference exists."""
    import jiwer
    import sacrebleu

    clean = jiwer.Compose([jiwer.ToLowerCase(), jiwer.RemovePunctuation(), jiwer.RemoveMultipleSpaces(), jiwer.Strip()])
    rows = []
    for lang, path in references.items():
        if lang not in tracks:
            continue
        hypothesis = " ".join(text.replace("\n", " ") for _, _, text in tracks[lang])
        reference = reference_text(path)
        row = {"language": lang, "reference": path.name}
        if lang == source:
            row["WER"] = round(jiwer.wer(clean(reference), clean(hypothesis) or "-"), 4)
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
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    log = setup_logging(args.debug)
    tracks = {lang: read_srt(path) for lang, path in parse_pairs(args.subtitles).items()}
    qc = {lang: json.loads(path.read_text()) for lang, path in parse_pairs(args.qc).items()}
    limits = {lang: report["limits"]["max_cps"] for lang, report in qc.items()}
    any_limits = next(iter(qc.values()), {"limits": {"min_duration": 0.833, "max_duration": 7.0}})["limits"]
    plot_cps(tracks, limits, args.cps_plot)
    plot_durations(tracks, any_limits["min_duration"], any_limits["max_duration"], args.durations_plot)
    qc_rows = [{"language": lang, "cues": r["cues"], "problems": r["problems"], "format violations": r["format_violations"], **r["counts"]} for lang, r in qc.items()]
    score_rows = scores(tracks, parse_pairs(args.references), args.source_language)
    write_text_atomic(summary_html(args.name, stage_timings(args.benchmarks, args.name), qc_rows, score_rows), args.summary)
    log.info("report for %s: %d tracks, %d references", args.name, len(tracks), len(score_rows))


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
