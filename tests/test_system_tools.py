"""Every program the project's code and tests start by name is installed by the project itself:
by scripts/install-system-deps.sh (apt), by tests/cluster/start-local-slurm.sh (for tests/cluster
only), by an env (.venvs/, built from envs/*), or it is part of every Debian system. Issue 16:
`make test` on a fresh Debian machine died on a test that called an audio converter nothing installed.

The scan is static (nothing is run) and sees:
  * Python in scripts/, tests/, bench/ and docs/, and rules/**/*.smk and the Snakefile as Snakemake compiles
    them: subprocess.run/Popen/check_output/check_call/call, os.system, shutil.which, and the
    project's own wrappers of them (functions that hand their first parameter straight to one),
    when the program is a literal: "prog ...", ["prog", ...], or a variable that the same file
    assigns such a literal to;
  * shell: rule `shell:` commands, bash scripts (a sh/bash shebang) under scripts/, tests/, bench/
    and .ci/, and the Makefile's recipes (its variables expanded): the first word of each simple
    command, as far as the small lexer below tells commands apart.
Programs named at run time are unknown and ignored: variables and expressions ($python,
{params.python}, sys.executable, PROJECT / ".venvs" / ..., uv + [...], f"python{v}"), command lists
that helper functions return, and commands handed to shell functions (wait_for NAME cmd ...).
"""

from __future__ import annotations

import ast
import functools
import re
import types
from pathlib import Path

import yaml
from snakemake.parser import parse as compile_snakefile

from conftest import PROJECT

SYSTEM_DEPS = PROJECT / "scripts" / "install-system-deps.sh"
SLURM_DEPS = PROJECT / "tests" / "cluster" / "start-local-slurm.sh"

# Debian package -> the programs it puts on PATH (its own or those of the packages it pulls in).
# Every package the two scripts above install must be here; a program is allowed only while a
# script installs its package.
PACKAGE_PROGRAMS = {
    "ffmpeg": {"ffmpeg", "ffprobe", "ffplay"},
    "espeak-ng": {"espeak-ng"},
    "chromium": {"chromium"},
    "procps": {"pgrep", "pkill", "ps", "kill", "free", "top", "watch"},
    "time": {"time"},
    "graphviz": {"dot"},
    "slurm-wlm": set(),  # a metapackage of the ones below
    "slurmctld": {"slurmctld"},
    "slurmd": {"slurmd"},
    "slurmdbd": {"slurmdbd"},
    "slurm-client": {"sacct", "sacctmgr", "sbatch", "scancel", "scontrol", "sinfo", "squeue", "srun"},
    "munge": {"munge", "unmunge", "munged", "mungekey", "create-munge-key"},  # create-munge-key: before Debian 12
    "mariadb-server": {"mariadbd", "mariadb-install-db"},  # from mariadb-server-core, which it pulls in
    "mariadb-client": {"mariadb", "mariadb-admin"},
}

# What every Debian system has, the debian:bookworm container image included: programs of its
# Essential and Priority: required packages. Not procps (ps, pgrep, Priority: important), git or
# make (optional): an image can lack them.
DEBIAN_BASE = {
    "bash", "sh",  # bash, dash
    "basename", "cat", "chmod", "chown", "cp", "dirname", "env", "head", "id", "ln", "ls", "mkdir",
    "mktemp", "mv", "nproc", "rm", "seq", "sleep", "sort", "tail", "touch", "tr", "wc",  # coreutils
    "grep", "sed", "awk", "tar", "gzip", "find", "xargs", "cmp", "diff", "hostname",
    "runuser", "setsid",  # util-linux
    "mount", "umount",  # mount
    "useradd",  # passwd
    "apt-get",  # apt
}  # fmt: skip

# What a user has before the first command of README.md's set-up.
PREREQUISITES = {
    "python3",  # "Both need only Python 3.11" (README); it builds .venvs/workflow
    "make",  # README's set-up commands are make targets (and .ci/run runs `make test`)
    "git",  # the project is a git clone (CI: a clean clone); bench/ copies HEAD with `git archive`
}

# Python package -> the programs it puts in its env's bin/ that the project calls by name.
ENV_PACKAGE_PROGRAMS = {
    "snakemake": {"snakemake"},
    "snakefmt": {"snakefmt"},
    "uv": {"uv"},
    "pytest": {"pytest"},
    "playwright": {"playwright"},
}

