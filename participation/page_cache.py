"""Public pages rendered once per change for visitors, not once per request.

A visitor (not logged in) sees exactly what every other visitor sees on the same address in the
same language, except for the CSRF token (signed anew per session) and flashed messages. So the
item page is rendered once, kept with a placeholder where the token was, and served to the next
visitors with their own token put in. Logged-in people always get their page rendered for them
(their rating, marks, reports, forms and links are personal); nothing rendered for them is kept.

When a kept page is stale:

- ``content_generation()`` counts the commits of this process that changed anything a page can
  show (comments, helpful marks, moderation, outcomes, rounds, accounts' names, …). Every kept
  page is keyed on it, so a change made in this process shows at once. Changes that only touch
  ratings and their tallies do not count here: the page is also keyed on the round's
  ``tallies.generation``, so a rating changes only the pages of its round.
- Changes made by another process (a second gunicorn worker, the CLI) show after at most
  ``PAGE_CACHE_SECONDS`` (5 s by default). ``0`` switches this off.

Logged-in residents, moderators and administrators get the item page from ``shared_page``: it
is rendered once for everyone of the same *viewer class* (role, eligibility, round state — what
decides which forms and links a page has) with markers where the personal parts go, and each
request fills in its own parts (``personalise``): the CSRF token, the rating panel, whose comment
is whose (edit/delete instead of report), own helpful marks and reports, and the results box
(a ``fragment`` per tallies generation, so a rating does not renew the whole page). Markers carry a secret
drawn when the process starts, so text that people write can never pose as one (it is escaped
anyway, and NUL is refused in input).

The entries live in ``app.extensions`` (one cache per app, so tests never share one), at most
``MAX_ENTRIES`` of them and ``MAX_CHARACTERS`` of text (least recently used go first), so odd query
strings cannot fill memory, nor big pages (a report of 600 KB) kept for generations that are gone.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from email.utils import formatdate
from types import SimpleNamespace
from typing import Any

from flask import current_app, g, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from .ratings import tallies

MAX_ENTRIES = 2000
MAX_CHARACTERS = 64_000_000  # per process: about 64 MB of mostly ASCII HTML
PLACEHOLDER = "\x00csrf-token\x00"
# Tables whose changes never show on a page except through the results (tallies.generation).
RATING_TABLES = frozenset({"rating", "rating_tally", "participation_tally", "round_participant", "ballot"})
_CHANGED = "page_cache_changed"
_generation = 0


def content_generation() -> int:
    return _generation


def _tables(objects) -> set[str]:
    return {getattr(type(obj), "__tablename__", "") for obj in objects}


# Columns no page shows: a log-in (its time, a renewed hash) does not make pages stale.
UNSHOWN = {"user_account": frozenset({"last_login_at", "password_hash", "session_token"})}


def _shown_change(obj) -> bool:
    unshown = UNSHOWN.get(getattr(type(obj), "__tablename__", ""))
    if not unshown:
        return True
    state = sa_inspect(obj)
    return any(attr.history.has_changes() for attr in state.attrs if attr.key not in unshown)


@event.listens_for(Session, "after_flush")
def _after_flush(db: Session, _context) -> None:
    if (_tables([*db.new, *db.deleted]) - RATING_TABLES
            or any(_shown_change(obj) for obj in db.dirty if _tables([obj]) - RATING_TABLES)):
        db.info[_CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _bulk(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", "") not in RATING_TABLES:
            state.session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _after_commit(db: Session) -> None:
    global _generation
    if db.info.pop(_CHANGED, False):
        _generation += 1


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(db: Session, _previous) -> None:
    db.info.pop(_CHANGED, None)


def _seconds() -> float:
    return float(current_app.config.get("PAGE_CACHE_SECONDS", 5))


class _Store(OrderedDict):
    """Entries in order of use, with the length of the text each holds."""

    def __init__(self) -> None:
        super().__init__()
        self.sizes: dict[tuple, int] = {}
        self.characters = 0


def _store() -> _Store:
    return current_app.extensions.setdefault("participation_page_cache", _Store())


def visitor_page(round_id: int, render: Callable[[], str]) -> str:
    """The page ``render()`` gives, rendered once for all visitors of this address and language.

    For logged-in people, with flashed messages waiting, or with the cache off: ``render()``.
    A page is only kept after ``render()`` succeeded (it checks that visitors may see the round), so
    a kept page is served without any statement. A round that opens or closes by the clock (no
    write) shows its new state after at most ``PAGE_CACHE_SECONDS``.
    """
    seconds = _seconds()
    if current_user.is_authenticated or not seconds or session.get("_flashes") or request.method not in ("GET", "HEAD"):
        return render()
    key = (request.path, request.query_string, str(get_locale()), round_id, _generation, tallies.generation(round_id))
    store = _store()
    now = time.monotonic()
    found = store.get(key)
    token = generate_csrf()
    if found is not None and found[0] > now:
        store.move_to_end(key)
        g.page_cache_validators = found[2:]
        return found[1].replace(PLACEHOLDER, token)
    html = render()
    kept = html.replace(token, PLACEHOLDER)
    etag = hashlib.blake2b(kept.encode(), digest_size=16).hexdigest()
    validators = (etag, formatdate(time.time(), usegmt=True))
    _keep(store, key, (now + seconds, kept, *validators), len(kept))
    g.page_cache_validators = validators
    return html


# --- pages shared by a class of logged-in viewers ----------------------------------------------

_SECRET = secrets.token_hex(8)
_MARKER = re.compile(f"\x00{_SECRET}:(\\w+):(\\d*)\x00")


def _marker(kind: str, ident: int | str = "") -> Markup:
    return Markup(f"\x00{_SECRET}:{kind}:{ident}\x00")  # noqa: S704 - our own names and numbers, no input


class Personal:
    """What a shared page's template uses for the parts that differ between its viewers.

    ``block(kind, id)`` … ``end()`` wraps markup that is kept or dropped per viewer; ``value(kind,
    id)`` stands for a small personal value; ``seat(comment, author)`` is the comment as its author
    or as anybody else sees it (the permission rules only look at ``author_id`` and ``state``).
    """

    def __init__(self, viewer_id: int) -> None:
        self.viewer_id = viewer_id

    def block(self, kind: str, ident: int) -> Markup:
        return _marker(kind, ident)

    def end(self) -> Markup:
        return _marker("end")

    def value(self, kind: str, ident: int | str = "") -> Markup:
        return _marker(kind, ident)

    def seat(self, comment: Any, author: bool) -> SimpleNamespace:
        return SimpleNamespace(id=comment.id, state=comment.state, author_id=self.viewer_id if author else 0)


# A kept shared page: text, and per marker (kind, id, where the text after its block's end is; -1 for values).
Ops = list[str | tuple[str, str, int]]
_rendering: set[tuple] = set()  # keys being rendered right now (by another thread of this worker)


def _compile(html: str) -> Ops:
    """The page split at its markers, each block knowing where it ends (a dropped block is one
    jump, not a walk)."""
    parts = _MARKER.split(html)
    ops: Ops = [parts[0]]
    opened: list[int] = []
    for index in range(1, len(parts), 3):
        kind, ident, text = parts[index], parts[index + 1], parts[index + 2]
        if kind == "end":
            start = opened.pop()
            ops[start] = (*ops[start][:2], len(ops))
        else:
            if kind not in VALUE_KINDS:
                opened.append(len(ops))
            ops.append((kind, ident, -1))
        ops.append(text)
    if opened:
        raise ValueError("a personal block without its end")
    return ops


def _keep(store: _Store, key: tuple, entry: tuple, characters: int) -> None:
    """Keep ``entry``; drop the least recently used beyond ``MAX_ENTRIES`` or ``MAX_CHARACTERS``.
    Threads of a worker share the store: each step is atomic under the GIL, and the count is
    started afresh whenever the store runs empty, so a race can only make it approximate."""
    store.characters += characters - store.sizes.get(key, 0)
    store[key] = entry
    store.sizes[key] = characters
    store.move_to_end(key)
    while store and (len(store) > MAX_ENTRIES or store.characters > MAX_CHARACTERS):
        try:
            old, _entry = store.popitem(last=False)
        except KeyError:  # emptied by another thread meanwhile
            break
        store.characters -= store.sizes.pop(old, 0)
    if not store:
        store.sizes.clear()
        store.characters = 0


def shared_page(key: tuple[Hashable, ...], round_id: int, render: Callable[[], tuple[str, Any]]) -> tuple[Ops, Any]:
    """``render()``'s page and its facts (e.g. which comments it shows), once per change.

    ``key`` names the viewer class; the address, language and content generation are added here,
    as for visitors — but not the round's tallies: what shows results (the results box) is left to
    a ``fragment``, so a rating does not make everybody's page be rendered anew. The CSRF token of
    whoever rendered the page is replaced by a marker. While one thread renders a page anew after
    ``PAGE_CACHE_SECONDS``, the others keep serving the previous
    one (changes made in this process change the key, so they never wait for that).
    """
    seconds = _seconds()
    full_key = ("shared", request.path, request.query_string, str(get_locale()), round_id, _generation, *key)
    store = _store()
    now = time.monotonic()
    found = store.get(full_key)
    if found is not None and (found[0] > now or full_key in _rendering):
        store.move_to_end(full_key)
        return found[1], found[2]
    _rendering.add(full_key)
    try:
        html, facts = render()
    finally:
        _rendering.discard(full_key)
    ops = _compile(html.replace(generate_csrf(), _marker("csrf")))
    if seconds:
        _keep(store, full_key, (now + seconds, ops, facts), sum(len(op) for op in ops if isinstance(op, str)))
    return ops, facts


def fragment(key: tuple[Hashable, ...], render: Callable[[], str]) -> str:
    """A small part of a page, rendered once for each different ``key`` (which names everything
    it shows) and language, e.g. a rating panel per state of one's ratings — not per person."""
    full_key = ("fragment", str(get_locale()), _generation, *key)
    store = _store()
    now = time.monotonic()
    found = store.get(full_key)
    if found is not None and found[0] > now:
        store.move_to_end(full_key)
        kept = found[1]
    else:
        kept = render().replace(generate_csrf(), _marker("csrf"))
        if _seconds():
            _keep(store, full_key, (now + _seconds(), kept), len(kept))
    return kept.replace(_marker("csrf"), generate_csrf())


def personalise(ops: Ops, keep: Callable[[str, int], bool], value: Callable[[str, str], str]) -> str:
    """The shared page (as ``shared_page`` keeps it) for one viewer: blocks kept or dropped by
    ``keep(kind, id)``, values from ``value(kind, id)`` (``csrf`` is filled here)."""
    out: list[str] = []
    token = generate_csrf()
    index, end = 0, len(ops)
    while index < end:
        op = ops[index]
        index += 1
        if isinstance(op, str):
            out.append(op)
            continue
        kind, ident, after = op
        if after >= 0:  # a block
            if not keep(kind, int(ident)):
                index = after  # on at the text after its end
        elif kind == "csrf":
            out.append(token)
        else:
            out.append(value(kind, ident))
    return "".join(out)


VALUE_KINDS = frozenset({"csrf", "pressed", "helpful", "rating", "results"})
