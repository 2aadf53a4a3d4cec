"""Snakemake's command line, patched where no workflow code can reach: dotted keys for --config
(`--config asr.beam_size=3 subtitles.max_line_chars=30`) and a --configfile's YAML mistake in one
line. With rules/hooks.smk, the only code that uses Snakemake's internals (here: snakemake.cli's
parse_config and args_to_api); tests/unit/test_hooks.py fails when any other file does.

Part of the orchestrator envs (.venvs/workflow, .venvs/workflow-slurm): the Makefile runs
`<env>/bin/python rules/snakemake_cli_hook.py`, which copies this file into the env's
site-packages as the module snakemake_cli_hook, with a .pth file that imports it at every start
of that Python. So it is a standalone module: it imports nothing of the project.

Why a hook: Snakemake 9.27 parses --config in snakemake.cli.parse_config before it reads the
Snakefile, and rejects any key that is not an identifier, so no workflow code can see
`asr.beam_size=3`. At start-up this module only adds an import hook (importing Snakemake
itself would cost every Python start of the env ~0.7 s); when snakemake.cli is imported, by
`snakemake` or `python -m snakemake`, it wraps parse_config so that `a.b=value` becomes
`a={b: value}`. Values are still typed by Snakemake's own parser; the workflow types them
through its schema (rules/common/config.smk). Every other entry is left to Snakemake. It also
names the file, line and column of a YAML mistake in a --configfile in one line (Snakemake
loads those before the workflow runs, and its message names neither).

One version policy for every internal the project uses: TESTED_SNAKEMAKE and tested() below
are also rules/hooks.smk's (it loads them from this file). On any other minor release both
switch themselves off: here dotted keys fail as Snakemake decides and a --configfile's mistake
gets Snakemake's own message; tests/unit/test_hooks.py and tests/unit/test_config_overrides.py
fail until the internals have been checked again.
"""

import sys

# The minor release whose internals were checked (any 9.27.x; envs/workflow.txt pins 9.27.1).
TESTED_SNAKEMAKE = "9.27"
# The name it is installed under in an orchestrator env's site-packages; the name it had before
# it moved here (envs/snakemake_dotted_config.py), whose copy an env built then still holds.
MODULE = "snakemake_cli_hook"
OLD_MODULE = "snakemake_dotted_config"


def tested(version):
    """Whether Snakemake `version` is the release whose internals this file and rules/hooks.smk
    were checked against."""
    return version.startswith(f"{TESTED_SNAKEMAKE}.")


def parse_config_with_dotted_keys(parse_config, entries):
    """Snakemake's parse_config(entries), except that `a.b.c=value` sets config["a"]["b"]["c"]."""
    from snakemake.utils import update_config

    config = {}
    for entry in entries or ():
        key, equals, text = entry.partition("=")
        path = key.split(".")
        if equals and len(path) > 1 and all(path):
            # Snakemake types the value as it would for a plain key.
            value = parse_config([f"value={text}"])["value"]
            for part in reversed(path):
                value = {part: value}
            update_config(config, value)
        else:
            update_config(config, parse_config([entry]))
    return config


def yaml_mistake(path):
    """'<file>, line L, column C: <problem>' for a config file that is not valid YAML, or None.
    Snakemake's own message for it names neither the file nor the line."""
    import yaml

    try:
        with open(path, encoding="utf-8") as handle:
            yaml.safe_load(handle)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        return f"{path}, line {mark.line + 1}, column {mark.column + 1}: {err.problem}; fix the YAML"
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None  # Snakemake names a missing file itself
    return None


def check_configfiles_first(args_to_api):
    """args_to_api that names a --configfile's YAML mistake in one line before Snakemake reads
    it (its ConfigSettings loads --configfile before the workflow could)."""
    import functools

    @functools.wraps(args_to_api)
    def checked(args, parser):
        for path in getattr(args, "configfile", None) or ():
            mistake = yaml_mistake(path)
            if mistake:
                raise SystemExit(f"error: {mistake}")
        return args_to_api(args, parser)

    return checked


def wrap_parse_config(cli):
    """Make snakemake.cli (just executed) accept dotted --config keys and name a --configfile's
    YAML mistake, on the tested version."""
    import functools

    from snakemake import __version__

    if not tested(__version__):
        return
    original = cli.parse_config

    @functools.wraps(original)
    def parse_config(entries):
        return parse_config_with_dotted_keys(original, entries)

    # cli.args_to_api (run by cli.main) looks parse_config up as a module global when it runs,
    # as cli.main looks up args_to_api.
    cli.parse_config = parse_config
    cli.args_to_api = check_configfiles_first(cli.args_to_api)


class WrapOnImport:
    """A meta path finder that finds nothing itself: it lets the other finders load
    snakemake.cli, then wraps its parse_config once the module has run."""

    def find_spec(self, name, path=None, target=None):
        if name != "snakemake.cli":
            return None
        sys.meta_path.remove(self)  # its work is done, and the search below must not find it
        for finder in sys.meta_path:
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        execute = spec.loader.exec_module

        def exec_module(module):
            execute(module)
            wrap_parse_config(module)

        spec.loader.exec_module = exec_module
        return spec


def install_import_hook():
    """Called by the .pth file at every start of the env's Python: twice where the venv's lib64
    links to lib, as site reads the .pth file in both."""
    if not any(isinstance(finder, WrapOnImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, WrapOnImport())


def install_into_this_env():
    """Copy this file into the running Python's site-packages, with the .pth file loading it;
    remove the copy an older checkout installed under the old name (it would wrap twice)."""
    import py_compile
    import shutil
    import sysconfig
    from pathlib import Path

    site_packages = Path(sysconfig.get_paths()["purelib"])
    for old in (f"{OLD_MODULE}.pth", f"{OLD_MODULE}.py"):
        (site_packages / old).unlink(missing_ok=True)
    module = site_packages / f"{MODULE}.py"
    shutil.copyfile(__file__, module)
    # Compiled now: with PYTHONDONTWRITEBYTECODE, every start would compile it again.
    py_compile.compile(str(module), doraise=True)
    (site_packages / f"{MODULE}.pth").write_text(
        f"import {MODULE}; {MODULE}.install_import_hook()\n"
    )


if __name__ == "__main__":
    install_into_this_env()
