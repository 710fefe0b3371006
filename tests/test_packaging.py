"""`pip install .` gives a working griddesk: the wheel built from the working tree holds every
module and data file of our packages and nothing else, and its console script runs on its own.

The wheel is built from a copy of the tree (a stale ``build/`` in the checkout cannot leak into
it, and the checkout gains no ``build/`` or egg-info), installed into a folder of its own, and
run with ``python -S``: no ``.pth`` file is read, so the editable install of the checkout is
out of reach and only the wheel's modules (and the environment's third-party packages) import.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from collections.abc import Iterable
from importlib.metadata import version
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
VERSION = PYPROJECT["project"]["version"]
# Left out of the copy the wheel is built from: what git ignores, plus git itself.
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "*.pyc", ".*_cache",
    ".hypothesis", "*.db", "*.db-*",
)  # fmt: skip
SCRIPT = "审计厅小区3号楼2单元又停水了\n/quit\n"


def _our_packages() -> list[str]:
    """The top-level packages of the source tree: every folder with an ``__init__.py`` but
    ``tests``, ``bench`` and ``scripts`` (tools for maintainers, not installed)."""
    return sorted(
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in {"tests", "bench", "scripts"}
    )


def _source_files(packages: Iterable[str], pattern: str) -> set[str]:
    return {
        path.relative_to(ROOT).as_posix()
        for package in packages
        for path in (ROOT / package).rglob(pattern)
        if "__pycache__" not in path.parts
    }


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of the working tree, built offline with the environment's setuptools."""
    [requirement] = PYPROJECT["build-system"]["requires"]
    floor = re.fullmatch(r"setuptools>=(\d+)", requirement)
    assert floor, requirement
    have = version("setuptools")
    if int(have.split(".")[0]) < int(floor[1]):
        pytest.fail(f"building needs {requirement}, found {have}: pip install -e '.[dev]'")
    source = tmp_path_factory.mktemp("source") / "griddesk"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    out = tmp_path_factory.mktemp("dist")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "--no-index", "-w", str(out), str(source)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    [path] = out.glob("griddesk-*.whl")
    return path


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel installed (without dependencies) into a folder of its own."""
    target = tmp_path_factory.mktemp("installed")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index",
         "--target", str(target), str(wheel)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return target


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """The example config, alone in a folder away from the checkout."""
    return Path(shutil.copy(ROOT / "config.example.toml", tmp_path / "config.toml"))


def _run_installed(
    installed: Path, args: list[str], cwd: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -S ARGS`` with only the installed wheel and the third-party packages on
    the path, from ``cwd``."""
    paths = sysconfig.get_paths()
    site = dict.fromkeys([str(installed), paths["purelib"], paths["platlib"]])
    return subprocess.run(
        [sys.executable, "-S", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(site), "PYTHONIOENCODING": "utf-8"},
        check=False,
    )


def _griddesk(
    installed: Path, args: list[str], cwd: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the wheel's own ``griddesk`` console script."""
    return _run_installed(installed, [str(installed / "bin" / "griddesk"), *args], cwd, stdin)


def test_wheel_holds_every_module_and_data_file_and_nothing_else(wheel: Path) -> None:
    """Every .py of our packages, the rules, the web desk's templates and stylesheet and a
    py.typed per package are in the wheel; tests, bench and scripts are not."""
    packages = _our_packages()
    assert {"bot", "handlers", "nlp", "standins", "storage"} <= set(packages)
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    dist_info = f"griddesk-{VERSION}.dist-info"
    shipped = {name for name in names if not name.startswith(f"{dist_info}/")}
    modules = {name for name in shipped if name.endswith(".py")}
    assert modules == _source_files(packages, "*.py")
    data = _source_files(["nlp"], "data/*.toml")
    assert "nlp/data/rules.toml" in data
    pages = _source_files(["handlers"], "web/templates/*.html") | _source_files(
        ["handlers"], "web/static/*.css"
    )
    assert {"handlers/web/templates/tasks.html", "handlers/web/static/desk.css"} <= pages
    data |= pages
    markers = {f"{package}/py.typed" for package in packages}
    assert shipped == modules | data | markers
    assert "handlers/telegram/__init__.py" in shipped  # the module the hand list left out


def test_wheel_metadata_names_license_and_dependencies(wheel: Path) -> None:
    """The metadata says MIT and carries the LICENSE file; APScheduler (which we import) is
    required; the console script is declared."""
    dist_info = f"griddesk-{VERSION}.dist-info"
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(f"{dist_info}/METADATA").decode("utf-8")
        license_text = archive.read(f"{dist_info}/licenses/LICENSE").decode("utf-8")
        entry_points = archive.read(f"{dist_info}/entry_points.txt").decode("utf-8")
    headers = metadata.split("\n\n", 1)[0].splitlines()
    assert "License-Expression: MIT" in headers
    assert license_text == (ROOT / "LICENSE").read_text("utf-8")
    assert license_text.startswith("MIT License")
    scheduler = [h for h in headers if h.startswith("Requires-Dist: APScheduler")]
    assert len(scheduler) == 1, headers
    assert ";" not in scheduler[0]  # required, not behind an extra
    assert "griddesk = bot.cli.main:main" in entry_points


def test_installed_wheel_imports_from_itself(installed: Path, tmp_path: Path) -> None:
    """Under ``python -S`` our packages come from the installed wheel, not the checkout."""
    done = _run_installed(
        installed,
        ["-c", "import bot, handlers.telegram, storage; print(bot.__file__)"],
        tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert Path(done.stdout.strip()).is_relative_to(installed)


def test_shell_runs_from_the_wheel(installed: Path, config: Path) -> None:
    """``griddesk shell`` from the wheel files a resident's message: receipt and group card."""
    done = _griddesk(installed, ["shell", "--config", str(config)], config.parent, stdin=SCRIPT)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    receipt = out.find("工单号：")
    card = out.find("── 兴安南路第一网格（群） ──")
    assert 0 <= receipt < card, out[-3000:]
    assert "📋工单" in out[card:]
    assert "  [1] 认领" in out[card:]


def test_check_config_runs_from_the_wheel(installed: Path, config: Path) -> None:
    """``griddesk check-config`` from the wheel validates the example and prints the org tree."""
    done = _griddesk(installed, ["check-config", "--config", str(config)], config.parent)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "兴安南路第一网格" in done.stdout


def test_version_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    """``griddesk --version`` prints the version pyproject.toml declares."""
    done = _griddesk(installed, ["--version"], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == f"griddesk {VERSION}"