# Programs a file uses only where the host has them (found with shutil.which first), so nothing
# has to install them. An entry no longer used fails the test, so the list stays true.
USED_IF_PRESENT = {
    ("bench/machine.py", "nvidia-smi"): "records the GPU where the NVIDIA driver is installed",
    ("bench/machine.py", "scontrol"): "times the SLURM plugin's start-up probe where a SLURM client is installed",
    ("tests/conftest.py", "chromium-browser"): "Ubuntu's name, tried after Debian's chromium",
    ("tests/integration/test_cli_config.py", "conda"): "docs/reproducibility.md's --sdm conda commands, for conda users only",
}

# Calls of programs that nothing installs yet: each one is a bug to fix (install the package or
# drop the call), and then its entry goes; an entry no longer used fails the test.
NOT_INSTALLED_YET: dict[tuple[str, str], str] = {}

HOW_TO_FIX = (
    "Install each one's Debian package in scripts/install-system-deps.sh (and list the package's"
    " programs in PACKAGE_PROGRAMS in tests/test_system_tools.py), or run it from an env"
    " (envs/*), or do the job with a tool the project already installs (ffmpeg, ffprobe, Python)."
)


# ---------------------------------------------------------------------------------- allowed
def apt_packages(script: Path) -> set[str]:
    """The Debian packages a script installs: its `missing+=(pkg)` entries and the literal
    package names after `apt-get install`."""
    text = script.read_text().replace("\\\n", " ")
    packages = set(re.findall(r"missing\+=\(([a-z0-9][a-z0-9.+-]*)\)", text))
    for arguments in re.findall(r"apt-get install (.*)", text):
        packages |= {word for word in arguments.split() if re.fullmatch(r"[a-z0-9][a-z0-9.+-]*", word)}
    return packages


def installed_programs(script: Path) -> set[str]:
    return {program for package in apt_packages(script) for program in PACKAGE_PROGRAMS.get(package, ())}


def requirement_name(requirement: str) -> str:
    return re.match(r"[A-Za-z0-9_.-]*", requirement.strip())[0].lower()


def env_programs() -> set[str]:
    """python in every env, and the programs of the Python packages that envs/* list."""
    envs = PROJECT / "envs"
    packages = set()
    for spec in envs.glob("*.txt"):
        lines = (line.split("#")[0].strip() for line in spec.read_text().splitlines())
        packages |= {requirement_name(line) for line in lines if line and not line.startswith("-")}
    for spec in envs.glob("*.yaml"):
        for dependency in yaml.safe_load(spec.read_text()).get("dependencies", []):
            listed = (dependency.get("pip") or []) if isinstance(dependency, dict) else [dependency]
            packages |= {requirement_name(requirement) for requirement in listed}
    return {"python", "python3"} | {program for package in packages for program in ENV_PACKAGE_PROGRAMS.get(package, ())}


# ------------------------------------------------------------------------------------ shell
SHELL_BUILTINS = {
    ".", ":", "[", "[[", "cd", "continue", "break", "declare", "echo", "eval", "exit", "export",
    "false", "kill", "local", "printf", "read", "return", "set", "shift", "source", "test", "trap",
    "true", "type", "unset", "wait",
}  # fmt: skip
# Words before a command's program (`if ! cmd`, `exec cmd`, `command -v cmd`).
SHELL_PREFIXES = {"if", "then", "else", "elif", "while", "until", "do", "!", "{", "time", "exec", "command"}
# Commands whose first word is no program at all.
SHELL_NOT_COMMANDS = {"for", "case", "select", "function", "fi", "done", "esac", "}"}
ASSIGNMENT = re.compile(r"[A-Za-z_]\w*(\[[^]]*\])?\+?=")


def closing(text: str, start: int, opening: str, close: str) -> int:
    """The index of the bracket that closes the one at text[start] (quoted ones do not count)."""
    depth, quote = 0, None
    for index in range(start, len(text)):
        char = text[index]
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == opening:
            depth += 1
        elif char == close:
            depth -= 1
            if depth == 0:
                return index
    raise ValueError(f"unclosed {opening!r} in {text[start:start + 80]!r}")


def blank_heredoc_bodies(script: str) -> str:
    """The script with the lines of each here-document emptied (line numbers kept)."""
    lines, delimiter = script.split("\n"), None
    for number, line in enumerate(lines):
        if delimiter:
            delimiter = None if line.strip() == delimiter else delimiter
            lines[number] = ""
        elif found := re.search(r"(?<!<)<<-?\s*['\"]?(\w+)", line):
            delimiter = found[1]
    return "\n".join(lines)


