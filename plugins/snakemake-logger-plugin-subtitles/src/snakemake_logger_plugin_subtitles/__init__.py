"""Snakemake logger plugin `subtitles` (`--logger subtitles`): Snakemake's usual output, plus
`status:` lines while jobs run and the per-film summary at the end, from job events."""

import logging
import sys
import threading
import traceback
from dataclasses import dataclass, field

from snakemake_interface_logger_plugins.base import LogHandlerBase
from snakemake_interface_logger_plugins.settings import LogHandlerSettingsBase

from snakemake_logger_plugin_subtitles.run import FILMS_ATTRIBUTE, PLAN_ATTRIBUTE, RunState

__all__ = ["LogHandler", "LogHandlerSettings", "announce_films"]

# The logger Snakemake sends its records through (snakemake.logging.logger).
SNAKEMAKE_LOGGER = "snakemake.logging"


def announce_films(names, plan=None) -> None:
    """Tell the plugin which films this run asks for and has no job for (call it at onstart):
    the summary's up-to-date ones, in this order; and `plan`, {film: its jobids} for the films
    it has jobs for: a film is built when all of them are done (without it: when one is). Not
    called, the summary leaves the up-to-date count out. Without the plugin, nothing is
    printed."""
    plan = None if plan is None else {film: list(jobids) for film, jobids in plan.items()}
    logging.getLogger(SNAKEMAKE_LOGGER).info(None, extra={FILMS_ATTRIBUTE: list(names), PLAN_ATTRIBUTE: plan})


def fixed(value: bool) -> property:
    """A read-only property that is always `value`: how the handler answers the interface's
    questions about itself (abstract properties of LogHandlerBase)."""
    return property(lambda self: value)


@dataclass
class LogHandlerSettings(LogHandlerSettingsBase):
    # No `from __future__ import annotations` here: Snakemake's CLI calls the field's type.
    interval: float = field(
        default=30.0,
        metadata={"help": "Seconds between two status lines while jobs run (0: none)."},
    )


class LogHandler(LogHandlerBase):
    """Writes what Snakemake's default stream handler writes, with Snakemake's own formatter
    and filter (has_formatter/has_filter are False, so Snakemake attaches them), and sees every
    record before the filter, so --quiet hides no job from the summary."""

    COLORS = {"WARNING": 33, "ERROR": 31, "CRITICAL": 35, "DEBUG": 34}

    def __post_init__(self) -> None:
        self.stream = sys.stdout if self.common_settings.stdout else sys.stderr
        self.run = RunState()
        self.output_lock = threading.RLock()
        self.stopped = threading.Event()
        self.ticker = None
        self.closed = False
        interval = self.settings.interval if self.settings is not None else 30.0
        self.interval = float(interval or 0)
        isatty = getattr(self.stream, "isatty", None)
        self.color = not self.common_settings.nocolor and bool(isatty and isatty())
        self.last_was_job_info = False

    # -- the LogHandlerBase contract: what this handler is never changes
    writes_to_stream = fixed(True)
    writes_to_file = fixed(False)
    has_filter = fixed(False)
    has_formatter = fixed(False)
    needs_rulegraph = fixed(False)

    # -- records
    def handle(self, record: logging.LogRecord) -> bool:
        """Every record updates the run's state; then the filter decides what is printed."""
        try:
            event = getattr(record, "event", None)
            with self.output_lock:  # the status thread reads the same state
                self.run.update(None if event is None else str(event), record)
            if str(event) == "job_started" and self.ticker is None and self.interval > 0:
                self.start_ticker()
        except Exception:
            self.handleError(record)
        return super().handle(record)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
            if not text or text == "None":
                return
            job_info = str(getattr(record, "event", None)) == "job_info"
            with self.output_lock:
                if job_info and not self.last_was_job_info:
                    self.stream.write("\n")  # as Snakemake's own handler: a blank line first
                self.last_was_job_info = job_info
                self.write(text, self.COLORS.get(record.levelname) if self.color else None)
        except Exception:
            self.handleError(record)

    def write(self, text: str, color=None) -> None:
        with self.output_lock:
            self.stream.write(f"\033[{color}m{text}\033[0m\n" if color else f"{text}\n")
            self.stream.flush()

    # -- status lines while jobs run
    def start_ticker(self) -> None:
        self.ticker = threading.Thread(target=self.tick, name="subtitles-status", daemon=True)
        self.ticker.start()

    def tick(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                with self.output_lock:
                    line = self.run.status_line()
                    if line:
                        self.write(line)
            except Exception:  # a status line is never worth a run
                pass

    # -- the end of the run
    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.stopped.set()
            if self.ticker is not None:
                self.ticker.join(timeout=5)
            try:
                if self.run.executing and not self.common_settings.dryrun:
                    self.write("\n".join(self.run.summary_lines()))
            except Exception:  # Snakemake ignores what close() raises: say it here
                traceback.print_exc()
        super().close()
