"""compare_variants: the default build and its variants side by side (config variants).

  compare.tsv   one row per film and build: WER of the spoken language and chrF of each
                translation against references (in/<name>.<lang>.ref.txt|srt), agreement
                (WER of the build's spoken-language subtitles against the default's), the QC
                counts of the quality issue (loops, wrong script, low confidence, off speech,
                uncovered speech, function-word breaks, every problem), the speech under no
                cue and the share covered, the language check, and the wall time and peak
                memory of each stage the build rebuilt (from its benchmark files); then, per
                film, a row `better` naming the build with the better value of each column
                (BETTER says which way each column is judged)
  compare.html  both tables as one page, the better value of each column in bold and how it
                was judged, shown by `snakemake variants --report out/report.html`
  cue_diff.tsv  each variant's spoken-language subtitles against the default's, by time:
                cues that overlap in time form one row (one against one, or a re-split: one
                against several), with the timing change and both texts; a cue that overlaps
                nothing on the other side is added or removed

The manifest (JSON, written by rules/common/variants.smk) lists per film and build its
subtitle and QC files, references, rebuilt stages and benchmark files.
"""

from __future__ import annotations

import argparse
import csv
import html
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

from subtitles_workflow.io import run_cli, setup_logging, write_text_atomic
from subtitles_workflow.wer import word_error_rate
from report import read_srt, reference_text

QC_KINDS = ("loops", "wrong_script", "low_confidence", "off_speech", "uncovered_speech", "function_word_breaks")
STAGES = ("asr", "timing", "align", "translate", "subtitles")
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


def speech_checks(path: str | None) -> dict[str, Any]:
    """From the spoken language's QC: seconds of speech under no cue, the share of speech
    covered, and the language check ("ok", or the warning); blank where the QC has none."""
    report = json.loads(Path(path).read_text(encoding="utf-8")) if path else {}
    uncovered, share = report.get("uncovered_speech_s"), report.get("speech_covered_share")
    warning = report.get("language_warning")
    return {
        "uncovered_speech_s": "" if uncovered is None else round(float(uncovered), 2),
        "speech_covered_share": "" if share is None else round(float(share), 4),
        "language_check": warning or ("ok" if report.get("language") else ""),
    }


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
    out.update(speech_checks(row["qc"].get(source)))
    for stage in STAGES[:4]:
        timing = benchmark(row["benchmarks"].get(stage, []))
        out[f"{stage}_s"] = f"{timing[0]:.2f}" if timing else ""
        out[f"{stage}_max_rss_mb"] = f"{timing[1]:.0f}" if timing else ""
    decoder = decoder_peak(row["qc"].get(source))
    if decoder is not None and (row["variant"] == "default" or "asr" in row["stages"]):
        out["asr_max_rss_mb"] = f"{decoder:.0f}"
    return out


def decoder_peak(qc_path: str | None) -> float | None:
    """The peak memory of the process that decoded the film (the asr job, or the warm worker
    that served it), as the transcript records it: the benchmark of the job that started a
    worker counts the worker, the others' do not."""
    report = json.loads(Path(qc_path).read_text(encoding="utf-8")) if qc_path else {}
    peak = report.get("decoder_peak_rss_mb")
    return float(peak) if peak is not None else None


def overlapping_groups(default: list, other: list) -> list[tuple[list[int], list[int]]]:
    """Cues of both sides that overlap in time, as groups of (default indices, other indices),
    in time order: the connected runs of the overlap between the two timelines. A cue that
    overlaps nothing on the other side is a group of its own with the other side empty."""
    events = sorted([(c[0], c[1], 0, i) for i, c in enumerate(default)] + [(c[0], c[1], 1, j) for j, c in enumerate(other)])
    groups: list[tuple[list[int], list[int]]] = []
    reach = {0: -1.0, 1: -1.0}  # the latest end of each side's cues in the open group
    for start, end, side, index in events:
        if groups and start < reach[1 - side] - 1e-9:  # overlaps the other side's cues in the group
            groups[-1][side].append(index)
        else:
            groups.append(([], []))
            groups[-1][side].append(index)
            reach = {0: -1.0, 1: -1.0}
        reach[side] = max(reach[side], end)
    return groups


def cue_diff(film: str, variant: str, default: list, other: list) -> list[dict[str, Any]]:
    """The cues of `other` against `default`, paired by time: one row per group of cues that
    overlap (overlapping_groups). Same text on both sides: a `timing` row where it moved, a
    `resplit` row where the same words are cut into other cues; other text: `changed`; a cue
    overlapping nothing: `added` or `removed`. Shifts compare the group's first start and last
    end, so they never span unrelated cues."""
    rows = []
    for left, right in overlapping_groups(default, other):
        a = [default[i] for i in left]
        b = [other[j] for j in right]
        if not a or not b:
            kind = "removed" if a else "added"
        elif words(a) != words(b):
            kind = "changed"
        elif len(a) != len(b):
            kind = "resplit"
        elif all(abs(x[0] - y[0]) < 0.001 and abs(x[1] - y[1]) < 0.001 and x[2] == y[2] for x, y in zip(a, b)):
            continue
        else:
            kind = "timing"
        rows.append(diff_row(film, variant, kind, left, right, a, b))
    return rows


def words(cues: list) -> list[str]:
    return " ".join(cue[2] for cue in cues).split()


