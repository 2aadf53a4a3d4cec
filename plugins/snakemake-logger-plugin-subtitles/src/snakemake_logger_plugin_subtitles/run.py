"""What a run has done so far, from Snakemake's job events: no Snakemake import, so the unit
tests drive it with plain records."""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from snakemake_logger_plugin_subtitles.films import film_details

# The attributes of the one record the workflow sends at onstart (announce_films): the films
# asked for that get no job, and the jobs the run plans for each film that gets some.
FILMS_ATTRIBUTE = "subtitles_films"
PLAN_ATTRIBUTE = "subtitles_plan"
# What Snakemake logs (a plain message, no event) when a run is stopped: a Ctrl-C (SIGINT: its
# scheduler catches KeyboardInterrupt and cancels the running jobs) and a SIGTERM (it starts no
# more jobs and waits for the running ones; they die with it when the signal went to the
# whole process group, as from a terminal or a batch system).
STOP_MESSAGES = (
    "Terminating processes on user request",
    "Will exit after finishing currently running jobs",
)
# What scripts/subtitles_workflow/progress.py writes into a job's log: seconds of audio decoded of all.
PROGRESS_LINE = re.compile(r"\bprogress: (\d+(?:\.\d+)?)/(\d+(?:\.\d+)?) s\b")
ERROR_PREFIX = "error: "
# Enough of a log's end to hold its last progress line.
TAIL_BYTES = 4096
# The workflow's rules that write a model's manifest (rules/models.smk, rules/envs.smk): the
# summary names what their jobs fetched or assembled, and its size, from the manifest. A
# manifest this plugin cannot read is left out (the summary is always printed).
MODEL_RULES = {"model_fetch": "fetched:   ", "model_assemble": "assembled: "}


# A stage log line's own time (scripts/subtitles_workflow/io.py setup_logging's format).
LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) ", re.M)
# The time left is shown once the decoding rate is known: two progress lines whose predicted
# finishes agree within this share of the time left (or 5 s), or this share of the audio done.
STABLE_WITHIN = 0.25
SURE_AFTER_SHARE = 0.3


def wall_to_monotonic(wall: float) -> float:
    """A log line's wall-clock time on the plugin's clock (time.monotonic)."""
    return wall - (time.time() - time.monotonic())


def log_tail(log: Path) -> str | None:
    try:
        with open(log, "rb") as file:
            file.seek(0, 2)
            file.seek(max(0, file.tell() - TAIL_BYTES))
            return file.read().decode(errors="replace")
    except OSError:
        return None


def progress_points(log: Path) -> list[tuple[float | None, float, float]]:
    """(when, done, total) of each progress line in a job log's tail: `when` on the plugin's
    clock (None for a line without a time), seconds of audio done of all."""
    tail = log_tail(log) or ""
    points = []
    for line in tail.splitlines():
        found = PROGRESS_LINE.search(line)
        if not found or float(found[2]) <= 0:
            continue
        stamp = LOG_TIME.match(line)
        when = None
        if stamp:
            wall = time.mktime(time.strptime(stamp[1], "%Y-%m-%d %H:%M:%S")) + int(stamp[2]) / 1000
            when = wall_to_monotonic(wall)
        done, total = float(found[1]), float(found[2])
        points.append((when, min(done, total), total))
    return points


def last_progress(log: Path) -> tuple[float, float] | None:
    """(done, total) seconds from the last progress line of a job log, or None."""
    points = progress_points(log)
    return points[-1][1:] if points else None


def error_line(logs: list[str]) -> str | None:
    """The last `error: ` line of a failed job's logs (its stage's one-line reason), with the
    log it is in."""
    for log in logs:
        try:
            lines = Path(log).read_text(errors="replace").splitlines()
        except OSError:
            continue
        errors = [line for line in lines if line.startswith(ERROR_PREFIX)]
        if errors:
            return f"{errors[-1][len(ERROR_PREFIX):]} (log: {log})"
    return None


def model_line(verb: str, manifest_path: Path) -> str | None:
    """'  fetched:    owner/name at 0123456789ab (78.1 MB)' for a model manifest (its `model`,
    `source` and `size`), or None when it cannot be read."""
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        model, size, source = manifest["model"], float(manifest["size"]), manifest.get("source") or {}
    except (OSError, ValueError, TypeError, KeyError):
        return None
    if source.get("commit"):
        where = f" at {str(source['commit'])[:12]}"
    elif source.get("pypi"):
        where = " from PyPI " + " + ".join(f"{p.get('package')} {p.get('version')}" for p in source["pypi"])
    else:
        where = ""
    return f"  {verb} {model}{where} ({size / 1e6:.1f} MB)"


def duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


