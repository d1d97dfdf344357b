"""A word diff of two plain texts, for proposals now and for comparing versions later.

Words and the whitespace between them are the units (``difflib.SequenceMatcher`` over tokens),
so a changed word shows as that word removed and the new one inserted. The HTML form marks
changes with ``<del>``/``<ins>`` and a spoken label, so they do not depend on colour.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from markupsafe import Markup, escape

TOKENS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class Chunk:
    op: str  # "equal", "insert" or "delete"
    text: str


def tokens(text: str | None) -> list[str]:
    return TOKENS.findall((text or "").replace("\r\n", "\n"))


def word_diff(old: str | None, new: str | None) -> list[Chunk]:
    """The chunks that turn ``old`` into ``new``; neighbouring chunks of one kind are merged."""
    a, b = tokens(old), tokens(new)
    chunks: list[Chunk] = []

    def add(op: str, parts: list[str]) -> None:
        text = "".join(parts)
        if not text:
            return
        if chunks and chunks[-1].op == op:
            chunks[-1] = Chunk(op, chunks[-1].text + text)
        else:
            chunks.append(Chunk(op, text))

    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            add("equal", a[i1:i2])
        else:
            add("delete", a[i1:i2])
            add("insert", b[j1:j2])
    return chunks


def changed(old: str | None, new: str | None) -> bool:
    return (old or "").strip() != (new or "").strip()


def diff_html(old: str | None, new: str | None, removed_label: str, added_label: str) -> Markup:
    """The diff as escaped HTML; each change carries a visually hidden label for screen readers
    (e.g. "removed:", "added:"), and the stylesheet strikes through and underlines them."""
    out = []
    for chunk in word_diff(old, new):
        text = escape(chunk.text)
        if chunk.op == "equal":
            out.append(text)
        elif chunk.op == "delete":
            out.append(Markup('<del><span class="visually-hidden">{} </span>{}</del>').format(removed_label, text))
        else:
            out.append(Markup('<ins><span class="visually-hidden">{} </span>{}</ins>').format(added_label, text))
    return Markup("").join(out)
