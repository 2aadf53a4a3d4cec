"""What every job is told, held still: the env it runs on, the files it reads and the settings
each rule renders into its command (the --options, --style, --vocabulary, --language-policy,
... values), over the default build and a variant of each kind (a stage's settings, a model,
an env, a backend, the vocabulary), with and without a film's own vocabulary, with VAD on,
three formats and three kinds of translation, against the snapshot in params_snapshot.json.
Params are rerun triggers: a refactor that spells an equal setting differently would re-run
every built film once, which this catches. A change meant to re-run a stage updates the
snapshot on purpose:

    UPDATE_SNAPSHOT=1 .venvs/workflow/bin/python -m pytest tests/integration/test_params_snapshot.py

The asr values resolved on the machine running Snakemake (device, compute type, batch size)
are left out: they differ with the GPU."""

from __future__ import annotations

import json
import os
import shlex
import shutil
from pathlib import Path

from conftest import copy_project, fixture, requires_fixtures, snakemake

pytestmark = requires_fixtures

SNAPSHOT = Path(__file__).with_name("params_snapshot.json")
SETTINGS = ("--options", "--style", "--vocabulary", "--language-policy", "--language", "--model", "--backend", "--target",
            "--threshold", "--shifts", "--name", "--device", "--audio-stream")  # fmt: skip
# The files a job reads (a model by its manifest's name: the model folder is this checkout's).
INPUTS = ("--transcript", "--audio", "--speech-regions", "--speakers", "--shots", "--model-path")
RESOLVED_HERE = ("device", "compute_type", "batch_size")
VARIANTS = {
    "narrow": {"subtitles": {"max_line_chars": 32, "max_cps": {"hi": 20}}},
    "pad": {"timing": {"end_pad_s": 0.05}},
    "beam": {"asr": {"beam_size": 3}},
    "tiny": {"asr": {"model": "tiny.en"}},
    "aligned": {"align": {"activate": True}},
    "beams": {"translate": {"num_beams": 2}},
    "font": {"ass_style": {"font_size": 30}},
    "next": {"envs": {"asr": "envs/asr-next.yaml", "subtitles": "envs/subtitles-next.yaml"}},
    "align-next": {"align": {"activate": True}, "envs": {"align": "envs/align-next.yaml"}},
    "whisperx": {"asr": {"backend": "whisperx"}},
    "terms": {"asr": {"hotwords": "Quorvex", "initial_prompt": "A talk."}},
}
NEXT_ENVS = ("asr", "subtitles", "align")


def told(command: str) -> list | None:
    """[script, output, the settings it is given, its env] of one rendered stage command (None
    for another command: an env build, a model fetch)."""
    words = shlex.split(command.split(" > ", 1)[0])
    scripts = [Path(w).name for w in words if w.endswith(".py") and Path(w).name != "build_env.py"]
    if not scripts:
        return None
    settings = {}
    for index, word in enumerate(words):
        flag, equals, given = word.partition("=")
        if flag not in SETTINGS + INPUTS:
            continue
        following = words[index + 1] if index + 1 < len(words) else ""
        # an empty param renders as nothing (`--language-policy --options ...`)
        value = given if equals else ("" if following.startswith("--") else following)
        try:
            value = json.loads(value)
        except ValueError:
            pass
        if flag == "--model-path":
            value = Path(value).name
        if isinstance(value, dict) and scripts[0].startswith("asr"):
            value = {k: v for k, v in value.items() if k not in RESOLVED_HERE}
        settings[flag] = value
    output = next((words[i + 1] for i, w in enumerate(words) if w == "--output"), "")
    env = Path(words[1]).name if Path(words[0]).name == "run-in-env" else ""
    return [scripts[0], output, settings, env]


def rendered(work: Path, *targets: str) -> list[list]:
    done = snakemake(work, "-n", "-p", "--forceall", *targets)
    commands = [line.split(":", 1)[1].strip() for line in done.stdout.splitlines() if line.startswith("Shell command:")]
    return sorted((job for job in map(told, commands) if job), key=lambda job: json.dumps(job, sort_keys=True))


def test_what_every_job_is_told_is_unchanged(tmp_path):
    work = copy_project(tmp_path / "project", subtitle_formats=["srt", "vtt", "ass"], target_languages=["fr"],
                        vad={"activate": True}, variants=VARIANTS)  # fmt: skip
    shutil.copy2(fixture("en/jfk.flac"), work / "in" / "talk.flac")
    shutil.copy2(fixture("en/jfk.flac"), work / "in" / "vortrag.flac")
    for env in NEXT_ENVS:
        spec = (work / "envs" / f"{env}.yaml").read_text()
        (work / "envs" / f"{env}-next.yaml").write_text(spec.replace(f"name: {env}", f"name: {env}-next"))
    media_sheet = work / "config" / "media.tsv"
    media_sheet.write_text("name\tsource_language\ttarget_languages\thotwords\nvortrag\thi\ten, hi\tZyntrax\n")
    plans = {"default": rendered(work), "variants": rendered(work, "variants")}
    # without a film's own vocabulary, the default build's is one value for every film
    media_sheet.write_text("name\tsource_language\ttarget_languages\nvortrag\thi\ten, hi\n")
    plans["variants, no film vocabulary"] = rendered(work, "variants")
    if os.environ.get("UPDATE_SNAPSHOT"):
        SNAPSHOT.write_text(json.dumps(plans, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    expected = json.loads(SNAPSHOT.read_text())
    for plan in plans:
        assert plans[plan] == expected[plan], f"the {plan} build's jobs are told other settings (see the module docstring)"
