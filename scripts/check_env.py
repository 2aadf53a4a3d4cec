"""Is a built stage env whole? Its Python starts, every distribution its stamp lists is
installed, and every top-level package or module each one installed (what a stage imports) is
still on disk.

scripts/run-in-env runs this on the env's own interpreter before every job, and
scripts/build_env.py --repair runs it to decide whether to rebuild. A package uninstalled from the
env, or its folder deleted, is found in milliseconds, before the stage starts; importing the
packages instead would cost up to seconds per job (torch). The build writes the list of what to
look for into the env (MANIFEST); an env built before there was one is checked from its stamp
and its packages' RECORDs (tens of milliseconds), and gets its manifest once found whole.

Stdlib only, no project imports: it runs on any env's interpreter, media's bare one included.
    usage: check_env.py VENV STAMP
Exit status 0 when whole; else 1, with one line on stdout saying what is missing.
"""

from __future__ import annotations

import os
import sys

# In the env's folder, written by scripts/build_env.py once the env is built: one line per path
# to find, "<path relative to the env>\t<its pip freeze line>\t<module name, or empty for metadata>".
MANIFEST = "env-check.txt"
MANIFEST_HEADER = "# what scripts/check_env.py looks for: path\tpackage\tmodule"


def canonical_name(name: str) -> str:
    """A distribution's name as packaging normalises it (PEP 503): `Foo.Bar_baz` is `foo-bar-baz`."""
    import re

    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(line: str) -> str:
    """The distribution a `pip freeze` line names: `name==1.0`, `name @ url`, `-e ...#egg=name`."""
    import re

    egg = re.search(r"#egg=([^&\s]+)", line)
    if egg:
        return canonical_name(egg.group(1))
    return canonical_name(re.split(r"\s*(?:===|==|\s@\s|@)\s*", line.strip(), maxsplit=1)[0])


def site_packages(venv: str) -> list[str]:
    """The env's site-packages folders (lib/pythonX.Y/site-packages; lib64 may be the same one)."""
    import glob

    found: list[str] = []
    for path in sorted(glob.glob(os.path.join(venv, "lib*", "python*", "site-packages"))):
        if os.path.realpath(path) not in {os.path.realpath(p) for p in found}:
            found.append(path)
    return found


def installed(folders: list[str]) -> dict[str, tuple[str, str]]:
    """Canonical distribution name -> (site-packages folder, its .dist-info folder's name)."""
    dists: dict[str, tuple[str, str]] = {}
    for folder in folders:
        for entry in sorted(os.listdir(folder)):
            if entry.endswith(".dist-info"):
                name = entry[: -len(".dist-info")].rsplit("-", 1)[0]
                dists.setdefault(canonical_name(name), (folder, entry))
    return dists


def top_level_entries(folder: str, dist_info: str) -> list[str]:
    """What a distribution installed at the top of site-packages (package folders, modules,
    extension modules, .pth files), from its RECORD; files installed elsewhere (scripts in bin/,
    `.data`) and the metadata itself are left out."""
    try:
        with open(os.path.join(folder, dist_info, "RECORD"), encoding="utf-8") as record:
            lines = record.read().splitlines()
    except OSError:
        return []  # no RECORD (some installers): only the metadata is looked for
    entries = set()
    for line in lines:
        top = line.split(",", 1)[0].strip('"').split("/", 1)[0]
        if top and top not in ("..", "__pycache__") and not top.endswith((".dist-info", ".data")):
            entries.add(top)
    return sorted(entries)


def module_name(entry: str) -> str:
    """The import name of a top-level entry: `six.py` and `_yaml.cpython-311-x86_64-linux-gnu.so`
    are `six` and `_yaml`; a package folder is its own name."""
    for suffix in (".py", ".pyc", ".so", ".pyd", ".pth"):
        if entry.endswith(suffix):
            return entry[: -len(suffix)].split(".", 1)[0]
    return entry


