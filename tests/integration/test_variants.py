"""Variants (config variants, issue 18): each kind adds exactly the jobs its change needs, the
default build never changes, compare.tsv holds the WERs the files give, a variant is promoted
without rebuilding, and a bad variant stops the run with one line."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest
import yaml

from subtitles_workflow.wer import word_error_rate
from project import job_counts
from conftest import copy_project, fixture, planned_jobs, report_page, requires_chromium, requires_fixtures, snakemake

pytestmark = [requires_fixtures]

# main before variants existed: the default DAG must be the one it planned
BEFORE_VARIANTS = "dd06989d5e3dde0f5fe0c93e0e9657c21782200a"
JFK_TEXT = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
TINY = {"asr": {"model": "tiny.en"}}
STYLE = {"subtitles": {"max_line_chars": 24}}
TIMING = {"timing": {"end_pad_s": 0.05}}


def set_variants(work: Path, variants: dict) -> None:
    path = work / "config" / "config.yaml"
    config = yaml.safe_load(path.read_text())
    config["variants"] = variants
    path.write_text(yaml.safe_dump(config, sort_keys=False))


def with_films(work: Path) -> Path:
    shutil.copy2(fixture("en/jfk.wav"), work / "in" / "jfk.wav")
    shutil.copy2(fixture("en/jfk.mp3"), work / "in" / "talk.mp3")
    return work


def planned(work: Path, *targets: str) -> tuple[dict[str, int], list[str]]:
    """Rule -> job count and the sorted output paths of a dry run (paths as the project has them)."""
    done = snakemake(work, "-n", *targets)
    text = done.stdout + done.stderr
    outputs = sorted(
        path.replace(str(work), "<project>")
        for line in text.splitlines()
        if line.startswith("    output:")
        for path in line.split(":", 1)[1].strip().split(", ")
    )
    return job_counts(text), outputs


def added(more: dict[str, int], base: dict[str, int]) -> dict[str, int]:
    """The jobs `more` plans beyond `base` (model_assemble left out: it depends on the shared
    model folder's state, not on the variant)."""
    return {rule: n - base.get(rule, 0) for rule, n in more.items() if n != base.get(rule, 0) and rule != "model_assemble"}


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    return with_films(copy_project(tmp_path_factory.mktemp("variants") / "project"))


def test_no_variants_plan_the_same_dag_as_before(fresh, tmp_path):
    """The same DAG as before variants, with the timing stage added since (issue 30)."""
    before = with_films(copy_project(tmp_path / "before", commit=BEFORE_VARIANTS))
    counts, outputs = planned(fresh)
    assert counts.pop("timing_refine") == 2
    assert (counts, [o for o in outputs if not o.startswith("work/timing/")]) == planned(before)


def test_declared_variants_leave_the_default_dag_alone(fresh):
    default = planned(fresh)
    set_variants(fresh, {"tiny": TINY, "narrow": STYLE})
    try:
        assert planned(fresh) == default
    finally:
        set_variants(fresh, {})


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        # style only: subtitles (and their QC) per film, no asr
        (STYLE, {"variant_subtitles_render": 2}),
        # word timing: timing and subtitles per film, no asr (issue 30: stages split by cost)
        (TIMING, {"variant_timing_refine": 2, "variant_subtitles_render": 2}),
        # model: asr and what follows, no demux
        (TINY, {"variant_asr_transcribe": 2, "variant_timing_refine": 2, "variant_subtitles_render": 2}),
        # env: one env build, then asr and what follows (timing runs on the asr env)
        ({"envs": {"asr": "envs/asr-next.yaml"}},
         {"env_build": 1, "variant_asr_transcribe": 2, "variant_timing_refine": 2, "variant_subtitles_render": 2}),
    ],
    ids=["style", "timing", "model", "env"],
)
def test_a_variant_adds_only_the_jobs_its_change_needs(fresh, override, expected):
    spec = (fresh / "envs" / "asr.yaml").read_text()
    (fresh / "envs" / "asr-next.yaml").write_text(spec.replace("name: asr", "name: asr-next"))
    base, _ = planned(fresh, "all")
    set_variants(fresh, {"try": override})
    try:
        counts, outputs = planned(fresh, "all", "variants")
    finally:
        set_variants(fresh, {})
        (fresh / "envs" / "asr-next.yaml").unlink()
    assert added(counts, base) == {**expected, "compare_manifest": 1, "compare_variants": 1, "variants": 1}
    assert "out/variants/try/jfk.en.srt" in outputs and "out/variants/try/talk.en.srt" in outputs
    variant_work = {o.split("/")[3] for o in outputs if o.startswith("work/variants/try/")}
    expected_work = {"qc"} if override is STYLE else {"timing", "qc"} if override is TIMING else {"asr", "timing", "qc"}
    assert variant_work == expected_work


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    work = copy_project(tmp_path_factory.mktemp("variants-e2e") / "project")
    shutil.copy2(fixture("en/jfk.wav"), work / "in" / "jfk.wav")
    (work / "in" / "jfk.en.ref.txt").write_text(JFK_TEXT + "\n")
    snakemake(work)
    set_variants(work, {"tiny": TINY, "narrow": STYLE})
    assert planned_jobs(work) == {}  # adding variants makes no default artifact stale
    snakemake(work, "variants")
    return work


