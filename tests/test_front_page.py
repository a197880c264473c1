"""The front page (README.md) and the pages under docs/: every link resolves, every command
the front page shows exists, its example runs, and it reads in short sentences."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
from pathlib import Path

import pytest

from conftest import REPO
from multigrade.jobs import CONF_DIR

PAGES = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
FRONT = (REPO / "README.md").read_text()


def anchors(page: Path) -> set[str]:
    """GitHub's anchors of a page's headings: lower case, punctuation dropped, spaces to dashes."""
    headings = re.findall(r"^#+ (.+)$", re.sub(r"```.*?```", "", page.read_text(), flags=re.S), flags=re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_link_resolves(page):
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if target.startswith(("http://", "https://")):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.exists(), f"{page.name} links to {target}, which does not exist"
        if anchor:
            assert anchor in anchors(linked), f"{page.name} links to {target}: no such heading"


def shown_commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", FRONT, flags=re.S)
    return [line.split("#")[0].strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_every_command_on_the_front_page_exists():
    commands = shown_commands()
    assert commands, "the front page shows no commands"
    makefile = (REPO / "Makefile").read_text()
    for command in commands:
        words = command.split()
        if words[0] == "make":
            assert re.search(rf"^{words[1]}:", makefile, flags=re.M), command
            continue
        assert words[:2] == [".venv/bin/python", "-m"], command
        assert importlib.util.find_spec(words[2]) is not None, command
        for word in words[3:]:
            group, _, option = word.partition("=")
            if (CONF_DIR / group).is_dir():
                assert (CONF_DIR / group / f"{option}.yaml").is_file(), f"{command}: no {group} {option}"


def test_the_front_page_shows_the_figure_the_results_and_the_two_commands_first():
    first = "\n".join(FRONT.splitlines()[:60])
    assert "![" in first and "| claim (paper) | ours | paper | ours from |" in first
    assert "make reproduce" in first and "make test" in first


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_page_reads_in_sentences_of_at_most_40_words(page):
    """Prose only: code blocks, tables and headings aside; a list item ends a sentence."""
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    lines = [line for line in text.splitlines() if not line.startswith(("|", "#"))]
    items = re.split(r"\n\s*\n|\n(?=\s*[-*] )", "\n".join(lines))
    sentences = [s for item in items for s in re.split(r"(?<=[.!?])\s+(?=[A-Z`(*\[])", " ".join(item.split()))]
    long = [s for s in sentences if len(s.split()) > 40]
    assert not long, f"{page.name}: sentences over 40 words: {long}"


@pytest.mark.slow
def test_the_front_page_example_runs(tmp_path, monkeypatch):
    (code,) = re.findall(r"```python\n(.*?)```", FRONT, flags=re.S)
    monkeypatch.chdir(tmp_path)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README.md", "exec"), {})
    assert printed.getvalue().strip().endswith("(3, 2001, 1)")
