"""The layer rule of STYLE.md: handlers → bot → nlp / storage, read from the imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
_METRICS = {"prometheus_client"}
"""Metrics are the HTTP server's (handlers/http/): the core and storage are counted from outside."""
FORBIDDEN = {
    "nlp": {"bot", "handlers", "storage", "telegram", "sqlmodel", "sqlalchemy", "aiohttp"}
    | _METRICS,
    "bot": {"handlers", "storage", "telegram", "sqlmodel", "sqlalchemy", "aiohttp", "jieba"}
    | _METRICS,
    "handlers": {"storage", "sqlmodel", "sqlalchemy", "jieba"},
    "storage": {"handlers", "telegram", "aiohttp", "jieba"} | _METRICS,
}
# The composition root and the entry point wire storage and channels together; only they may.
COMPOSITION_ROOTS = {
    "bot/app.py": {"handlers", "storage"},
    "bot/cli/main.py": {"handlers", "storage"},
    "bot/cli/erase.py": {"storage"},  # the operators' erasure opens the database, as main does
    "bot/cli/hotline.py": {"storage"},  # the 12345 import and reply sheet open it too
    "bot/cli/export.py": {"storage"},  # the 台账 and the weekly figures read it
    "bot/cli/database.py": {"storage"},  # opens it for every command that does
    "bot/cli/backup.py": {"storage"},  # backup/restore read the revisions, migrate after restore
}
# Storage implements the desk's ports with its domain values, and nothing else of bot/.
STORAGE_MAY_USE = {"bot.domain", "bot.ports", "bot.errors"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_point_one_way(package: str) -> None:
    """No module imports a package its layer must not know."""
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package}/ has no modules"
    crossings = set()
    for path in files:
        relative = str(path.relative_to(ROOT))
        allowed = COMPOSITION_ROOTS.get(relative, set())
        for name in _imports(path):
            top = name.split(".")[0]
            if top in FORBIDDEN[package] - allowed:
                crossings.add(f"{relative} imports {name}")
            if package == "storage" and top == "bot" and name not in STORAGE_MAY_USE:
                crossings.add(f"{relative} imports {name}")
    assert not crossings


def test_jieba_is_only_touched_by_the_segmenter() -> None:
    """One owner of the tokenizer: nlp/segmenter.py."""
    users = {
        str(path.relative_to(ROOT))
        for package in FORBIDDEN
        for path in (ROOT / package).rglob("*.py")
        if any(name.split(".")[0] == "jieba" for name in _imports(path))
    }
    assert users == {"nlp/segmenter.py"}


def _imported_test_modules(path: Path) -> set[str]:
    """The ``test_*`` modules ``path`` imports, however spelled (``tests.test_x``, ``from tests
    import test_x``, ``from .test_x import …``)."""

    def is_test(module: str) -> bool:
        return any(part.startswith("test_") for part in module.split("."))

    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if is_test(alias.name)}
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            if is_test(base):
                found.add(base)
            else:
                found |= {f"{base}.{a.name}" for a in node.names if is_test(a.name)}
    return found


def test_test_modules_import_no_other_test_module() -> None:
    """Shared fakes, fixtures and helpers live in support modules, never in a test_*.py."""
    tests = sorted((ROOT / "tests").glob("*.py")) + sorted((ROOT / "bench").glob("*.py"))
    assert len(tests) > 10
    crossings = {
        f"{path.relative_to(ROOT)} imports {module}"
        for path in tests
        for module in _imported_test_modules(path)
    }
    assert not crossings