def test_compare_holds_the_wers_of_the_files(built):
    with open(built / "out" / "variants" / "compare.tsv", newline="") as handle:
        rows = {row["variant"]: row for row in csv.DictReader(handle, delimiter="\t")}
    assert set(rows) == {"default", "tiny", "narrow", "better"}
    default_srt = (built / "out" / "jfk.en.srt").read_text()
    for variant, row in rows.items():
        if variant == "better":
            continue
        srt = built / "out" / ("" if variant == "default" else f"variants/{variant}") / "jfk.en.srt"
        text = srt_text(srt.read_text())
        assert float(row["wer"]) == pytest.approx(word_error_rate(JFK_TEXT, text), abs=1e-4)
        assert float(row["agreement_wer"]) == pytest.approx(word_error_rate(srt_text(default_srt), text), abs=1e-4)
    assert rows["tiny"]["rebuilt"] == "asr,timing,subtitles" and rows["narrow"]["rebuilt"] == "subtitles"
    assert float(rows["tiny"]["asr_s"]) > 0 and rows["narrow"]["asr_s"] == ""
    assert float(rows["tiny"]["timing_s"]) > 0 and rows["narrow"]["timing_s"] == ""
    assert not (built / "work" / "variants" / "narrow" / "asr").exists()
    with open(built / "out" / "variants" / "cue_diff.tsv", newline="") as handle:
        narrow = [row for row in csv.DictReader(handle, delimiter="\t") if row["variant"] == "narrow"]
    # 24-character lines cut the same words into other cues: a re-split, paired by time
    assert narrow and {row["change"] for row in narrow} <= {"resplit", "timing"}, narrow
    assert all(abs(float(row["start_shift"])) < 1.0 and abs(float(row["end_shift"])) < 1.0 for row in narrow)
    assert rows["better"]["wer"] in ("default", "narrow", "default, narrow", "")


def srt_text(srt: str) -> str:
    return " ".join(
        line for line in srt.splitlines() if line.strip() and not line.strip().isdigit() and "-->" not in line
    )




@requires_chromium
def test_the_report_page_shows_the_comparison_in_chromium(built):
    snakemake(built, "variants", "--report", "out/report.html")
    with report_page(built / "out" / "report.html") as (page, errors):
        page.get_by_text("variants").first.click()
        page.locator("tr", has_text="side by side").locator("a").first.click()
        frame = next(f for f in page.frames if "compare.html" in f.url)
        frame.get_by_text("Variants side by side").wait_for(timeout=10_000)
        text = frame.locator("body").inner_text()
    assert "agreement_wer" in text and "\ttiny\t" in text and "\tnarrow\t" in text
    assert errors == []


def test_removing_the_variants_leaves_nothing_to_do(built):
    config = (built / "config" / "config.yaml").read_text()
    set_variants(built, {})
    try:
        assert planned_jobs(built) == {}
    finally:
        (built / "config" / "config.yaml").write_text(config)


def test_promote_adopts_the_variant_without_rebuilding(built):
    snakemake(built, "promote_variant", "--config", "variant=tiny")
    config = yaml.safe_load((built / "config" / "config.yaml").read_text())
    assert config["asr"]["model"] == "tiny.en"
    adopted = (built / "work" / "variants" / "adopted.txt").read_text().split()
    assert {"work/asr/jfk.json", "out/jfk.en.srt", "work/qc/jfk.en.srt.json"} <= set(adopted)
    assert (built / "out" / "jfk.en.srt").read_text() == (built / "out/variants/tiny/jfk.en.srt").read_text()
    snakemake(built, "adopt_variant", "--touch")
    set_variants(built, {})
    assert planned_jobs(built) == {}


@pytest.mark.parametrize(
    ("variants", "message"),
    [
        ({"tiny": {"asr": {"modle": "tiny.en"}}}, "config key asr.modle, set in variants.tiny"),
        ({"a/b": TINY}, "config variants.a/b: a variant name is letters"),
        ({"jfk": TINY}, "config variants.jfk: a film in in/ has this name"),
        ({"next": {"envs": {"asr": "envs/asr-next.yaml"}}}, "envs.asr: envs/asr-next.yaml does not exist"),
        ({"mono": {"demux": {"audio_stream": 1}}}, "config variants.mono: demux is the same in every variant"),
        ({"same": {"envs": {}}}, "config variants.same: it changes no stage"),
    ],
    ids=["unknown-key", "bad-name", "film-name", "missing-env", "fixed-stage", "no-change"],
)
def test_a_bad_variant_is_one_line(fresh, variants, message):
    set_variants(fresh, variants)
    try:
        done = snakemake(fresh, "-n", "variants", check=False)
    finally:
        set_variants(fresh, {})
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0], done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert re.search(r"^\s+output:", done.stdout, re.M) is None


def test_variants_on_the_command_line_are_typed(fresh):
    """--config values come as text: a variant's numbers are read as the schema says."""
    counts, outputs = planned(fresh, "variants", "--config", "variants={b: {asr: {beam_size: 2}}}", "variant=b")
    assert counts["asr_transcribe"] == 2 and counts["variant_asr_transcribe"] == 2 and "out/variants/b/jfk.en.srt" in outputs