def expected(venv: str, packages: list[str]) -> list[tuple[str | None, str, str]]:
    """What the env must hold for each `pip freeze` line of its stamp, as (path relative to the
    env, the line, the module's import name): each distribution's top-level modules, then its
    metadata (module ""). A distribution whose metadata is already gone is (None, line, "")."""
    if not packages:
        return []
    dists = installed(site_packages(venv))
    modules: list[tuple[str | None, str, str]] = []
    metadata: list[tuple[str | None, str, str]] = []
    for line in packages:
        found = dists.get(requirement_name(line))
        if found is None:
            metadata.append((None, line, ""))
            continue
        folder, dist_info = found
        where = os.path.relpath(folder, venv)
        modules += [(os.path.join(where, entry), line, module_name(entry)) for entry in top_level_entries(folder, dist_info)]
        metadata.append((os.path.join(where, dist_info), line, ""))
    return modules + metadata


def write_manifest(venv: str, packages: list[str]) -> None:
    """Record what `missing` looks for in a freshly built env (its stamp's `packages`): what
    is there now, so a package whose RECORD lists a file it did not install never fails it."""
    save_manifest(venv, [entry for entry in expected(venv, packages) if entry[0] and os.path.lexists(os.path.join(venv, entry[0]))])


def save_manifest(venv: str, entries: list[tuple[str | None, str, str]]) -> None:
    """Write the manifest whole or not at all (jobs sharing the env may write it at once)."""
    lines = [MANIFEST_HEADER] + [f"{path}\t{package}\t{module}" for path, package, module in entries if path]
    target = os.path.join(venv, MANIFEST)
    temporary = f"{target}.{os.getpid()}.tmp"
    try:
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def read_manifest(venv: str) -> list[tuple[str | None, str, str]] | None:
    """The manifest's entries; None when the env has none (built before there were any)."""
    try:
        with open(os.path.join(venv, MANIFEST), encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    entries: list[tuple[str | None, str, str]] = []
    for line in lines:
        if line and not line.startswith("#"):
            path, package, module = (line.split("\t") + ["", ""])[:3]
            entries.append((path, package or path, module))
    return entries


def stamp_packages(stamp: str) -> list[str] | None:
    """The `pip freeze` lines of the env's stamp; None when it has no readable one."""
    import json

    try:
        with open(stamp, encoding="utf-8") as handle:
            return list(json.load(handle)["packages"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def broken(venv: str, wanted: list[tuple[str | None, str, str]]) -> list[str]:
    """What is missing of `wanted`, one phrase per broken distribution (its first missing
    module, else its metadata); empty when nothing is."""
    found: dict[str, str] = {}
    for path, package, module in wanted:
        if package not in found and (path is None or not os.path.lexists(os.path.join(venv, path))):
            found[package] = f"module '{module}' of {package} is missing" if module else f"package {package} is not installed"
    return list(found.values())


def missing(venv: str, stamp: str) -> list[str]:
    """What is missing from the env; empty when it is whole. An env built before there were
    manifests is checked from its stamp, and gets its manifest once found whole (so later
    checks are fast); where its folder is read-only, it is checked that way every time."""
    wanted = read_manifest(venv)
    if wanted is not None:
        return broken(venv, wanted)
    packages = stamp_packages(stamp)
    if packages is None:
        return []  # no stamp to compare with: its Python has started, which is all we can tell
    wanted = expected(venv, packages)
    found = broken(venv, wanted)
    if not found:
        try:
            save_manifest(venv, wanted)
        except OSError:
            pass  # a read-only env: checked from its stamp each time
    return found


def summary(found: list[str]) -> str:
    """One line: the first problem, and how many other packages are broken."""
    others = len(found) - 1
    return found[0] + (f", and {others} other package{'s' if others > 1 else ''}" if others else "")


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: check_env.py VENV STAMP", file=sys.stderr)
        return 2
    found = missing(*argv)
    if found:
        print(summary(found))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
