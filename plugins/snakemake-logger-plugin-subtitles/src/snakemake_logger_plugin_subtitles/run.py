"""What a run has done so far, from Snakemake's job events: no Snakemake import, so the unit
tests drive it with plain records."""

from __future__ import annotations

import os

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

# The attribute of the one record the workflow sends at onstart (announce_films).
FILMS_ATTRIBUTE = "subtitles_films"
# What scripts/subtitles_workflow/progress.py writes into a job's log: seconds of audio decoded of all.
PROGRESS_LINE = re.compile(r"\bprogress: (\d+(?:\.\d+)?)/(\d+(?:\.\d+)?) s\b")
ERROR_PREFIX = "error: "
# Enough of a log's end to hold its last progress line.
TAIL_BYTES = 4096


def last_progress(log: Path) -> tuple[float, float] | None:
    """(done, total) seconds from the last progress line of a job log, or None."""
    try:
        with open(log, "rb") as file:
            file.seek(0, 2)
            file.seek(max(0, file.tell() - TAIL_BYTES))
            tail = file.read().decode(errors="replace")
    except OSError:
        return None
    matches = PROGRESS_LINE.findall(tail)
    if not matches:
        return None
    done, total = (float(value) for value in matches[-1])
    return (min(done, total), total) if total > 0 else None


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
    # The first progress seen (time, seconds done): the decoding rate is measured from it.
    first_progress: tuple[float, float] | None = None

    @property
    def film(self) -> str | None:
        return self.wildcards.get("name")

    @property
    def label(self) -> str:
        details = " ".join(str(value) for value in self.wildcards.values())
        return f"{self.rule} {details}" if details else self.rule

    def progress(self, now: float) -> str:
        """', 42.0/600.0 s of audio (7%), about 4m10s left' for a job whose log reports it."""
        found = next((p for p in map(last_progress, map(Path, self.logs)) if p), None)
        if found is None:
            return ""
        done, total = found
        if self.first_progress is None:
            self.first_progress = (now, done)
        since, done_then = self.first_progress
        if now - since >= 1 and done > done_then:
            rate = (done - done_then) / (now - since)
        elif self.started is not None and now > self.started and done > 0:
            rate = done / (now - self.started)  # model loading included: an overestimate
        else:
            rate = 0.0
        left = f", about {duration((total - done) / rate)} left" if rate > 0 and done < total else ""
        return f" ({done:.1f}/{total:.1f} s of audio decoded, {done / total:.0%}{left})"


@dataclass
class RunState:
    """Jobs of one run by id; the films built before it, as the workflow announced them."""

    films: list[str] = field(default_factory=list)
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

    def update(self, event: str | None, record, now: float | None = None) -> None:
        """Take in one log record (`event` is its LogEvent's value, or None)."""
        now = time.monotonic() if now is None else now
        if event is None:
            films = getattr(record, FILMS_ATTRIBUTE, None)
            if films is not None:
                self.films = list(films)
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

    def summary_lines(self) -> list[str]:
        """Per film: built in this run, up to date (built before, no job in this run), or failed
        with its reason."""
        order = {name: index for index, name in enumerate(self.films)}
        failed: dict[str, str] = {}
        failed_jobs: list[str] = []
        # A film's first failure with a stage error line (a failed group fails all its jobs).
        for jobid, reason in sorted(self.failed.items(), key=lambda item: item[0] not in self.explained):
            job = self.jobs[jobid]
            if job.film is None:
                failed_jobs.append(f"  failed job: {job.label}: {reason}")
            else:
                failed.setdefault(job.film, reason)
        with_jobs = {job.film for job in self.jobs.values() if job.film is not None}
        finished = self.finished or self.made_quietly()
        built = [
            film
            for film in with_jobs - set(failed)
            if any(j in finished for j, job in self.jobs.items() if job.film == film)
        ]
        current = [film for film in self.films if film not in with_jobs]

        def in_order(names):
            return sorted(names, key=lambda name: (order.get(name, len(order)), name))

        lines = [f"summary: {len(built)} built, {len(current)} up to date, {len(failed)} failed"]
        lines += [f"  built:      {name}" for name in in_order(built)]
        lines += [f"  failed:     {name}: {failed[name]}" for name in in_order(failed)]
        lines += failed_jobs
        if self.other_error and not self.failed:
            lines.append("  a job failed without a stage error line: see the Snakemake log above")
        return lines
