# Where the project is, how a bad request stops the run, and the folders of the artifact
# contract. Functions and constants only.

import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

PROJECT = Path(workflow.basedir)
SCRIPTS = PROJECT / "scripts"
# The stages' package (scripts/subtitles_workflow/) is what the workflow's helpers use too; a stage
# finds it as its script's folder, Snakemake here. Appended, so it shadows nothing Snakemake or an
# installed package imports; the package's name is the project's, so nothing shadows it.
sys.path.append(str(SCRIPTS))

INPUT_DIR = Path("in")
WORK_DIR = Path("work")


def fail(message):
    """Stop the whole run with one line on stderr and exit status 1. Snakemake prints any
    exception, WorkflowError included, with its traceback; SystemExit it lets through.
    """
    raise SystemExit(f"error: {message}")


def validate_or_explain(data, schema, where, remedy):
    """Schema validation with a one-line error naming the file and what to fix."""
    try:
        validate(data, schema=schema)
    except WorkflowError as err:
        lines = str(err).splitlines()
        detail = next(
            (line for line in lines if line.startswith("ValidationError")), lines[0]
        )
        fail(f"{where}: {detail}; {remedy}")
