"""4. Orchestration: a catalogue of 1000 up-to-date films; wall time of a no-op `snakemake` and
of `snakemake -n`, next to Snakemake's own floors measured in the same run: a trivial
Snakefile over 1000 up-to-date files, a 5-rule chain of the workflow's shape, and the same chain
declaring what the workflow's rules declare. Targets: no-op and -n <= 1.2 x the declaring chain's
(issue 30), and the first `snakemake -n` over the 1000 new films (every one probed) <= 15 s
(issues 17 and 19). The bare chain's ratio (the goal until issue 30, 1.6) is kept for the record:
with the declaring chain's, it splits the gap into Snakemake's price for the declarations and
the workflow's own Python.

The films are 1 s stub videos (testsrc2 + tone); every output is made and recorded by a first
`snakemake --touch` (outputs created empty, metadata written, the media probe cache filled), so
the measured runs see what a real catalogue sees after a full build."""

from __future__ import annotations

import base64
import os
import pstats
import re
import shutil
import subprocess
from pathlib import Path

import benchmark
import generated_media
import machine
import measured
import walltime
from project import make_outputs, private_envs, touch_build  # shared with the tests

# x the chain of the workflow's shape that declares what its rules declare, no-op and -n each (decided
# in issue 30: the declarations themselves are required; the bare chain's ratio is kept, for the record)
TARGET_RATIO = 1.2
FIRST_PLAN_TARGET_S = 15.0  # the first `snakemake -n` over the new catalogue (full mode)

# Snakemake's floors: Snakefiles over in/{i}.txt without the workflow's Python, as snakefmt lays them out.
FLOOR_ALL = """\
IDS = glob_wildcards("in/{{i}}.txt").i


rule all:
    input:
        expand("{target}", i=IDS),
"""
FLOOR_RULE = """

rule {name}:
    input:
{inputs}    output:
        "{output}",
    shell:
        "{command}"
"""


def floor_snakefile(target: str, *rules: tuple[str, tuple[str, ...], str, str]) -> str:
    """A floor whose `all` wants `target` for every in/{i}.txt, made by `rules` (name, inputs,
    output, shell command)."""
    text = FLOOR_ALL.format(target=target)
    for name, inputs, output, command in rules:
        listed = "".join(f'        "{path}",\n' for path in inputs)
        text += FLOOR_RULE.format(name=name, inputs=listed, output=output, command=command)
    return text


COPY = "cp {input} {output}"
TRIVIAL = floor_snakefile("out/{i}.txt", ("copy", ("in/{i}.txt",), "out/{i}.txt", COPY))
# The workflow's shape (5 jobs a film: demux -> asr -> timing -> subtitles -> mux; 4 before
# issue 30 split timing out of asr) without its Python.
CHAIN = floor_snakefile(
    "out/{i}.mkv",
    ("demux", ("in/{i}.txt",), "work/demux/{i}.wav", COPY),
    ("asr", ("work/demux/{i}.wav",), "work/asr/{i}.json", COPY),
    ("timing", ("work/asr/{i}.json",), "work/timing/{i}.json", COPY),
    ("subtitles", ("work/timing/{i}.json",), "out/{i}.en.srt", COPY),
    ("mux", ("in/{i}.txt", "out/{i}.en.srt"), "out/{i}.mkv", "cat {input} > {output}"),
)

