"""A word diff of two plain texts, for proposals and for comparing strategy versions.

Words and the whitespace between them are the units (``difflib.SequenceMatcher`` over tokens),
so a changed word shows as that word removed and the new one inserted. The HTML form marks
changes with ``<del>``/``<ins>`` and a spoken label, so they do not depend on colour.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from flask_babel import gettext as _
from markupsafe import Markup, escape

TOKENS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class Chunk:
    op: str  # "equal", "insert" or "delete"
    text: str


def tokens(text: str | None) -> list[str]:
    return TOKENS.findall((text or "").replace("\r\n", "\n"))


def word_diff(old: str | None, new: str | None) -> list[Chunk]:
    """The chunks that turn ``old`` into ``new``.

    Changes separated only by whitespace are shown as one change ("−a b +c d", not
    "−a +c −b +d"), which reads like an edit rather than a word puzzle.
    """
    a, b = tokens(old), tokens(new)
    # Segments: ["equal", text] or ["change", removed, inserted].
    segments: list[list[str]] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            segments.append(["equal", "".join(a[i1:i2])])
        else:
            segments.append(["change", "".join(a[i1:i2]), "".join(b[j1:j2])])
    merged: list[list[str]] = []
    for segment in segments:
        if (segment[0] == "change" and len(merged) >= 2 and merged[-2][0] == "change"
                and merged[-1][0] == "equal" and not merged[-1][1].strip()):
            space = merged.pop()[1]
            previous = merged[-1]
            previous[1] += space + segment[1]
            previous[2] += space + segment[2]
        else:
            merged.append(segment)
    chunks: list[Chunk] = []
    for segment in merged:
        if segment[0] == "equal":
            chunks.append(Chunk("equal", segment[1]))
            continue
        if segment[1]:
            chunks.append(Chunk("delete", segment[1]))
        if segment[2]:
            chunks.append(Chunk("insert", segment[2]))
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


def has_changes(chunks: list[Chunk]) -> bool:
    return any(chunk.op != "equal" for chunk in chunks)


# --- paragraphs: the version comparison and the Synopse ------------------------------------------

PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")


def _lines(text: str) -> Markup:
    return Markup("<br>").join(escape(line) for line in text.split("\n"))


def _wrap(op: str, text: str) -> Markup:
    if op == "equal":
        return _lines(text)
    template = (Markup('<ins><span class="visually-hidden">{} </span>{}</ins>') if op == "insert"
                else Markup('<del><span class="visually-hidden">{} </span>{}</del>'))
    return template.format(_("inserted:") if op == "insert" else _("deleted:"), _lines(text))


def _render(chunks: list[Chunk], keep: set[str]) -> Markup:
    """Paragraphs (split at blank lines, also inside a change) of the kept chunks."""
    paragraphs: list[list[Markup]] = [[]]
    for chunk in chunks:
        if chunk.op not in keep:
            continue
        for index, piece in enumerate(PARAGRAPH_BREAK.split(chunk.text)):
            if index:
                paragraphs.append([])
            if piece:
                paragraphs[-1].append(_wrap(chunk.op, piece))
    return Markup("").join(
        Markup("<p>{}</p>").format(Markup("").join(parts)) for parts in paragraphs
        if "".join(parts).strip()
    )


def render_inline(chunks: list[Chunk]) -> Markup:
    """Old and new in one text, in paragraphs: deletions and insertions marked where they happen."""
    return _render(chunks, {"equal", "delete", "insert"})


def render_side(chunks: list[Chunk], side: str) -> Markup:
    """One side of a side-by-side view: ``old`` shows deletions, ``new`` shows insertions."""
    return _render(chunks, {"equal", "delete"} if side == "old" else {"equal", "insert"})
