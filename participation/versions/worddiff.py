"""A word-level diff of two plain texts, and its rendering as HTML with ``<ins>``/``<del>``.

Texts are split into words and the whitespace between them, so a changed word shows as one
deletion and one insertion and paragraphs (blank lines) survive. Every change also carries a
visually hidden label ("inserted:", "deleted:"), so the diff does not rely on colour or on
screen readers announcing ``ins``/``del`` (most do not).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from flask_babel import gettext as _
from markupsafe import Markup, escape

TOKEN_RE = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class Op:
    tag: str  # "equal", "insert", "delete"
    text: str


def tokenize(text: str | None) -> list[str]:
    return TOKEN_RE.findall(text or "")


def diff(before: str | None, after: str | None) -> list[Op]:
    """The operations turning ``before`` into ``after``; a replacement is a delete then an insert."""
    old, new = tokenize(before), tokenize(after)
    ops: list[Op] = []
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            ops.append(Op("equal", "".join(old[i1:i2])))
            continue
        if tag in ("delete", "replace"):
            ops.append(Op("delete", "".join(old[i1:i2])))
        if tag in ("insert", "replace"):
            ops.append(Op("insert", "".join(new[j1:j2])))
    return ops


PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")


def _lines(text: str) -> Markup:
    return Markup("<br>").join(escape(line) for line in text.split("\n"))


def _wrap(tag: str, text: str) -> Markup:
    if tag == "equal":
        return _lines(text)
    template = (Markup('<ins><span class="visually-hidden">{} </span>{}</ins>') if tag == "insert"
                else Markup('<del><span class="visually-hidden">{} </span>{}</del>'))
    return template.format(_("inserted:") if tag == "insert" else _("deleted:"), _lines(text))


def _render(ops: list[Op], keep: set[str]) -> Markup:
    """Paragraphs (split at blank lines, also inside a change) of the kept operations."""
    paragraphs: list[list[Markup]] = [[]]
    for op in ops:
        if op.tag not in keep:
            continue
        for index, piece in enumerate(PARAGRAPH_BREAK.split(op.text)):
            if index:
                paragraphs.append([])
            if piece:
                paragraphs[-1].append(_wrap(op.tag, piece))
    return Markup("").join(
        Markup("<p>{}</p>").format(Markup("").join(parts)) for parts in paragraphs
        if "".join(parts).strip()
    )


def render_inline(ops: list[Op]) -> Markup:
    """Old and new in one text: deletions and insertions marked where they happen."""
    return _render(ops, {"equal", "delete", "insert"})


def render_side(ops: list[Op], side: str) -> Markup:
    """One side of a side-by-side view: ``old`` shows deletions, ``new`` shows insertions."""
    return _render(ops, {"equal", "delete"} if side == "old" else {"equal", "insert"})


def changed(ops: list[Op]) -> bool:
    return any(op.tag != "equal" for op in ops)