# The same chain declaring what the workflow's rules declare, with none of the workflow's own
# Python (no config, media table, probe, variants or code digests): wildcard constraints, mux's
# video format wildcard, named inputs, each stage's env stamp and asr's model built by rules,
# logs, asr's benchmark, conda, resources, the four params every stage has, subtitles' QC
# output, and the workflow's 7 input/param functions per film, each returning a constant. Not
# a target: it shows how much of the gap to the chain is Snakemake's price for those
# declarations and how much is the workflow's own (docs/decisions.md: what each kind costs).
DECLARING_CHAIN = """\
IDS = glob_wildcards("in/{i}.txt").i


wildcard_constraints:
    i="[^/]+",
    video_format="mkv|mp4",
    env="media|asr|subtitles",


def get_media(wildcards):
    return f"in/{wildcards.i}.txt"


def get_demux_source(wildcards):
    return {"film": f"in/{wildcards.i}.txt", "audio_stream": "0", "language": "en", "fingerprint": "f" * 32}


def get_asr_language(wildcards):
    return "en"


def get_subtitle_transcript(wildcards):
    return f"work/timing/{wildcards.i}.json"


def get_subtitle_render(wildcards):
    return {"style": "{}", "film": ""}


def get_mux_media(wildcards):
    return f"in/{wildcards.i}.txt"


def get_mux_tracks(wildcards):
    return [f"out/{wildcards.i}.en.srt"]


MEDIA_RESOURCES = {"mem_mb": 500, "runtime": 30}  # demux's and mux's


def stage_params(stage):
    return {"python": "venvs/x/bin/python", "code": f"scripts/{stage}.py", "code_digest": "d" * 64, "debug": ""}


rule all:
    input:
        expand("out/{i}.mkv", i=IDS),


rule env:
    output:
        stamp="venvs/{env}.env.json",
    log:
        "logs/envs/{env}.log",
    shell:
        "echo {wildcards.env} > {output}"


rule model:
    output:
        manifest="models/base.json",
    log:
        "logs/models/base.log",
    shell:
        "echo base > {output}"


rule demux:
    input:
        env="venvs/media.env.json",
        media=get_media,
    output:
        wav="work/demux/{i}.wav",
    log:
        "logs/demux/{i}.log",
    conda:
        "envs/media.yaml"
    resources:
        **MEDIA_RESOURCES,
    params:
        **stage_params("demux"),
        source=get_demux_source,
    shell:
        "cp {input.media} {output.wav}"


rule asr:
    input:
        env="venvs/asr.env.json",
        wav="work/demux/{i}.wav",
        regions=[],
        model="models/base.json",
    output:
        transcript="work/asr/{i}.json",
    log:
        "logs/asr/{i}.log",
    benchmark:
        "benchmarks/asr/{i}.tsv"
    conda:
        "envs/asr.yaml"
    threads: 4
    resources:
        mem_mb=2000,
        runtime=240,
    params:
        **stage_params("asr"),
        model="base",
        language=get_asr_language,
        vocabulary="{}",
        options="{}",
    shell:
        "cp {input.wav} {output.transcript}"


rule timing:
    input:
        env="venvs/asr.env.json",
        transcript="work/asr/{i}.json",
        wav="work/demux/{i}.wav",
    output:
        transcript="work/timing/{i}.json",
    log:
        "logs/timing/{i}.log",
    benchmark:
        "benchmarks/timing/{i}.tsv"
    conda:
        "envs/asr.yaml"
    resources:
        mem_mb=1000,
        runtime=30,
    params:
        **stage_params("timing"),
        options="{}",
    shell:
        "cp {input.transcript} {output.transcript}"


rule subtitles:
    input:
        env="venvs/subtitles.env.json",
        transcript=get_subtitle_transcript,
        speakers=[],
        shots=[],
    output:
        subtitles="out/{i}.en.srt",
        qc="work/qc/{i}.en.srt.json",
    log:
        "logs/subtitles/{i}.en.srt.log",
    conda:
        "envs/subtitles.yaml"
    params:
        **stage_params("subtitles"),
        render=get_subtitle_render,
    shell:
        "cp {input.transcript} {output.subtitles}; cp {input.transcript} {output.qc}"


rule mux:
    input:
        env="venvs/media.env.json",
        media=get_mux_media,
        tracks=get_mux_tracks,
    output:
        video="out/{i}.{video_format}",
    log:
        "logs/mux/{i}.{video_format}.log",
    wildcard_constraints:
        i=r"[^/]+(?<!\\.burned)",
    conda:
        "envs/media.yaml"
    resources:
        **MEDIA_RESOURCES,
    params:
        **stage_params("mux"),
    shell:
        "cat {input.media} {input.tracks} > {output.video}"
"""
DECLARING_CHAIN_ENVS = ("media", "asr", "subtitles")


def stub_film() -> Path:
    def make(path: Path) -> None:
        cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=64x36:rate=5",
               "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000", "-t", "1", "-c:v", "libx264",
               "-preset", "ultrafast", "-c:a", "aac", "-b:a", "16k", str(path)]  # fmt: skip
        subprocess.run(cmd, check=True, capture_output=True)

    return generated_media.cached("stub.mp4", {"v": 1}, make)


SEED = 2  # films built for real (in touch mode) before the catalogue is cloned from them


