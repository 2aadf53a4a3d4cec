"""No film name, path, media-sheet cell or config value reaches a shell unquoted: every
placeholder of every `shell:` directive is quoted (`:q`), and the params that hold a command
prefix are argument lists, which `:q` quotes one by one."""

from __future__ import annotations

import ast
import re

import pytest

from conftest import PROJECT
from test_system_tools import compiled_snakefile

SNAKEFILES = [PROJECT / "Snakefile", *sorted((PROJECT / "rules").rglob("*.smk"))]
# `{name}` or `{params.x[key]:spec}`, not the escaped `{{`
PLACEHOLDER = re.compile(r"(?<!\{)\{(?!\{)([^{}]*)\}")


def shell_templates() -> list[tuple[str, int, str]]:
    """(file, line, template) of every shell() call Snakemake makes of a `shell:` directive."""
    found = []
    for path in SNAKEFILES:
        tree, linemap = compiled_snakefile(path)
        for call in ast.walk(tree):
            if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "shell":
                template = ast.literal_eval(call.args[0])
                found.append((path.name, linemap.get(call.lineno, call.lineno), template))
    return found


def unquoted_placeholders(template: str) -> list[str]:
    return [field for field in PLACEHOLDER.findall(template) if not field.endswith(":q")]


def test_every_shell_placeholder_is_quoted():
    templates = shell_templates()
    assert len(templates) >= 15  # every stage's rule, the env and model builds
    unquoted = [
        f"{name}:{line}: {{{field}}}" for name, line, template in templates for field in unquoted_placeholders(template)
    ]
    assert unquoted == []


@pytest.mark.parametrize(
    ("template", "found"),
    [
        ("{params.python:q} --shots {params.shots}", ["params.shots"]),
        ("{input.a:q} {threads} {{literal}}", ["threads"]),
        ("--manifest @{input.manifest:q} {params.source[film]:q}", []),
    ],
)
def test_the_check_finds_unquoted_placeholders(template, found):
    assert unquoted_placeholders(template) == found


def is_option_with_value(node: ast.JoinedStr) -> bool:
    """f"--option {value}": an option and its value as one shell fragment."""
    first, *rest = node.values
    return (
        isinstance(first, ast.Constant)
        and re.fullmatch(r"--?\w[\w-]* ", str(first.value)) is not None
        and len(rest) == 1
        and isinstance(rest[0], ast.FormattedValue)
    )


def test_no_param_builds_shell_text():
    """Params are values the rules quote, never shell fragments: no params function returns
    text that starts with an option (`--shots path`) for a shell line to splice in."""
    fragments = []
    for path in SNAKEFILES:
        tree, linemap = compiled_snakefile(path)
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr) and is_option_with_value(node):
                fragments.append(f"{path.name}:{linemap.get(node.lineno, node.lineno)}")
    assert fragments == []
