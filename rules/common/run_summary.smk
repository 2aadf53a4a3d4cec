# The end-of-run summary (onsuccess/onerror in the Snakefile): per film, built, up to date or
# failed with its job log's error line. Self-contained: deleting this file and its two calls
# removes it. Functions and constants only.

import glob
import time

RUN_STARTED = time.time()


def film_of_log(log_path):
    """The film a job log belongs to (logs/<stage>/[<backend>/]<name>[.<lang>...].log): the
    longest film name the file name starts with."""
    matches = [
        n
        for n in MEDIA
        if log_path.name == f"{n}.log" or log_path.name.startswith(f"{n}.")
    ]
    return max(matches, key=len) if matches else None


def batch_summary():
    """Per film: built in this run, up to date, or failed (with the job log's error line)."""
    failed = {}
    for log_path in (
        sorted(Path("logs").rglob("*.log")) if Path("logs").is_dir() else []
    ):
        name = film_of_log(log_path)
        if name is None or name in failed or log_path.stat().st_mtime < RUN_STARTED:
            continue
        lines = log_path.read_text(errors="replace").splitlines()
        errors = [line for line in lines if line.startswith("error: ")]
        if errors:
            failed[name] = f"{errors[-1][len('error: '):]} (log: {log_path})"
    built, current = [], []
    for name in MEDIA:
        if name in failed:
            continue
        outputs = [Path(p) for p in glob.glob(f"out/{glob.escape(name)}.*")]
        if any(p.stat().st_mtime >= RUN_STARTED for p in outputs):
            built.append(name)
        elif outputs:
            current.append(name)
    return built, current, failed


def print_batch_summary(run_failed):
    built, current, failed = batch_summary()
    lines = [
        f"summary: {len(built)} built, {len(current)} up to date, {len(failed)} failed"
    ]
    lines += [f"  built:      {name}" for name in built]
    lines += [f"  failed:     {name}: {reason}" for name, reason in failed.items()]
    if run_failed and not failed:
        lines.append(
            "  a job failed without a stage error line: see the Snakemake log above"
        )
    print("\n".join(lines), file=sys.stderr)