def up_to_date(tree: Path, extra: list[str], add_inputs, films: int) -> float:
    """Make a catalogue of `films` up to date as after a real build, cheaply:

    1. SEED films: plan, create their outputs, `snakemake --touch --forceall`: every job "runs"
       in touch mode, so outputs are dated in DAG order and their metadata (params, code,
       inputs, checksums) recorded by Snakemake itself;
    2. the other films: inputs added, outputs created, and film 0's metadata records and output
       dates (relative to its input) cloned with the film name replaced. Touching all 1000
       films the same way took ~20 min here (~6 jobs/s); the clones are what that would
       write.

    Returns the wall of the first full dry run (the workflow probes every new film there)."""
    add_inputs(range(SEED))
    touch_build(tree, *extra, env=machine.base_env(), timeout=3600)
    add_inputs(range(SEED, films))
    plan = walltime.run_timed(walltime.snakemake_cmd("-n", *extra), cwd=tree, timeout=3600)
    make_outputs(tree, plan.stdout + plan.stderr)
    clone_film(tree, "movie0000", [f"movie{i:04d}" for i in range(SEED, films)])
    return plan.wall_s


def clone_film(tree: Path, seed: str, names: list[str]) -> None:
    """Give each of `names` the seed film's metadata records and output dates (offsets from
    its input's date), the film name replaced throughout."""
    metadata = tree / ".snakemake" / "metadata"
    seed_input = next((tree / "in").glob(f"{seed}.*"))
    records = []
    for record in metadata.iterdir():
        path = base64.urlsafe_b64decode(record.name).decode()
        if seed in path:
            output = tree / path if not Path(path).is_absolute() else Path(path)
            offset = output.stat().st_mtime_ns - seed_input.stat().st_mtime_ns
            records.append((path, record.read_text(), offset))
    if not records:
        raise RuntimeError(f"{tree}: no metadata recorded for {seed}")
    for name in names:
        film_input = next((tree / "in").glob(f"{name}.*"))
        base = film_input.stat().st_mtime_ns
        for path, text, offset in records:
            clone = path.replace(seed, name)
            (metadata / base64.urlsafe_b64encode(clone.encode()).decode()).write_text(text.replace(seed, name))
            target = tree / clone if not Path(clone).is_absolute() else Path(clone)
            os.utime(target, ns=(base + offset, base + offset))


def timed_snakemake(tree: Path, *args: str, env: dict | None = None) -> float:
    """Wall of one snakemake command that must find nothing to do."""
    done = walltime.run_timed(walltime.snakemake_cmd(*args), cwd=tree, env=env)
    text = done.stdout + done.stderr
    if "--list-rules" not in args and ("Nothing to be done" not in text or "missing provenance" in text):
        raise RuntimeError(f"{tree}: not up to date, or metadata missing:\n{text[-4000:]}")
    return done.wall_s


