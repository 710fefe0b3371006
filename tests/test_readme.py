"""The README stands on its own: its links stay inside the repository, and it names what a user
needs that would otherwise only be in the code (the category ids, the task statuses)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.domain import TaskStatus
from nlp.taxonomy import Category

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text("utf-8")
# Inline links and images `[text](target "title")`, reference definitions `[name]: target`,
# and autolinks `<scheme:…>`.
INLINE = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE)
AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.-]*:[^>\s]*)>")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def _headings() -> set[str]:
    """The anchors GitHub gives the README's headings."""
    titles = re.findall(r"^#{1,6}\s+(.+?)\s*#*$", README, re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", title).strip().lower().replace(" ", "-") for title in titles}


def _targets() -> list[str]:
    return INLINE.findall(README) + REFERENCE.findall(README) + AUTOLINK.findall(README)


def test_readme_has_links() -> None:
    """The link pattern finds the README's links (so the next test checks something)."""
    assert "config.example.toml" in _targets()


@pytest.mark.parametrize("target", _targets())
def test_every_link_resolves_inside_the_repository(target: str) -> None:
    """No link leaves the repository: each is relative and names a file or folder in it."""
    assert not SCHEME.match(target), f"{target}: a link outside the repository"
    path, _, anchor = target.partition("#")
    if not path:
        assert anchor in _headings(), f"{target}: no such heading"
        return
    resolved = (ROOT / path).resolve()
    assert resolved.is_relative_to(ROOT.resolve()), f"{target}: outside the repository"
    assert resolved.exists(), f"{target}: no such file"


@pytest.mark.parametrize("category", list(Category))
def test_every_category_is_in_the_readme(category: Category) -> None:
    """Each category id appears with its Chinese name on the same line (the table)."""
    rows = [line for line in README.splitlines() if f"`{category.value}`" in line]
    assert any(category.zh in row for row in rows), category.value


def test_every_task_status_is_in_the_readme() -> None:
    """The task's life names every status a user meets in /tasks, the CLI and the database."""
    missing = [status.value for status in TaskStatus if f"`{status.value}`" not in README]
    assert not missing
