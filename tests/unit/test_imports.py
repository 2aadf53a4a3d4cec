"""The project's code is one package, imported one way: `subtitles_workflow` (scripts/), found
by a stage as its script's folder, by pytest through pytest.ini, and on sys.path in exactly two
places, both appended so they shadow nothing: Snakemake's (rules/common/base.smk) and a
benchmark's run as a file (bench/scripts_on_path.py)."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

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


def test_modules_on_the_tests_path_have_names_of_their_own():
    """scripts/, bench/ and every tests/ folder are on one sys.path under pytest: two modules of
    one name there (bench/media.py and tests/reliability/media.py once) load whichever comes
    first, and a name the standard library or an installed package uses would shadow it."""
    owners = {}
    for folder in module_folders():
        for path in folder.glob("*.py"):
            if path.name != "conftest.py":
                owners.setdefault(path.stem, []).append(str(path.relative_to(PROJECT)))
    assert {name: paths for name, paths in owners.items() if len(paths) > 1} == {}
    shadowing = sorted(name for name in owners if name in sys.stdlib_module_names or installed_elsewhere(name))
    assert shadowing == [], shadowing


def module_folders() -> list[Path]:
    """The project's folders of modules on pytest's sys.path (pytest.ini, and each test's folder)."""
    tests = {path.parent for path in (PROJECT / "tests").rglob("*.py")}
    return sorted({PROJECT, PROJECT / "scripts", PROJECT / "bench", *tests})


def installed_elsewhere(name: str) -> bool:
    """Whether something other than the project's own folders (a site-packages) has `name`."""
    own = {folder.resolve() for folder in module_folders()}
    others = [Path(entry) for entry in sys.path if entry and Path(entry).resolve() not in own]
    return any((entry / name).is_dir() or (entry / f"{name}.py").is_file() for entry in others)


def import_cycles(root: Path) -> list[list[str]]:
    """The modules under `root` (a stage script's folder) that import each other, directly or
    round a longer loop, at any depth of their code (lazy imports in functions too), as the
    code digest follows their imports: each loop's modules."""
    from subtitles_workflow.code_digest import imported_files

    graph = {
        str(path.relative_to(root)): {str(p.relative_to(root)) for p in imported_files(ast.parse(path.read_text()), path, root)}
        for path in sorted(root.rglob("*.py"))
        if "__pycache__" not in path.parts
    }

    def reach(start: str) -> set[str]:
        reached, stack = set(), list(graph.get(start, ()))
        while stack:
            module = stack.pop()
            if module not in reached:
                reached.add(module)
                stack += graph.get(module, ())
        return reached

    reached = {module: reach(module) for module in graph}
    loops = {frozenset(m for m in reached[s] if s in reached[m]) for s in graph if s in reached[s]}
    return sorted(sorted(loop) for loop in loops)


def test_no_two_modules_import_each_other():
    """asr.py and asr_worker.py once did, through imports inside functions: now both run
    subtitles_workflow/transcription.py, the job in process or through the worker."""
    assert import_cycles(PROJECT / "scripts") == []
