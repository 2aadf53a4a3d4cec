"""Progress of a long stage, as lines in its job log: `progress: 42.0/600.0 s`, seconds of audio
done of all. The workflow's logger plugin (plugins/snakemake-logger-plugin-subtitles) reads
the last one while the job runs and shows the share done and the time left."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

# At most one line this often (plus the last): a 2-hour film's log stays short.
EVERY_SECONDS = 5.0
# Decoders yield in bursts (a 30 s window's segments, or a whole batch's in the batched
# pipeline): a line is written once the decoder has been quiet this long, so it reports the
# end of a burst, never its first segment, and the time left is measured on what is done.
QUIET_SECONDS = 1.0
log = logging.getLogger("stage")


def progress_line(done: float, total: float) -> str:
    return f"progress: {min(done, total):.1f}/{total:.1f} s"


def audio_progress(segments: Iterable[Any], total: float, offset: float = 0.0) -> Iterator[Any]:
    """Pass decoded segments through, logging how far into the audio they reach (each
    segment's end, shifted by `offset` for a piece cut out of the film): after each burst of
    segments (QUIET_SECONDS without one), at most every EVERY_SECONDS, and at the end."""
    if total <= 0:
        yield from segments
        return
    lock, stop = threading.Lock(), threading.Event()
    state = {"reached": None, "logged": None, "arrived": 0.0, "last_log": -EVERY_SECONDS}

    def report() -> None:  # with the lock held
        if state["reached"] is not None and state["reached"] != state["logged"]:
            log.info(progress_line(state["reached"], total))
            state["logged"], state["last_log"] = state["reached"], time.monotonic()

    def report_after_bursts() -> None:
        while not stop.wait(QUIET_SECONDS / 4):
            now = time.monotonic()
            with lock:
                if now - state["arrived"] >= QUIET_SECONDS and now - state["last_log"] >= EVERY_SECONDS:
                    try:
                        report()
                    except BaseException:  # the job is gone (asr_worker's relay): the decode stops it
                        return

    watcher = threading.Thread(target=report_after_bursts, name="audio-progress", daemon=True)
    watcher.start()
    try:
        for segment in segments:
            with lock:
                state["reached"], state["arrived"] = offset + segment.end, time.monotonic()
            yield segment
    finally:
        stop.set()
        watcher.join()
        with lock:
            report()
