"""A page's ``title`` block is the text of the browser tab and of ``<title>``, where markup is
not parsed: a tag put there by mistake shows as text in the tab and never runs (a script tag
sat in the duplicate queue's title)."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[3] / "src" / "spmis" / "web" / "templates"
TITLE = re.compile(r"{%-?\s*block title\s*-?%}(.*?){%-?\s*endblock", re.S)


def test_no_markup_in_title_blocks() -> None:
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        for block in TITLE.findall(path.read_text(encoding="utf-8")):
            if re.search(r"<[a-zA-Z/]", block):
                found.append(f"{path.relative_to(TEMPLATES)}: {block.strip()[:80]}")
    assert len(list(TEMPLATES.rglob("*.html"))) > 20  # the walk found the templates
    assert not found, found
