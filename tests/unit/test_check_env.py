"""scripts/check_env.py: an env missing a package, or a package's module, is found from its
manifest or, for an env built before manifests, from its stamp; build_env --repair rebuilds it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import build_env
import check_env

SITE = Path("lib") / "python3.11" / "site-packages"


def install(venv: Path, name: str, version: str, files: list[str]) -> str:
    """A distribution as an installer leaves it: its files, a .dist-info with a RECORD listing
    them (and bin/ scripts, as `../../../bin/...`). Returns its `pip freeze` line."""
    site = venv / SITE
    dist_info = f"{name.replace('-', '_')}-{version}.dist-info"
    record = [f"{dist_info}/METADATA,,", f"{dist_info}/RECORD,,", f"../../../bin/{name},,"]
    for file in files:
        (site / file).parent.mkdir(parents=True, exist_ok=True)
        (site / file).write_text("")
        record.append(f"{file},sha256=x,0")
    (site / dist_info).mkdir(parents=True)
    (site / dist_info / "METADATA").write_text(f"Name: {name}\nVersion: {version}\n")
    (site / dist_info / "RECORD").write_text("\n".join(record) + "\n")
    return f"{name}=={version}"


@pytest.fixture
def env(tmp_path) -> tuple[Path, Path]:
    """A venv-shaped folder with three packages, and its stamp."""
    venv = tmp_path / "demo"
    packages = [
        install(venv, "Foo.Bar", "1.0", ["foo_bar/__init__.py", "foo_bar/core.py", "foo_bar/__pycache__/core.pyc"]),
        install(venv, "six", "1.16.0", ["six.py"]),
        install(venv, "ext", "2.0", ["_ext.cpython-311-x86_64-linux-gnu.so", "ext/__init__.py", "ext-precedence.pth"]),
    ]
    stamp = tmp_path / "demo.env.json"
    stamp.write_text(json.dumps({"env": "demo", "python": "3.11.7", "packages": sorted(packages)}))
    return venv, stamp


def test_requirement_and_module_names():
    assert check_env.requirement_name("Foo.Bar==1.0") == "foo-bar"
    assert check_env.requirement_name("torch==2.13.0+cpu") == "torch"
    assert check_env.requirement_name("pkg @ file:///opt/wheels/pkg-1.0-py3-none-any.whl") == "pkg"
    assert check_env.requirement_name("-e git+https://host/repo.git@abc#egg=My_Pkg") == "my-pkg"
    assert check_env.module_name("six.py") == "six"
    assert check_env.module_name("_yaml.cpython-311-x86_64-linux-gnu.so") == "_yaml"
    assert check_env.module_name("foo_bar") == "foo_bar"


def test_a_whole_env_has_nothing_missing_and_its_manifest_lists_modules_then_metadata(env):
    venv, stamp = env
    packages = json.loads(stamp.read_text())["packages"]
    assert check_env.missing(str(venv), str(stamp)) == []
    check_env.write_manifest(str(venv), packages)
    entries = check_env.read_manifest(str(venv))
    assert [module for _, _, module in entries] == ["foo_bar", "_ext", "ext", "ext-precedence", "six", "", "", ""]
    assert all(not path.startswith("..") and "__pycache__" not in path for path, _, _ in entries)
    assert check_env.missing(str(venv), str(stamp)) == []


@pytest.mark.parametrize("with_manifest", [True, False])
def test_a_deleted_package_folder_names_its_module(env, with_manifest):
    venv, stamp = env
    if with_manifest:
        check_env.write_manifest(str(venv), json.loads(stamp.read_text())["packages"])
    shutil.rmtree(venv / SITE / "foo_bar")
    assert check_env.missing(str(venv), str(stamp)) == ["module 'foo_bar' of Foo.Bar==1.0 is missing"]


def test_an_uninstalled_package_is_named_with_or_without_a_manifest(env):
    venv, stamp = env
    check_env.write_manifest(str(venv), json.loads(stamp.read_text())["packages"])
    (venv / SITE / "six.py").unlink()
    shutil.rmtree(venv / SITE / "six-1.16.0.dist-info")
    assert check_env.missing(str(venv), str(stamp)) == ["module 'six' of six==1.16.0 is missing"]
    (venv / check_env.MANIFEST).unlink()  # an env built before manifests: only the stamp knows
    assert check_env.missing(str(venv), str(stamp)) == ["package six==1.16.0 is not installed"]
    assert not (venv / check_env.MANIFEST).exists()  # a broken env's state is never recorded as whole


def test_an_env_built_before_manifests_gets_one_once_found_whole(env):
    venv, stamp = env
    assert not (venv / check_env.MANIFEST).exists()
    assert check_env.missing(str(venv), str(stamp)) == []
    assert len(check_env.read_manifest(str(venv))) == 8
    stamp.unlink()  # the manifest alone now says what to look for
    (venv / SITE / "ext-precedence.pth").unlink()
    assert check_env.missing(str(venv), str(stamp)) == ["module 'ext-precedence' of ext==2.0 is missing"]


def test_a_manifest_asks_only_for_what_the_build_installed(env):
    venv, stamp = env
    (venv / SITE / "ext" / "__init__.py").unlink()
    (venv / SITE / "ext").rmdir()  # listed in ext's RECORD, but never there
    check_env.write_manifest(str(venv), json.loads(stamp.read_text())["packages"])
    assert check_env.missing(str(venv), str(stamp)) == []


def test_no_readable_stamp_and_no_manifest_is_not_broken(env, tmp_path):
    venv, _ = env
    assert check_env.missing(str(venv), str(tmp_path / "absent.env.json")) == []
    assert not (venv / check_env.MANIFEST).exists()


def test_the_summary_is_one_line_counting_the_other_packages():
    assert check_env.summary(["a is missing"]) == "a is missing"
    assert check_env.summary(["a is missing", "b", "c"]) == "a is missing, and 2 other packages"
    assert check_env.summary(["a is missing", "b"]) == "a is missing, and 1 other package"


def test_the_command_line_prints_one_line_and_exits_1(env):
    venv, stamp = env
    (venv / SITE / "six.py").unlink()
    done = subprocess.run([sys.executable, "-I", check_env.__file__, str(venv), str(stamp)], capture_output=True, text=True)
    assert (done.returncode, done.stdout, done.stderr) == (1, "module 'six' of six==1.16.0 is missing\n", "")


def test_repair_rebuilds_an_env_missing_a_module_and_leaves_a_whole_one(env, monkeypatch):
    venv, stamp = env
    (venv / "bin").mkdir()
    os.symlink(sys.executable, venv / "bin" / "python")
    spec = venv.parent / "demo.yaml"
    spec.write_text("name: demo\ndependencies:\n  - python =3.11\n  - pip:\n      - six==1.16.0\n")
    built = []
    monkeypatch.setattr(build_env, "build_unlocked", lambda *args: built.append(args) or {"env": "demo"})
    assert build_env.env_whole(venv, stamp)
    assert build_env.build(spec, venv, stamp, repair=True) is None and built == []
    (venv / SITE / "six.py").unlink()
    assert not build_env.env_whole(venv, stamp)
    assert build_env.build(spec, venv, stamp, repair=True) == {"env": "demo"} and len(built) == 1
    assert not build_env.env_whole(venv.parent / "gone", stamp)  # no interpreter at all