def split_commands(script: str, first_line: int = 1) -> list[tuple[int, list[str]]]:
    """(line, words) of each simple command of a piece of bash: commands end at unquoted ; & | ( )
    and newlines, each $(...) body is split into commands of its own (its place in the word
    becomes `$_`), and comments are dropped. Words keep their $variables, so unknowns show."""
    commands: list[tuple[int, list[str]]] = []
    words: list[str] = []
    word: str | None = None  # None: between words
    start, in_quotes, index = first_line, False, 0

    def line_at(position: int) -> int:
        return first_line + script.count("\n", 0, position)

    def begin_word() -> None:
        nonlocal word, start
        if word is None:
            word = ""
            if not words:
                start = line_at(index)

    def end_word() -> None:
        nonlocal word
        if word is not None:
            words.append(word)
        word = None

    def end_command() -> None:
        nonlocal words
        end_word()
        if words:
            commands.append((start, words))
        words = []

    while index < len(script):
        char, following = script[index], script[index + 1 : index + 2]
        if char == "\\" and following == "\n" and not in_quotes:
            end_word()
            index += 2
        elif char == "\\":
            begin_word()
            word += following
            index += 2
        elif char == "#" and word is None and not in_quotes:
            end = script.find("\n", index)
            index = len(script) if end < 0 else end
        elif char == "'" and not in_quotes:
            end = script.index("'", index + 1)
            begin_word()
            word += script[index + 1 : end]
            index = end + 1
        elif char == '"':
            begin_word()
            in_quotes = not in_quotes
            index += 1
        elif char == "$" and following in "({":
            end = closing(script, index + 1, following, ")" if following == "(" else "}")
            begin_word()
            if script.startswith("$((", index) or following == "{":  # arithmetic, ${variable}
                word += script[index : end + 1]
            else:
                commands += split_commands(script[index + 2 : end], line_at(index))
                word += "$_"
            index = end + 1
        elif in_quotes:
            begin_word()
            word += char
            index += 1
        elif char in " \t":
            end_word()
            index += 1
        elif char == "(" and word and word.endswith("="):  # array assignment: a=(x y)
            end = closing(script, index, "(", ")")
            word += script[index : end + 1]
            index = end + 1
        elif char == "&" and word and word[-1] in "<>":  # 2>&1, >&2
            word += char
            index += 1
        elif word is None and words and words[-1] == "=~":  # [[ x =~ regex ]]: the regex is one word
            end = re.compile(r"\s").search(script, index).start()
            words.append(script[index:end])
            index = end
        elif char in ";&|()\n":
            end_command()
            index += 1
        else:
            begin_word()
            word += char
            index += 1
    end_command()
    return commands


def shell_programs(script: str, first_line: int = 1) -> list[tuple[int, str]]:
    """(line, word) of the program of each command of a piece of bash; builtins, keywords and
    the script's own functions left out."""
    functions = set(re.findall(r"^\s*(?:function\s+)?([\w-]+)\s*\(\)", script, re.MULTILINE))
    found = []
    for line, words in split_commands(blank_heredoc_bodies(script), first_line):
        words = [word for word in words if not re.fullmatch(r"\d*[<>].*", word)]  # redirections
        while words and (words[0] in SHELL_PREFIXES or ASSIGNMENT.match(words[0]) or words[0].startswith("-")):
            words = words[1:]
        if words and words[0] not in SHELL_NOT_COMMANDS | SHELL_BUILTINS | functions:
            found.append((line, words[0]))
    return found


def makefile_programs(makefile: Path) -> list[tuple[int, str]]:
    """(line, word) of the program of each command in the Makefile's recipes, its own
    variables ($(NAME)) expanded; others ($@, $(shell ...)) stay unknown."""
    lines = makefile.read_text().splitlines()
    variables = dict(re.findall(r"^(\w+)\s*[:?]?=\s*(.*?)\s*$", "\n".join(lines), re.MULTILINE))
    found = []
    for number, line in enumerate(lines, 1):
        if not line.startswith("\t"):
            continue
        recipe = line.strip().lstrip("@-+")
        for _ in range(10):  # variables may name variables
            recipe = re.sub(r"\$\((\w+)\)", lambda name: variables.get(name[1], "$" + name[1]), recipe)
        found += shell_programs(recipe.replace("$$", "$"), number)
    return found


# ----------------------------------------------------------------------------------- python
RUNNERS = (
    "subprocess.run", "subprocess.Popen", "subprocess.check_output", "subprocess.check_call", "subprocess.call",
    "os.system", "shutil.which",
)  # fmt: skip


def dotted_name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{dotted_name(node.value)}.{node.attr}"
    return ""


