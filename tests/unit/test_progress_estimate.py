"""The time left that the status line shows, replayed against progress logs recorded from real
asr jobs (tests/unit/progress_logs/: a 271 s recording, base model, 2 cores, batched and
sequential): it is shown only once the decoding rate is known, and then it is right."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from snakemake_logger_plugin_subtitles import run as plugin_run
from snakemake_logger_plugin_subtitles.run import Job

LOGS = Path(__file__).parent / "progress_logs"
STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) ")


def wall(line: str) -> float:
    found = STAMP.match(line)
    return time.mktime(time.strptime(found[1], "%Y-%m-%d %H:%M:%S")) + int(found[2]) / 1000


def replay(recorded: Path, log: Path) -> list[tuple[float, str]]:
    """The job's progress as the status line shows it each second of the recorded job: the
    log as it stood then, read on the log's own clock."""
    lines = recorded.read_text().splitlines()
    start, end = wall(lines[0]), wall(lines[-1])
    job = Job(jobid=1, rule="asr_transcribe", wildcards={"name": "long"}, logs=[str(log)], started=start)
    shown = []
    for second in range(int(end - start) + 1):
        now = start + second
        log.write_text("".join(line + "\n" for line in lines if wall(line) <= now))
        shown.append((end - now, job.progress(now)))
    return shown


@pytest.fixture(autouse=True)
def log_clock(monkeypatch):
    monkeypatch.setattr(plugin_run, "wall_to_monotonic", lambda wall_time: wall_time, raising=False)


def seconds(text: str) -> float:
    found = re.search(r"about (?:(\d+)m)?(\d+)s left", text)
    return int(found[1] or 0) * 60 + int(found[2])


@pytest.mark.parametrize("recorded", sorted(LOGS.glob("*.log")), ids=lambda path: path.stem)
def test_the_time_left_is_shown_only_when_known_and_then_close_to_the_truth(recorded, tmp_path):
    shown = replay(recorded, tmp_path / "asr.log")
    estimates = [(truth, seconds(text)) for truth, text in shown if "left" in text and "not known" not in text]
    assert estimates, shown
    for truth, estimate in estimates:
        assert abs(estimate - truth) <= max(10.0, 0.3 * truth), (truth, estimate, shown)
    # once shown, it never goes back to unknown nor jumps up
    first = next(i for i, (_, text) in enumerate(shown) if "about" in text)
    assert all("not known" not in text for _, text in shown[first:])
    said = [seconds(text) for _, text in shown[first:] if "about" in text]
    assert all(later <= earlier + 5 for earlier, later in zip(said, said[1:])), said


def test_a_burst_of_segments_is_reported_by_its_end_never_its_first_segment(monkeypatch, caplog):
    """The batched pipeline yields a whole batch at once: the line written then must say how
    far the batch reached (a first segment's end made the time left 6 minutes for 7 s)."""
    from types import SimpleNamespace

    import subtitles_workflow.progress as progress

    monkeypatch.setattr(progress, "EVERY_SECONDS", 0.0)
    monkeypatch.setattr(progress, "QUIET_SECONDS", 0.2)

    def bursts():
        time.sleep(0.3)  # the first batch decodes
        yield from (SimpleNamespace(end=end) for end in (27.3, 120.0, 211.4))
        time.sleep(0.8)  # the second
        yield from (SimpleNamespace(end=end) for end in (247.8, 269.8))

    with caplog.at_level("INFO", logger="stage"):
        assert [s.end for s in progress.audio_progress(bursts(), total=271.0)] == [27.3, 120.0, 211.4, 247.8, 269.8]
    assert [r.getMessage() for r in caplog.records] == ["progress: 211.4/271.0 s", "progress: 269.8/271.0 s"]
