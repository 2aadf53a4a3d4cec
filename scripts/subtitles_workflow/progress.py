"""Progress of a long stage, as lines in its job log: `progress: 42.0/600.0 s`, seconds of audio
done of all. The workflow's logger plugin (plugins/snakemake-logger-plugin-subtitles) reads
the last one while the job runs and shows the share done and the time left."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from typing import Any

# At most one line this often (plus the last): a 2-hour film's log stays short.
EVERY_SECONDS = 5.0
log = logging.getLogger("stage")


def progress_line(done: float, total: float) -> str:
    return f"progress: {min(done, total):.1f}/{total:.1f} s"


def audio_progress(segments: Iterable[Any], total: float, offset: float = 0.0) -> Iterator[Any]:
    """Pass decoded segments through, logging how far into the audio they reach (each
    segment's end, shifted by `offset` for a piece cut out of the film)."""
    last = time.monotonic()
    segment = None
    for segment in segments:
        if total > 0 and time.monotonic() - last >= EVERY_SECONDS:
            log.info(progress_line(offset + segment.end, total))
            last = time.monotonic()
        yield segment
    if total > 0 and segment is not None:
        log.info(progress_line(offset + segment.end, total))
