"""The project's code is one package, imported one way: `subtitles_workflow` (scripts/), found
by a stage as its script's folder, by pytest through pytest.ini, and on sys.path in exactly two
places, both appended so they shadow nothing: Snakemake's (rules/common/base.smk) and a
benchmark's run as a file (bench/scripts_on_path.py)."""

from __future__ import annotations

import ast
import re

from conftest import PROJECT

PATH_EDIT = re.compile(r"sys\.path\.(insert|append|extend)\(|sys\.path\s*(\+=|=(?!=))|sys\.path\[[^]]*\]\s*=(?!=)")
EXTENDERS = {"rules/common/base.smk", "bench/scripts_on_path.py"}
THIS_FILE = PROJECT / "tests" / "unit" / "test_imports.py"
CODE_FOLDERS = ("scripts", "rules", "bench", "tests", "plugins", "docs")


def project_code():
    for folder in CODE_FOLDERS:
        for path in sorted((PROJECT / folder).rglob("*")):
            if path.suffix in {".py", ".smk"} and "__pycache__" not in path.parts:
                yield path
    yield PROJECT / "Snakefile"


def test_sys_path_is_extended_in_two_places_only_and_never_in_front():
    edits = {}
    for path in project_code():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if PATH_EDIT.search(code) and path != THIS_FILE:
                edits.setdefault(str(path.relative_to(PROJECT)), []).append(line.strip())
    assert set(edits) == EXTENDERS, edits
    assert all(line.startswith("sys.path.append(") for lines in edits.values() for line in lines), edits


def test_no_module_is_imported_by_the_old_generic_name():
    old = []
    for path in project_code():
        if path.suffix != ".py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            old += [f"{path.relative_to(PROJECT)}: {name}" for name in names if name.split(".")[0] == "common"]
    assert not old


def test_the_package_is_where_the_stages_and_the_code_digest_find_it():
    package = PROJECT / "scripts" / "subtitles_workflow"
    assert (package / "__init__.py").is_file() and not (PROJECT / "scripts" / "common").exists()
