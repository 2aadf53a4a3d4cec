"""The identity of a stage's code: its script plus every project module it imports,
transitively, as their syntax trees without docstrings, plus the data files those modules read
(scripts/data/<module name>/).

Hashing the syntax tree, not the bytes, means comments, docstrings and formatting (quotes,
line wrapping, trailing commas) never re-run a stage, while any change to what the code does
does. Runs on Snakemake's own interpreter while the workflow is parsed; stdlib only.
"""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path


def _is_docstring(node: ast.AST) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            if node.body and _is_docstring(node.body[0]):
                node.body = node.body[1:] or [ast.Pass()]
    return tree


def _canonical(value: object) -> object:
    """A plain, Python-version-stable form of a syntax tree: node names and non-empty fields
    only (ast.dump's own output changes between Python versions; positions are left out)."""
    if isinstance(value, ast.AST):
        fields = {}
        for name in value._fields:
            field = getattr(value, name, None)
            if field is None or field == []:
                continue
            fields[name] = _canonical(field)
        return [type(value).__name__, fields]
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    if isinstance(value, (bytes, complex)) or value is Ellipsis:
        return repr(value)
    return value


def code_fingerprint(source: str) -> str:
    """What the code of one module does, independent of comments, docstrings and layout."""
    tree = _strip_docstrings(ast.parse(source))
    return repr(_canonical(tree))


def _module_files(name: str, root: Path) -> list[Path]:
    """The project files an absolute module name refers to (packages' __init__ included);
    none for the standard library and installed packages."""
    files = []
    parts = name.split(".")
    for depth in range(1, len(parts) + 1):
        base = root.joinpath(*parts[:depth])
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                files.append(candidate)
    return files


def imported_files(tree: ast.AST, path: Path, root: Path) -> list[Path]:
    """Project modules the module at `path` imports directly, at any depth of its code (lazy
    imports in functions too). `root` is the folder scripts run from (their sys.path[0])."""
    package = path.parent.relative_to(root).parts
    found: list[Path] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found += _module_files(alias.name, root)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package[: len(package) - node.level + 1])
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module:
                found += _module_files(module, root)
            for alias in node.names:  # `from subtitles_workflow import speech` imports a submodule
                found += _module_files(f"{module}.{alias.name}" if module else alias.name, root)
    return found


def module_facts(path: Path, root: Path, cache: dict | None = None) -> dict:
    """{"fingerprint": hash of the code, "imports": [project files, relative to root]} of one
    module. `cache` maps path, size and mtime to earlier answers: parsing every module costs
    ~0.4 s of each Snakemake start, a cache hit one stat."""
    stat = path.stat()
    key = f"{path}|{stat.st_size}|{stat.st_mtime_ns}"
    if cache is not None and key in cache:
        return cache[key]
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    facts = {
        "imports": sorted({str(p.relative_to(root)) for p in imported_files(tree, path, root)}),
        "fingerprint": hashlib.sha256(code_fingerprint(source).encode()).hexdigest(),
    }
    if cache is not None:
        cache[key] = facts
    return facts


def code_digest(script: Path, root: Path, cache: dict | None = None) -> str:
    """Hash of a stage's code: its script and every project module it imports, transitively.
    Edits to any of them change it; comments, docstrings and formatting do not."""
    root = root.resolve()
    facts = {}
    queue = [script.resolve().relative_to(root)]
    while queue:
        relative = queue.pop()
        if str(relative) in facts:
            continue
        facts[str(relative)] = module_facts(root / relative, root, cache)
        queue += [Path(p) for p in facts[str(relative)]["imports"]]
    digest = hashlib.sha256()
    for relative in sorted(facts):
        digest.update(f"{relative}\0{facts[relative]['fingerprint']}\0".encode())
        for data in module_data(root, Path(relative)):
            digest.update(f"{data.relative_to(root)}\0{data_fingerprint(data)}\0".encode())
    return digest.hexdigest()[:16]


def module_data(root: Path, module: Path) -> list[Path]:
    """The data files a module reads: by convention, everything under scripts/data/<module
    name>/ (e.g. scripts/data/function_words/en.txt for subtitles_workflow/function_words.py)."""
    folder = root / "data" / module.stem
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


def data_fingerprint(path: Path) -> str:
    """A data file's content; for text lists (.txt), without `#` comments and blank lines, so
    a comment re-runs nothing."""
    if path.suffix == ".txt":
        lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
        content = "\n".join(line for line in lines if line).encode()
    else:
        content = path.read_bytes()
    return hashlib.sha256(content).hexdigest()
