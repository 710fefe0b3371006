"""The layer rule of STYLE.md: handlers → bot → nlp / storage, read from the imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
FORBIDDEN = {
    "nlp": {"bot", "handlers", "storage", "telegram", "sqlmodel", "sqlalchemy", "aiohttp"},
    "bot": {"handlers", "telegram", "sqlmodel", "sqlalchemy"},
    "handlers": {"storage", "sqlmodel", "sqlalchemy", "jieba"},
    "storage": {"bot", "handlers", "telegram", "nlp"},
}


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_point_one_way(package: str) -> None:
    """No module imports a package its layer must not know."""
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package}/ has no modules"
    crossings = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in files
        for name in _imported_packages(path) & FORBIDDEN[package]
    }
    assert not crossings


def test_jieba_is_only_touched_by_the_segmenter() -> None:
    """One owner of the tokenizer: nlp/segmenter.py."""
    users = {
        str(path.relative_to(ROOT))
        for package in FORBIDDEN
        for path in (ROOT / package).rglob("*.py")
        if "jieba" in _imported_packages(path)
    }
    assert users == {"nlp/segmenter.py"}
