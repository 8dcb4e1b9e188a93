"""Every relative link and #anchor in README.md and docs/*.md resolves: the
file exists, and the anchor is a heading of the page it points into, slugged
as GitHub slugs headings. Read with a Markdown parser, so links in tables,
code spans and fenced code are told apart as a renderer tells them."""
from __future__ import annotations

import pathlib
import re
from collections import Counter
from urllib.parse import unquote, urlsplit

import pytest
from markdown_it import MarkdownIt

from stacktool import ROOT

PARSER = MarkdownIt("commonmark").enable("table")


def pages(root: pathlib.Path) -> list[pathlib.Path]:
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def slug(text: str) -> str:
    """GitHub's heading anchor: lower case, punctuation but - and _ dropped, spaces to -."""
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def parsed(page: pathlib.Path) -> tuple[set[str], list[str]]:
    """The page's anchors, and the targets of its links and images."""
    tokens = PARSER.parse(page.read_text())
    anchors, seen, targets = set(), Counter(), []
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            text = "".join(child.content for child in tokens[i + 1].children
                           if child.type in ("text", "code_inline"))
            base = slug(text)
            anchors.add(base if seen[base] == 0 else f"{base}-{seen[base]}")
            seen[base] += 1
        for child in token.children or []:
            if child.type == "link_open":
                targets.append(child.attrs["href"])
            elif child.type == "image":
                targets.append(child.attrs["src"])
    return anchors, targets


def broken_links(root: pathlib.Path) -> list[str]:
    anchors = {page: parsed(page)[0] for page in pages(root)}
    broken = []
    for page in pages(root):
        for target in parsed(page)[1]:
            url = urlsplit(target)
            if url.scheme or target.startswith("//"):
                continue  # not ours to check offline
            path = (page.parent / unquote(url.path)).resolve() if url.path else page
            where = f"{page.relative_to(root)}: {target}"
            if not path.exists():
                broken.append(f"{where}: no such file")
            elif url.fragment:
                if path.suffix != ".md":
                    broken.append(f"{where}: an anchor into a file that is not Markdown")
                elif url.fragment not in anchors.setdefault(path, parsed(path)[0]):
                    broken.append(f"{where}: no heading with that anchor in {path.name}")
    return broken


def test_every_relative_link_and_anchor_resolves():
    assert broken_links(ROOT) == []


def test_the_pages_are_there_and_link_to_each_other():
    readme_targets = parsed(ROOT / "README.md")[1]
    for page in pages(ROOT)[1:]:
        assert any(target.split("#")[0] == f"docs/{page.name}" for target in readme_targets), \
            f"README.md does not link to docs/{page.name}"


@pytest.mark.parametrize(("heading", "anchor"), [
    ("The page at `/`", "the-page-at-"),
    ("Against the tutorial: `IMAGES=local just bench-peers`",
     "against-the-tutorial-imageslocal-just-bench-peers"),
    ("Compose, Swarm and Kubernetes: what differs, and why",
     "compose-swarm-and-kubernetes-what-differs-and-why"),
])
def test_anchors_are_slugged_as_github_does(heading, anchor):
    assert slug(heading) == anchor


def test_a_missing_file_a_missing_anchor_and_a_link_in_a_table_are_caught(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# A page\n\n## Twice\n\n## Twice\n")
    (tmp_path / "README.md").write_text(
        "# Title\n\n[ok](docs/a.md#twice-1) [ok](#title) `[not a link](nowhere.md)`\n\n"
        "[gone](docs/gone.md) [no anchor](docs/a.md#thrice)\n\n"
        "| a | b |\n| --- | --- |\n| [in a table](#nothing) | x |\n\n"
        "```\n[in code](nowhere.md)\n```\n"
    )
    assert broken_links(tmp_path) == [
        "README.md: docs/gone.md: no such file",
        "README.md: docs/a.md#thrice: no heading with that anchor in a.md",
        "README.md: #nothing: no heading with that anchor in README.md",
    ]
