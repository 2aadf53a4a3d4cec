# Where the project is, how a bad request stops the run, and the folders of the artifact
# contract. Functions and constants only.

import sys
from pathlib import Path

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


def check_yaml_syntax(path):
    """One line naming the file, line and column of a YAML mistake in the config file, which
    Snakemake's own message (`Config file is not valid JSON or YAML`) names neither of.
    """
    import yaml

    try:
        with open(path, encoding="utf-8") as handle:
            yaml.safe_load(handle)
    except yaml.MarkedYAMLError as err:
        mark, opened = err.problem_mark, err.context_mark
        where = f" ({err.context} on line {opened.line + 1})" if opened else ""
        fail(
            f"{path}, line {mark.line + 1}, column {mark.column + 1}: {err.problem}{where}; fix the YAML"
        )
    except UnicodeDecodeError as err:
        fail(f"{path}: not UTF-8 ({err.reason} at byte {err.start}); save it as UTF-8")
    except OSError:
        pass  # Snakemake names a missing config file itself