def diff_row(film: str, variant: str, kind: str, left: list[int], right: list[int], a: list, b: list) -> dict[str, Any]:
    def cues(indices: list[int]) -> str:
        return "" if not indices else str(indices[0] + 1) if len(indices) == 1 else f"{indices[0] + 1}-{indices[-1] + 1}"

    def text(group: list) -> str:
        return " | ".join(cue[2].replace("\n", " / ") for cue in group)

    return {
        "film": film,
        "variant": variant,
        "change": kind,
        "default_cue": cues(left),
        "variant_cue": cues(right),
        "default_start": f"{a[0][0]:.3f}" if a else "",
        "default_end": f"{a[-1][1]:.3f}" if a else "",
        "variant_start": f"{b[0][0]:.3f}" if b else "",
        "variant_end": f"{b[-1][1]:.3f}" if b else "",
        "start_shift": f"{b[0][0] - a[0][0]:+.3f}" if a and b else "",
        "end_shift": f"{b[-1][1] - a[-1][1]:+.3f}" if a and b else "",
        "default_text": text(a),
        "variant_text": text(b),
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
    + ["problems", "uncovered_speech_s", "speech_covered_share", "language_check"]
    + [f"{stage}_{what}" for stage in STAGES[:4] for what in ("s", "max_rss_mb")]
)
DIFF_HEADER = list(diff_row("", "", "", [], [], [], []))
# Which way each column is judged: the better build has the lower value, or the higher one, or
# ("ok") the language check that passed. A build that loses speech is worse on
# uncovered_speech_s, speech_covered_share and problems (the QC counts uncovered speech).
BETTER = {
    **{column: "lower" for column in ["wer", "agreement_wer", *QC_KINDS, "problems", "uncovered_speech_s"]},
    **{f"{stage}_{what}": "lower" for stage in STAGES[:4] for what in ("s", "max_rss_mb")},
    "chrf": "higher",
    "speech_covered_share": "higher",
    "language_check": "ok",
}


def better_builds(rows: list[dict[str, Any]]) -> dict[str, str]:
    """Per column, the build(s) of one film with the better value ("a, b" on a tie; blank
    where no build has a value or all are equal)."""
    marks: dict[str, str] = {}
    for column, way in BETTER.items():
        values = {row["variant"]: score(row.get(column, ""), way) for row in rows}
        values = {variant: value for variant, value in values.items() if value is not None}
        if len(values) < 2 or len(set(values.values())) == 1:
            marks[column] = ""
            continue
        best = max(values.values()) if way in ("higher", "ok") else min(values.values())
        marks[column] = ", ".join(variant for variant, value in values.items() if value == best)
    return marks


def score(cell: Any, way: str) -> float | None:
    """A cell as a comparable number (None when blank); chrF's `lang=score ...` by its mean."""
    if cell in ("", None):
        return None
    if way == "ok":
        return 1.0 if cell == "ok" else 0.0
    if isinstance(cell, str) and "=" in cell:
        scores = [float(part.split("=", 1)[1]) for part in cell.split()]
        return sum(scores) / len(scores)
    return float(cell)


def compare(manifest: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """compare.tsv's rows and cue_diff.tsv's rows."""
    defaults = {row["film"]: row for row in manifest if row["variant"] == "default"}
    table, diffs = [], []
    for film, default in defaults.items():
        source = default["source_language"]
        default_text = {source: subtitle_text(default["subtitles"][source])}
        rows = [score_row(row, default_text) for row in manifest if row["film"] == film]
        table += rows + [{"film": film, "variant": "better", **better_builds(rows)}]
        for row in manifest:
            if row["film"] == film and row["variant"] != "default":
                diffs += cue_diff(
                    film, row["variant"], read_srt(Path(default["subtitles"][source])), read_srt(Path(row["subtitles"][source]))
                )
    return table, diffs


def html_table(rows: list[dict[str, Any]], header: list[str], judged: dict[str, str] | None = None) -> str:
    """The rows as a table; with `judged` (BETTER), each column head says which way it is
    judged, and the cells of the build a film's `better` row names are bold."""
    judged = judged or {}
    head = "".join(
        f"<th>{html.escape(name)}" + (f"<br><small>{judged[name]} is better</small>" if name in judged else "") + "</th>"
        for name in header
    )
    better = {row["film"]: row for row in rows if row.get("variant") == "better"}

    def cell(row: dict[str, Any], name: str) -> str:
        value = html.escape(str(row.get(name, "")))
        winners = better.get(row["film"], {}).get(name, "") if judged else ""
        return f"<td><b>{value}</b></td>" if row.get("variant") in winners.split(", ") else f"<td>{value}</td>"

    body = "".join("<tr>" + "".join(cell(row, name) for name in header) + "</tr>" for row in rows if row.get("variant") != "better")
    return f"<table><tr>{head}</tr>{body}</table>"


def page(table: list[dict[str, Any]], diffs: list[dict[str, Any]]) -> str:
    """compare.tsv and cue_diff.tsv as one page for `snakemake --report`."""
    style = "table{border-collapse:collapse;font:13px sans-serif}td,th{border:1px solid #ccc;padding:2px 6px}"
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><style>{style}</style></head><body>"
        f"<h3>Variants side by side</h3><p>Bold: the better value of each column for the film (each "
        "column's head says which way it is judged; a build that leaves speech under no cue is worse on "
        "uncovered speech, speech covered and problems).</p>"
        f"{html_table(table, TABLE_HEADER, {k: v if v != 'ok' else 'a passed check' for k, v in BETTER.items()})}"
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
    rows = json.loads(text)
    log.debug("%d builds of films, each against its film's default build: %s", len(rows),
              ", ".join(f"{row['film']}/{row['variant']}" for row in rows))  # fmt: skip
    table, diffs = compare(rows)
    write_text_atomic(tsv(table, TABLE_HEADER), args.table)
    write_text_atomic(tsv(diffs, DIFF_HEADER), args.diff)
    if args.page:
        write_text_atomic(page(table, diffs), args.page)
    log.info("compared %d builds of films; %d cue differences", len(table), len(diffs))


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