@dataclass
class Job:
    jobid: int
    rule: str
    wildcards: dict
    logs: list[str]
    started: float | None = None
    outputs: list[str] = field(default_factory=list)

    @property
    def film(self) -> str | None:
        return self.wildcards.get("name")

    @property
    def label(self) -> str:
        details = " ".join(str(value) for value in self.wildcards.values())
        return f"{self.rule} {details}" if details else self.rule

    def progress(self, now: float) -> str:
        """', 42.0/600.0 s of audio decoded, 7%, about 4m10s left' for a job whose log
        reports it; the time left only once it is known (time_left)."""
        points = next((p for p in (progress_points(Path(log)) for log in self.logs) if p), None)
        if not points:
            return ""
        _, done, total = points[-1]
        return f" ({done:.1f}/{total:.1f} s of audio decoded, {done / total:.0%}{self.time_left(points, now)})"

    def time_left(self, points: list[tuple[float | None, float, float]], now: float) -> str:
        """', about 1m10s left' at the decoding rate measured between the job's progress lines
        (the stage writes one after each burst of decoding; model loading comes before the
        first), or since the job started while there is one line; ', time left not known
        yet' until two lines predict the same finish (within STABLE_WITHIN of the time left,
        or 5 s) or SURE_AFTER_SHARE of the audio is done."""
        _, done, total = points[-1]
        timed = [(when, done_then) for when, done_then, _ in points if when is not None]
        if done >= total or self.started is None or not timed:
            return ""
        first_when, first_done = (self.started, 0.0) if len(timed) == 1 else timed[0]
        finishes = [
            when + (total - done_then) * (when - first_when) / (done_then - first_done)
            for when, done_then in timed
            if when > first_when and done_then > first_done
        ]
        if not finishes:
            return ", time left not known yet"
        left = finishes[-1] - timed[-1][0]
        agree = len(finishes) >= 2 and abs(finishes[-1] - finishes[-2]) <= max(5.0, STABLE_WITHIN * left)
        if not (agree or done / total >= SURE_AFTER_SHARE):
            return ", time left not known yet"
        return f", about {duration(max(0.0, finishes[-1] - now))} left"


