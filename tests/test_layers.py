"""The layer rule of STYLE.md: handlers → bot → nlp / storage, read from the imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
FORBIDDEN = {
    "nlp": {"bot", "handlers", "storage", "telegram", "sqlmodel", "sqlalchemy", "aiohttp"},
    "bot": {"handlers", "storage", "telegram", "sqlmodel", "sqlalchemy", "aiohttp", "jieba"},
    "handlers": {"storage", "sqlmodel", "sqlalchemy", "jieba"},
    "storage": {"handlers", "telegram", "aiohttp", "jieba"},
}
# The composition root and the entry point wire storage and channels together; only they may.
COMPOSITION_ROOTS = {
    "bot/app.py": {"handlers", "storage"},
    "bot/cli/main.py": {"handlers", "storage"},
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