def profile_top(root: Path, count: int = 14) -> list[str]:
    """cProfile of one `snakemake -n`: the functions with the most time of their own."""
    out = root / "snakemake-n.prof"
    cmd = [str(machine.WORKFLOW_PYTHON), "-m", "cProfile", "-o", str(out), "-m", "snakemake", "--cores", str(machine.CORES), "-n"]
    walltime.run_timed(cmd, cwd=root)
    stats = pstats.Stats(str(out))
    rows = []
    for (filename, line, name), (_, calls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        where = re.sub(r".*site-packages/", "", filename)
        where = re.sub(r"^" + re.escape(str(root)) + "/", "", where)
        rows.append((tottime, cumtime, calls, f"{where}:{line}({name})"))
    rows.sort(reverse=True)
    total = stats.total_tt  # type: ignore[attr-defined]
    lines = [f"{total:7.2f} s profiled in all"]
    lines += [f"{tot:7.2f} s own {cum:7.2f} s cum {calls:>8} calls  {where}" for tot, cum, calls, where in rows[:count]]
    return lines


def run(quick: bool = False, config: list[str] | None = None) -> benchmark.Result:
    films, reps = (20, 1) if quick else (1000, 5)
    extra = ["--config", *config] if config else []
    result = benchmark.Result("orchestration", f"4. Orchestration: {films} up-to-date films", "quick" if quick else "full")
    result.params = {
        "catalogue": f"{films} stub films (1 s mp4 each), all outputs present and dated, Snakemake metadata "
        f"recorded by `--touch --forceall` on {SEED} films and cloned for the others",
        "floor": f"trivial Snakefile, {films} up-to-date files, 1 rule, and a 5-rule chain of the workflow's shape",
        "profile": "profiles/default copied into every tree (greedy scheduler, checksums <= 4 GB)",
        "runs": f"{reps} rounds, each workflow command next to the chain's same command, the order "
        "mirrored every other round; times are medians, ratios the median of the rounds' ratios",
    }
    stub = stub_film()
    root = benchmark.workdir("orchestration")
    try:
        project = measured.copy_project(root / "project", **private_envs(root))

        def add_films(numbers) -> None:
            for i in numbers:
                shutil.copy(stub, project / "in" / f"movie{i:04d}.mp4")

        floors = {}
        for name, snakefile in (("trivial", TRIVIAL), ("chain", CHAIN), ("declaring", DECLARING_CHAIN)):
            tree = root / name
            (tree / "in").mkdir(parents=True)
            (tree / "Snakefile").write_text(snakefile)
            shutil.copytree(project / "profiles", tree / "profiles")
            floors[name] = tree
        (floors["declaring"] / "envs").mkdir()
        for env in DECLARING_CHAIN_ENVS:
            (floors["declaring"] / "envs" / f"{env}.yaml").write_text("dependencies: [python=3.11]\n")
        benchmark.log(f"making {films} films up to date (touch {SEED} films, clone them)")
        first_plan = up_to_date(project, extra, add_films, films)
        result.figure("set-up: first `snakemake -n` (probes every film)", first_plan)
        for tree in floors.values():

            def add_files(numbers, tree=tree) -> None:
                for i in numbers:
                    (tree / "in" / f"movie{i:04d}.txt").write_text(f"{i}\n")

            up_to_date(tree, [], add_files, films)
        # Each workflow command beside the chain's: the machine's speed drifts by a fifth
        # within minutes (bench/README.md), and a ratio's two sides should see the same.
        steps = {
            "noop": lambda: timed_snakemake(project, *extra),
            "chain_noop": lambda: timed_snakemake(floors["chain"]),
            "declaring_noop": lambda: timed_snakemake(floors["declaring"]),
            "declaring_dry": lambda: timed_snakemake(floors["declaring"], "-n"),
            "chain_dry": lambda: timed_snakemake(floors["chain"], "-n"),
            "dry": lambda: timed_snakemake(project, "-n", *extra),
            "floor_noop": lambda: timed_snakemake(floors["trivial"]),
            "floor_dry": lambda: timed_snakemake(floors["trivial"], "-n"),
        }
        if not quick:
            steps.update({
                "version": lambda: walltime.run_timed([str(machine.SNAKEMAKE), "--version"]).wall_s,
                "parse": lambda: timed_snakemake(project, "--list-rules", *extra),
            })  # fmt: skip
        real_probe = None if quick or not machine.slurm_plugin_installed() else machine.slurm_probe_s()
        if real_probe is not None and machine.base_env() != dict(os.environ):
            # As this machine really is: the SLURM plugin's scontrol probe included.
            steps["real_noop"] = lambda: timed_snakemake(project, *extra, env=dict(os.environ))
        benchmark.log(f"{reps} x no-op and dry runs, workflow and floor(s)")
        runs = dict(zip(steps, walltime.alternate(reps, *steps.values(), mirrored=True)))
        top: list[str] = []
        if not quick:
            # The same no-op run with a bytecode cache: this machine sets PYTHONDONTWRITEBYTECODE
            # and the venvs hold no .pyc for most modules, so every start compiles its imports.
            cache_env = machine.bytecode_cache_env(root / "pycache")
            timed_snakemake(project, "-n", *extra, env=cache_env)  # fills the cache
            cached = {
                "cached_noop": lambda: timed_snakemake(project, *extra, env=cache_env),
                "cached_version": lambda: walltime.run_timed([str(machine.SNAKEMAKE), "--version"], env=cache_env).wall_s,
            }
            runs.update(dict(zip(cached, walltime.alternate(reps, *cached.values()))))
            top = profile_top(project)
    finally:
        benchmark.cleanup(root)

    med = {key: walltime.median(values) for key, values in runs.items()}
    wf_noop, wf_dry, fl_noop, fl_dry = med["noop"], med["dry"], med["floor_noop"], med["floor_dry"]
    result.figure("workflow: no-op `snakemake`", wf_noop)
    result.figure("workflow: `snakemake -n`", wf_dry)
    result.figure("floor (trivial, 1 rule): no-op `snakemake`", fl_noop)
    result.figure("floor (trivial, 1 rule): `snakemake -n`", fl_dry)
    ch_noop, ch_dry = med["chain_noop"], med["chain_dry"]
    result.figure("floor (5-rule chain): no-op `snakemake`", ch_noop)
    result.figure("floor (5-rule chain): `snakemake -n`", ch_dry)
    result.figure("floor (5-rule chain declaring the workflow's inputs, logs, params, functions): no-op", med["declaring_noop"])
    result.figure("floor (5-rule chain declaring the workflow's inputs, logs, params, functions): -n", med["declaring_dry"])
    if not quick:
        result.figure("`snakemake --version` (import, start-up)", med["version"])
        result.figure("workflow: `--list-rules` (start-up + Snakefile, no DAG)", med["parse"])
        result.figure("workflow: DAG + up-to-date checks (-n minus --list-rules)", wf_dry - med["parse"])
        result.figure("with a bytecode cache: workflow no-op `snakemake`", med["cached_noop"])
        result.figure("with a bytecode cache: `snakemake --version`", med["cached_version"])
    if "real_noop" in med:
        result.figure("as is, real `scontrol` probe: workflow no-op `snakemake`", med["real_noop"])
        result.figure("`scontrol show config` alone, now", real_probe)
        result.notes.append(
            "snakemake-executor-plugin-slurm runs `scontrol show config` at every Snakemake start (its CLI help "
            "text); the other runs use a fail-fast scontrol stub, as on a machine without SLURM"
        )
    result.figure("workflow / trivial floor (no-op, -n)", f"{wf_noop / fl_noop:.2f}, {wf_dry / fl_dry:.2f}", unit="")
    noop_ratio = walltime.paired_ratio(runs["noop"], runs["chain_noop"])
    dry_ratio = walltime.paired_ratio(runs["dry"], runs["chain_dry"])
    result.figure("per round, workflow / chain no-op", " ".join(f"{r:.2f}" for r in walltime.round_ratios(runs["noop"], runs["chain_noop"])), unit="")
    result.figure("per round, workflow / chain -n", " ".join(f"{r:.2f}" for r in walltime.round_ratios(runs["dry"], runs["chain_dry"])), unit="")
    # Not the target: how the gap splits into Snakemake's price for the declarations and the
    # workflow's own Python.
    result.figure("declaring chain / chain, median of the rounds (no-op, -n)",
                  f"{walltime.paired_ratio(runs['declaring_noop'], runs['chain_noop']):.2f}, "
                  f"{walltime.paired_ratio(runs['declaring_dry'], runs['chain_dry']):.2f}", unit="")  # fmt: skip
    result.figure("workflow / bare 5-rule chain, median of the rounds (no-op, -n; the goal until issue 30)",
                  f"{noop_ratio:.2f}, {dry_ratio:.2f}", unit="")  # fmt: skip
    declaring_noop = walltime.paired_ratio(runs["noop"], runs["declaring_noop"])
    declaring_dry = walltime.paired_ratio(runs["dry"], runs["declaring_dry"])
    result.ratio = max(declaring_noop, declaring_dry)
    result.ratio_label = (
        f"workflow / declaring 5-rule chain, median of the rounds (no-op {declaring_noop:.2f}, -n {declaring_dry:.2f}; the larger shown)"
    )
    result.target = TARGET_RATIO
    result.target_label = f"no-op and -n <= {TARGET_RATIO:g} x the declaring 5-rule chain"
    result.met = result.ratio <= TARGET_RATIO
    if not quick:
        result.target_label += f"; first `snakemake -n` over {films} new films <= {FIRST_PLAN_TARGET_S:g} s"
        result.met = result.met and first_plan <= FIRST_PLAN_TARGET_S
    result.details["runs"] = runs
    result.headline = ["workflow: no-op `snakemake`", "workflow: `snakemake -n`",
                       "floor (5-rule chain): no-op `snakemake`", "floor (5-rule chain): `snakemake -n`",
                       "set-up: first `snakemake -n` (probes every film)"]  # fmt: skip
    if top:
        result.details["profile_snakemake_n"] = top
        result.notes.append("cProfile of `snakemake -n` on the workflow (top cumulative):")
        result.notes += [f"  {line}" for line in top]
    if quick:
        result.notes.append(f"quick mode: {films} films, one run each, a smoke test rather than a measurement")
    return result


if __name__ == "__main__":
    benchmark.standalone(run)
