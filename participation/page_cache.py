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

The entries live in ``app.extensions`` (one cache per app, so tests never share one), at most
``MAX_ENTRIES`` of them (least recently used go first), so odd query strings cannot fill memory.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from email.utils import formatdate

from flask import current_app, g, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import event
from sqlalchemy.orm import Session

from .ratings import tallies

MAX_ENTRIES = 2000
PLACEHOLDER = "\x00csrf-token\x00"
# Tables whose changes never show on a page except through the results (tallies.generation).
RATING_TABLES = frozenset({"rating", "rating_tally", "participation_tally", "round_participant", "ballot"})
_CHANGED = "page_cache_changed"
_generation = 0


def content_generation() -> int:
    return _generation


def _tables(objects) -> set[str]:
    return {getattr(type(obj), "__tablename__", "") for obj in objects}


@event.listens_for(Session, "after_flush")
def _after_flush(db: Session, _context) -> None:
    if _tables([*db.new, *db.dirty, *db.deleted]) - RATING_TABLES:
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


def _store() -> OrderedDict:
    return current_app.extensions.setdefault("participation_page_cache", OrderedDict())


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
    store[key] = (now + seconds, kept, *validators)
    store.move_to_end(key)
    while len(store) > MAX_ENTRIES:
        store.popitem(last=False)
    g.page_cache_validators = validators
    return html
