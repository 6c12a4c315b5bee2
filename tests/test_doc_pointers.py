"""Docstrings point to pages and sections of docs/ that exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POINTER = re.compile(r"docs/(\w+)\.md[,)]? \(?sections? (\d+)(?: and (\d+))?")


def _sections(page: Path) -> set[int]:
    return {int(m) for m in re.findall(r"^## (\d+)\. ", page.read_text(encoding="utf-8"), re.M)}


def test_every_docs_pointer_names_an_existing_section():
    found = []
    for path in sorted((ROOT / "src").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        # the developers' notes are not part of the repository
        assert not re.search(r"\b(METHOD|DATA)\.md", text), path
        for m in POINTER.finditer(text):
            page = ROOT / "docs" / f"{m.group(1)}.md"
            assert page.is_file(), (path, m.group(0))
            for number in filter(None, m.groups()[1:]):
                assert int(number) in _sections(page), (path, m.group(0))
            found.append((path.name, m.group(1)))
    # the method notes and the data notes are both referred to
    assert {"method", "data"} <= {page for _, page in found}
    assert len(found) >= 12