def is_runner(call: ast.Call, wrappers: set[str]) -> bool:
    name = dotted_name(call.func)  # also c.subprocess.run: a module reached through another
    return any(name == runner or name.endswith("." + runner) for runner in RUNNERS) or name.split(".")[-1] in wrappers


def command_argument(call: ast.Call) -> ast.AST | None:
    if call.args:
        return call.args[0]
    return next((keyword.value for keyword in call.keywords if keyword.arg == "args"), None)


def wrappers_of_runners(trees: list[ast.AST]) -> set[str]:
    """Names of the project's functions that hand their first parameter straight to a runner
    (run_tool(cmd, ...) in scripts/subtitles_workflow/io.py, run(cmd, ...) in tests/cluster, ...)."""
    names = set()
    for tree in trees:
        for function in ast.walk(tree):
            if isinstance(function, ast.FunctionDef) and function.args.args:
                first = function.args.args[0].arg
                for call in ast.walk(function):
                    if isinstance(call, ast.Call) and is_runner(call, set()):
                        argument = command_argument(call)
                        if isinstance(argument, ast.Name) and argument.id == first:
                            names.add(function.name)
    return names


def literal_programs(argument: ast.AST | None, assigned: dict[str, list[ast.AST]]) -> list[tuple[int, str]]:
    """(line, word) of the program a runner's argument names, when it is a literal (or a
    variable assigned one); [] when the program is only known at run time."""
    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
        # a command line (os.system, shell=True, a rule's shell:) or a program name (shutil.which);
        # Snakemake's {placeholders} are filled in at run time.
        command = re.sub(r"\{\{|\}\}|\{[^{}]*\}", lambda brace: brace[0][0] if len(brace[0]) == 2 else "$_", argument.value)
        return shell_programs(command, argument.lineno)
    if isinstance(argument, (ast.List, ast.Tuple)) and argument.elts:
        first = argument.elts[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return [(first.lineno, first.value)]
    if isinstance(argument, ast.Name):
        return [found for value in assigned.get(argument.id, []) for found in literal_programs(value, {})]
    return []


def python_programs(tree: ast.AST, wrappers: set[str], runners: set[str] = frozenset()) -> list[tuple[int, str]]:
    """(line, word) of each program the code starts or looks up by a literal name."""
    assigned: dict[str, list[ast.AST]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            assigned.setdefault(node.targets[0].id, []).append(node.value)
    found = []
    for call in ast.walk(tree):
        if isinstance(call, ast.Call) and (is_runner(call, wrappers) or dotted_name(call.func) in runners):
            found += literal_programs(command_argument(call), assigned)
    return found


def compiled_snakefile(path: Path) -> tuple[ast.AST, dict[int, int]]:
    """The Python Snakemake makes of a Snakefile (each rule's `shell:` becomes a shell() call),
    and its map from compiled lines back to the file's. Snakemake's parser only needs a
    workflow that can open the file."""
    source = types.SimpleNamespace(get_path_or_uri=lambda secret_free=False: str(path))
    workflow = types.SimpleNamespace(sourcecache=types.SimpleNamespace(open=lambda source: open(path)))
    linemap: dict[int, int] = {}
    code, _ = compile_snakefile(source, workflow, linemap)
    return ast.parse(code), linemap


def is_shell_script(path: Path) -> bool:
    return path.is_file() and re.match(rb"#!.*\b(ba)?sh\b", path.read_bytes()[:64]) is not None


@functools.cache
def called_programs() -> list[tuple[str, int, str]]:
    """(file, line, word) of every program the project starts by a name known before run time."""
    found = []
    python_files = sorted(path for folder in ("scripts", "tests", "bench", "docs") for path in (PROJECT / folder).rglob("*.py"))
    trees = {path: ast.parse(path.read_text(), str(path)) for path in python_files}
    snakefiles = {path: compiled_snakefile(path) for path in [PROJECT / "Snakefile", *sorted((PROJECT / "rules").rglob("*.smk"))]}
    wrappers = wrappers_of_runners([*trees.values(), *(tree for tree, _ in snakefiles.values())])
    for path, tree in trees.items():
        found += [(path, line, word) for line, word in python_programs(tree, wrappers)]
    for path, (tree, linemap) in snakefiles.items():
        found += [(path, linemap.get(line, line), word) for line, word in python_programs(tree, wrappers, {"shell"})]
    scripts = sorted(path for folder in ("scripts", "tests", "bench", ".ci") for path in (PROJECT / folder).rglob("*"))
    for path in filter(is_shell_script, scripts):
        found += [(path, line, word) for line, word in shell_programs(path.read_text())]
    found += [(PROJECT / "Makefile", line, word) for line, word in makefile_programs(PROJECT / "Makefile")]
    return sorted({(str(path.relative_to(PROJECT)), line, word) for path, line, word in found})


def program_name(word: str) -> str | None:
    """The program a command word names: its file name for a path; None when only known at run
    time ($variable) or for the project's own files (scripts/run-in-env, ...)."""
    if not word or "$" in word:
        return None
    path = Path(word)
    if ".venvs" in path.parts:
        return path.name  # an env's program
    if not path.is_absolute() and "/" in word and (PROJECT / path).is_file():
        return None
    return path.name


# ------------------------------------------------------------------------------------ tests
def test_every_package_the_scripts_install_has_its_programs_listed():
    unlisted = {f"{script.relative_to(PROJECT)}: {package}" for script in (SYSTEM_DEPS, SLURM_DEPS) for package in apt_packages(script)}
    unlisted = sorted(entry for entry in unlisted if entry.split(": ")[1] not in PACKAGE_PROGRAMS)
    assert not unlisted, "add these packages and the programs they bring to PACKAGE_PROGRAMS:\n  " + "\n  ".join(unlisted)


def test_every_program_the_code_and_tests_call_is_installed_by_the_project():
    allowed = DEBIAN_BASE | PREREQUISITES | env_programs() | installed_programs(SYSTEM_DEPS)
    allowed_in_cluster_tests = installed_programs(SLURM_DEPS)
    missing = []
    for path, line, word in called_programs():
        name = program_name(word)
        if name is None or name in allowed or (path, name) in USED_IF_PRESENT | NOT_INSTALLED_YET:
            continue
        if path.startswith("tests/cluster/") and name in allowed_in_cluster_tests:
            continue
        missing.append(f"  {path}:{line}: {word}")
    assert not missing, "programs that nothing in the project installs:\n" + "\n".join(missing) + "\n" + HOW_TO_FIX


def test_each_exception_is_still_needed():
    used = {(path, program_name(word)) for path, _, word in called_programs()}
    stale = sorted(set(USED_IF_PRESENT) - used) + sorted(set(NOT_INSTALLED_YET) - used)
    assert not stale, f"no longer called, remove from USED_IF_PRESENT / NOT_INSTALLED_YET: {stale}"


def test_the_shell_scan_finds_each_command_and_skips_what_is_no_program():
    script = """#!/usr/bin/env bash
set -euo pipefail  # comment: pgrep
say() { echo "$*" >&2; }
HOST=$(hostname -s) COUNT=$((1 + 2))
items=(a b) ; [ -n "$HOST" ] || { mungekey --create 2>/dev/null || create-munge-key -f; }
if ! command -v ffmpeg >/dev/null; then "$sudo" apt-get update; fi
[[ "$(sinfo -o %t)" =~ ^(idle|mix)$ ]] && say up
mariadb -e "one;
            two | three"
cat > conf <<CONF
notaprogram here
CONF
for x in $(seq 1 3); do sleep 0.2 \\
    ; done; exec "$python" "$@"
"""
    assert shell_programs(script) == [
        (4, "hostname"), (5, "mungekey"), (5, "create-munge-key"), (6, "ffmpeg"), (6, "$sudo"),
        (7, "sinfo"), (8, "mariadb"), (10, "cat"), (13, "seq"), (13, "sleep"), (14, "$python"),
    ]  # fmt: skip


def test_the_python_scan_finds_literal_programs_and_skips_unknown_ones():
    code = """
import subprocess, shutil, os, sys
def run_tool(cmd, failure):
    return subprocess.run(cmd, capture_output=True)
probe = ["ffprobe", "-v", "error"]
subprocess.run(["pgrep", "-f", "asr.py"], check=True)
subprocess.check_output(args=("espeak-ng", "-w", "x.wav"))
os.system("git status | tar -x")
CHROME = shutil.which("chromium")
run_tool(probe, "no probe")
run_tool(["ffmpeg", "-i", "x"], "no ffmpeg")
subprocess.run([sys.executable, "-m", "snakemake"])
subprocess.run(uv + ["pip"])
"""
    tree = ast.parse(code)
    assert sorted(python_programs(tree, wrappers_of_runners([tree]))) == [
        (5, "ffprobe"), (6, "pgrep"), (7, "espeak-ng"), (8, "git"), (8, "tar"), (9, "chromium"), (11, "ffmpeg"),
    ]  # fmt: skip