@dataclass
class RunState:
    """Jobs of one run by id; as the workflow announced them, the films it asks for and has no
    job for (up to date; None: not announced, the summary leaves their count out) and the
    jobids it plans for the others (None: a film with a finished job and no failed one is
    built)."""

    films: list[str] | None = None
    plan: dict[str, set[int]] | None = None
    jobs: dict[int, Job] = field(default_factory=dict)
    running: set[int] = field(default_factory=set)
    finished: set[int] = field(default_factory=set)
    # jobid -> one-line reason; and whether Snakemake reported an error outside any job.
    failed: dict[int, str] = field(default_factory=dict)
    other_error: bool = False
    explained: set[int] = field(default_factory=set)  # failed jobs whose log has an error line
    executing: bool = False  # a real run got as far as scheduling jobs (RUN_INFO, not -n)
    done: int = 0
    total: int = 0
    # The jobs running when the run was stopped (Ctrl-C, SIGTERM); None while it was not.
    stopped: set[int] | None = None
    # The folder the jobs' paths are relative to (Snakemake's working directory; None: the
    # current one), where the summary reads each film's QC reports and out/ paths.
    root: Path | None = None

    def update(self, event: str | None, record, now: float | None = None) -> None:
        """Take in one log record (`event` is its LogEvent's value, or None)."""
        now = time.monotonic() if now is None else now
        if event is None:
            films = getattr(record, FILMS_ATTRIBUTE, None)
            if films is not None:
                self.films = list(films)
                plan = getattr(record, PLAN_ATTRIBUTE, None)
                self.plan = None if plan is None else {film: set(jobids) for film, jobids in plan.items()}
            elif self.stopped is None and str(getattr(record, "msg", "")).startswith(STOP_MESSAGES):
                self.stopped = set(self.running)
        elif event == "run_info":
            self.executing = True
            stats = getattr(record, "stats", None) or {}
            self.total = int(stats.get("total", self.total) or 0)
        elif event == "job_info":
            # Snakemake sends JOB_STARTED for a batch of jobs, then each one's JOB_INFO.
            self.jobs[record.jobid] = Job(
                record.jobid, record.rule_name, dict(record.wildcards or {}), list(record.log or []), now,
                outputs=[str(path) for path in getattr(record, "output", None) or []],
            )
        elif event == "job_started":
            self.running.update(record.jobs)
        elif event == "job_finished":
            self.running.discard(record.job_id)
            self.finished.add(record.job_id)
        elif event == "progress":
            self.done, self.total = record.done, record.total
        elif event == "job_error":
            self.job_failed(record.jobid, list(record.log or []), record.rule_name)
        elif event == "group_error":
            for info in record.job_error_info:
                self.job_failed(info["jobid"], list(info["log"] or []), info["rule_name"])
        elif event == "error":
            self.other_error = True

    def job_failed(self, jobid: int, logs: list[str], rule: str) -> None:
        self.running.discard(jobid)
        if jobid not in self.jobs:
            self.jobs[jobid] = Job(jobid, rule, {}, logs)
        if jobid not in self.failed:
            logs = logs or self.jobs[jobid].logs
            reason = error_line(logs)
            if reason:
                self.explained.add(jobid)
            where = f" (log: {', '.join(logs)})" if logs else ""
            self.failed[jobid] = reason or f"rule {rule} failed{where}"

    def status_line(self, now: float | None = None) -> str | None:
        """'status: 3 of 9 jobs done, 2 running: ...' while jobs run, else None."""
        if not self.running:
            return None
        now = time.monotonic() if now is None else now
        running = [self.jobs[j] for j in sorted(self.running) if j in self.jobs]
        described = "; ".join(job.label + job.progress(now) for job in running)
        total = f" of {self.total}" if self.total else ""
        return f"status: {self.done}{total} jobs done, {len(self.running)} running: {described}"

    def made_quietly(self) -> set[int]:
        """With --quiet, Snakemake sends no JOB_FINISHED: the jobs that did not fail and whose
        outputs are all there."""
        return {
            jobid
            for jobid, job in self.jobs.items()
            if jobid not in self.failed and job.outputs and all(os.path.exists(path) for path in job.outputs)
        }

    def made(self) -> set[int]:
        """The jobs that finished (with --quiet: made_quietly)."""
        return self.finished or self.made_quietly()

    def interrupted(self) -> set[int]:
        """The jobs a stop cut short: running when the run was stopped, and not finished after
        (failed, with or without a stage error line, or never heard of again)."""
        return set() if self.stopped is None else self.stopped - self.made()

    def details(self, film: str, made: set[int] | None = None) -> str:
        """What the summary says after a built or up-to-date film's name (films.film_details):
        from what its jobs in this run wrote (`made`: the jobs done), or, with no `made`, from
        what is on disk for it. Nothing when that cannot be read: the summary is always
        printed."""
        outputs = None
        if made is not None:
            outputs = [path for jobid, job in sorted(self.jobs.items()) if job.film == film and jobid in made
                       for path in job.outputs]  # fmt: skip
        try:
            return film_details(film, outputs, self.root or Path.cwd())
        except Exception:
            return ""

    def model_lines(self, made: set[int]) -> list[str]:
        """What the run's model jobs that finished fetched or assembled, and its size."""
        lines = []
        for jobid, job in sorted(self.jobs.items()):
            if jobid in made and job.rule in MODEL_RULES:
                for output in job.outputs:
                    line = model_line(MODEL_RULES[job.rule], (self.root or Path.cwd()) / output)
                    if line:
                        lines.append(line)
        return lines

    def summary_lines(self) -> list[str]:
        """Per film: built in this run, up to date (asked for, no job in this run), failed with
        its reason, or interrupted (a Ctrl-C or a SIGTERM stopped the run before it was built:
        a job of it cut short, or a job planned for it not run). A built or up-to-date film's
        line gives its cues and QC problems per language, the spoken language where it was
        detected, and its paths in out/ (details)."""
        films = self.films or []
        order = {name: index for index, name in enumerate(films)}
        made = self.made()
        cut_short = self.interrupted()
        failed: dict[str, str] = {}
        failed_jobs: list[str] = []
        # A film's first failure with a stage error line (a failed group fails all its jobs).
        for jobid, reason in sorted(self.failed.items(), key=lambda item: item[0] not in self.explained):
            job = self.jobs[jobid]
            if jobid in cut_short:
                continue
            if job.film is None:
                failed_jobs.append(f"  failed job: {job.label}: {reason}")
            else:
                failed.setdefault(job.film, reason)
        cut_jobs = [self.jobs[jobid] for jobid in sorted(cut_short) if jobid in self.jobs]
        started: dict[str, set[int]] = {}  # film -> the jobids of it heard of
        for jobid, job in self.jobs.items():
            if job.film is not None:
                started.setdefault(job.film, set()).add(jobid)
        plan = self.plan or {}

        def complete(film: str) -> bool:
            """Every job planned for it is done (without a plan: one is), none was cut short."""
            jobids = started.get(film, set())
            if jobids & cut_short:
                return False
            return plan[film] <= made if film in plan else bool(jobids & made)

        candidates = (set(started) | set(plan)) - set(failed)
        built = [film for film in candidates if complete(film)]
        # A run that ended at a failure (no --keep-going) names no film it did not finish.
        interrupted = candidates - set(built) if self.stopped is not None else set()
        current = [film for film in films if film not in started]

        def in_order(names):
            return sorted(names, key=lambda name: (order.get(name, len(order)), name))

        counts = [f"{len(built)} built"]
        if self.films is not None:
            counts.append(f"{len(current)} up to date")
        counts.append(f"{len(failed)} failed")
        if self.stopped is not None:
            counts.append(f"{len(interrupted)} interrupted (run again to finish)")
        lines = [f"summary: {', '.join(counts)}"]
        lines += [f"  built:      {name}{self.details(name, made)}" for name in in_order(built)]
        lines += [f"  up to date: {name}{self.details(name)}" for name in current]
        lines += [f"  failed:     {name}: {failed[name]}" for name in in_order(failed)]
        lines += [f"  interrupted: {name}" for name in in_order(interrupted)]
        lines += self.model_lines(made)
        lines += failed_jobs
        lines += [f"  interrupted job: {job.label}" for job in cut_jobs if job.film is None]
        if self.other_error and not self.failed and self.stopped is None:
            lines.append("  a job failed without a stage error line: see the Snakemake log above")
        return lines
