"""compare_variants: the default build and its variants side by side (config variants).

  compare.tsv   one row per film and build: WER of the spoken language and chrF of each
                translation against references (in/<name>.<lang>.ref.txt|srt), agreement
                (WER of the build's spoken-language subtitles against the default's), the QC
                counts of the quality issue (loops, wrong script, low confidence, off speech,
                function-word breaks, every problem), and the wall time and peak memory of
                each stage the build rebuilt (from its benchmark files)
  compare.html  both tables as one page, shown by `snakemake variants --report out/report.html`
  cue_diff.tsv  cue by cue, each variant's spoken-language subtitles against the default's:
                cues paired by text (difflib), with the timing change of equal cues and the
                text of changed, added and removed ones

The manifest (JSON, written by rules/common/variants.smk) lists per film and build its
subtitle and QC files, references, rebuilt stages and benchmark files.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import html
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

from subtitles_workflow.io import run_cli, setup_logging, write_text_atomic
from subtitles_workflow.wer import word_error_rate
from report import read_srt, reference_text

QC_KINDS = ("loops", "wrong_script", "low_confidence", "off_speech", "function_word_breaks")
STAGES = ("asr", "align", "translate", "subtitles")
CHRF_ORDER = 6
CHRF_BETA = 2.0


def char_ngrams(text: str, n: int) -> Counter:
    """Character n-grams of `text` without its spaces (as sacrebleu's chrF counts them)."""
    chars = "".join(text.split())
    return Counter(chars[i : i + n] for i in range(len(chars) - n + 1))


def chrf(hypothesis: str, reference: str) -> float:
    """chrF (Popović 2015, sacrebleu's default: character 6-grams, beta 2, no word n-grams),
    0-100. sacrebleu's own when it is installed (the report env has it)."""
    try:
        import sacrebleu
    except ImportError:
        pass
    else:
        return float(sacrebleu.sentence_chrf(hypothesis, [reference]).score)
    precisions, recalls = [], []
    for n in range(1, CHRF_ORDER + 1):
        hyp, ref = char_ngrams(hypothesis, n), char_ngrams(reference, n)
        if not hyp or not ref:
            continue
        matches = sum((hyp & ref).values())
        precisions.append(matches / sum(hyp.values()))
        recalls.append(matches / sum(ref.values()))
    if not precisions:
        return 0.0
    precision, recall = sum(precisions) / len(precisions), sum(recalls) / len(recalls)
    if precision + recall == 0:
        return 0.0
    beta2 = CHRF_BETA**2
    return 100 * (1 + beta2) * precision * recall / (beta2 * precision + recall)


def subtitle_text(path: str | Path) -> str:
    return " ".join(text.replace("\n", " ") for _, _, text in read_srt(Path(path)))


def qc_counts(paths: list[str]) -> dict[str, int]:
    """The QC counts of a build's subtitle files of one film, summed over its languages."""
    totals = Counter({kind: 0 for kind in QC_KINDS + ("problems",)})
    for path in paths:
        report = json.loads(Path(path).read_text(encoding="utf-8"))
        for kind in QC_KINDS:
            totals[kind] += int(report.get("counts", {}).get(kind, 0))
        totals["problems"] += int(report.get("problems", 0))
    return dict(totals)


def benchmark(paths: list[str]) -> tuple[float, float] | None:
    """Wall seconds (summed) and peak resident memory in MB (the largest) of a stage's jobs;
    None when no benchmark file exists (the stage's jobs ran before benchmarks were kept)."""
    seconds, peak, found = 0.0, 0.0, False
    for path in paths:
        if not Path(path).is_file():
            continue
        with open(path, newline="") as handle:
            record = next(csv.DictReader(handle, delimiter="\t"), None)
        if record:
            found = True
            seconds += float(record["s"])
            try:
                peak = max(peak, float(record.get("max_rss") or 0))
            except ValueError:
                pass
    return (seconds, peak) if found else None


def score_row(row: dict[str, Any], default_text: dict[str, str]) -> dict[str, Any]:
    """One line of compare.tsv."""
    source = row["source_language"]
    out: dict[str, Any] = {"film": row["film"], "variant": row["variant"], "rebuilt": ",".join(row["stages"]) or "-"}
    texts = {lang: subtitle_text(path) for lang, path in row["subtitles"].items()}
    reference = row["references"].get(source)
    out["wer"] = round(word_error_rate(reference_text(Path(reference)), texts[source]), 4) if reference else ""
    out["agreement_wer"] = round(word_error_rate(default_text[source], texts[source]), 4) if source in default_text else ""
    out["chrf"] = " ".join(
        f"{lang}={chrf(texts[lang], reference_text(Path(path))):.2f}"
        for lang, path in sorted(row["references"].items())
        if lang != source and lang in texts
    )
    out.update(qc_counts(list(row["qc"].values())))
    for stage in STAGES[:3]:
        timing = benchmark(row["benchmarks"].get(stage, []))
        out[f"{stage}_s"] = f"{timing[0]:.2f}" if timing else ""
        out[f"{stage}_max_rss_mb"] = f"{timing[1]:.0f}" if timing else ""
    return out


def cue_diff(film: str, variant: str, default: list, other: list) -> list[dict[str, Any]]:
    """The cues of `other` against `default`, paired by text: equal cues with their timing
    change (only where it moved), and every changed, added or removed cue."""
    rows = []
    matcher = difflib.SequenceMatcher(a=[c[2] for c in default], b=[c[2] for c in other], autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal":
            for i, j in zip(range(a0, a1), range(b0, b1)):
                start, end = other[j][0] - default[i][0], other[j][1] - default[i][1]
                if abs(start) >= 0.001 or abs(end) >= 0.001:
                    rows.append(diff_row(film, variant, "timing", i, j, default[i], other[j]))
            continue
        for k in range(max(a1 - a0, b1 - b0)):
            i, j = a0 + k, b0 + k
            left = default[i] if i < a1 else None
            right = other[j] if j < b1 else None
            kind = "changed" if left and right else ("removed" if left else "added")
            rows.append(diff_row(film, variant, kind, i if left else None, j if right else None, left, right))
    return rows


def diff_row(film, variant, kind, i, j, left, right) -> dict[str, Any]:
    def cell(cue, at):
        return "" if cue is None else f"{cue[at]:.3f}"

    def text(cue):
        return "" if cue is None else cue[2].replace("\n", " / ")

    return {
        "film": film,
        "variant": variant,
        "change": kind,
        "default_cue": "" if i is None else i + 1,
        "variant_cue": "" if j is None else j + 1,
        "default_start": cell(left, 0),
        "default_end": cell(left, 1),
        "variant_start": cell(right, 0),
        "variant_end": cell(right, 1),
        "start_shift": f"{right[0] - left[0]:+.3f}" if left and right else "",
        "end_shift": f"{right[1] - left[1]:+.3f}" if left and right else "",
        "default_text": text(left),
        "variant_text": text(right),
    }


def tsv(rows: list[dict[str, Any]], header: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, delimiter="\t", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


TABLE_HEADER = (
    ["film", "variant", "rebuilt", "wer", "agreement_wer", "chrf"]
    + list(QC_KINDS)
    + ["problems"]
    + [f"{stage}_{what}" for stage in STAGES[:3] for what in ("s", "max_rss_mb")]
)
DIFF_HEADER = list(diff_row("", "", "", 0, 0, (0, 0, ""), (0, 0, "")))


def compare(manifest: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """compare.tsv's rows and cue_diff.tsv's rows."""
    defaults = {row["film"]: row for row in manifest if row["variant"] == "default"}
    table, diffs = [], []
    for row in manifest:
        default = defaults[row["film"]]
        source = default["source_language"]
        default_text = {source: subtitle_text(default["subtitles"][source])}
        table.append(score_row(row, default_text))
        if row["variant"] != "default":
            diffs += cue_diff(
                row["film"], row["variant"], read_srt(Path(default["subtitles"][source])), read_srt(Path(row["subtitles"][source]))
            )
    return table, diffs


def html_table(rows: list[dict[str, Any]], header: list[str]) -> str:
    head = "".join(f"<th>{html.escape(name)}</th>" for name in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(row.get(name, '')))}</td>" for name in header) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def page(table: list[dict[str, Any]], diffs: list[dict[str, Any]]) -> str:
    """compare.tsv and cue_diff.tsv as one page for `snakemake --report`."""
    style = "table{border-collapse:collapse;font:13px sans-serif}td,th{border:1px solid #ccc;padding:2px 6px}"
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><style>{style}</style></head><body>"
        f"<h3>Variants side by side</h3>{html_table(table, TABLE_HEADER)}"
        f"<h3>Cue by cue against the default build</h3>{html_table(diffs, DIFF_HEADER)}</body></html>\n"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manifest", required=True, help="JSON rows (rules/common/variants.smk), or @file")
    parser.add_argument("--table", required=True, type=Path)
    parser.add_argument("--diff", required=True, type=Path)
    parser.add_argument("--page", type=Path, help="both tables as one HTML page (for snakemake --report)")
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    log = setup_logging(args.debug)
    text = Path(args.manifest[1:]).read_text() if args.manifest.startswith("@") else args.manifest
    table, diffs = compare(json.loads(text))
    write_text_atomic(tsv(table, TABLE_HEADER), args.table)
    write_text_atomic(tsv(diffs, DIFF_HEADER), args.diff)
    if args.page:
        write_text_atomic(page(table, diffs), args.page)
    log.info("compared %d builds of films; %d cue differences", len(table), len(diffs))


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
