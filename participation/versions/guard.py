"""Published strategy versions never change: a guard on every ORM flush.

The services refuse first, with a clear message (``strategy import --replace``, the editor);
this listener is the backstop for any other code path that would change the texts or the
items of a published version through the ORM. (A database trigger would also stop raw SQL,
but is not portable between SQLite and PostgreSQL.)
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..strategy.models import StrategyItem, StrategyVersion

# What publishing itself sets on a version; everything else of a published version is frozen.
PUBLISH_ATTRIBUTES = {"state", "published_at", "adopted_on", "council_reference"}


class PublishedVersionError(RuntimeError):
    """Something tried to change a published strategy version."""


def _was_published(version: StrategyVersion) -> bool:
    """Published before this flush (a draft being published in this flush is not frozen yet)."""
    history = sa.inspect(version).attrs.state.history
    if history.deleted:
        return history.deleted[0] == "published"
    return version.state == "published" and sa.inspect(version).persistent


def _changed(obj: object) -> set[str]:
    state = sa.inspect(obj)
    return {attr.key for attr in state.attrs if attr.history.has_changes()}


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_published(session: Session, _context, _instances) -> None:
    with session.no_autoflush:
        for obj in list(session.dirty) + list(session.deleted):
            if isinstance(obj, StrategyItem):
                version = obj.version
                if version is not None and _was_published(version) and (
                        obj in session.deleted or _changed(obj) - {"children", "version", "parent"}):
                    raise PublishedVersionError(
                        f"version {version.number} is published: its item {obj.key} cannot change")
            elif isinstance(obj, StrategyVersion) and _was_published(obj):
                if obj in session.deleted:
                    raise PublishedVersionError(f"version {obj.number} is published and cannot be deleted")
                frozen = _changed(obj) - PUBLISH_ATTRIBUTES - {"items", "based_on"}
                if frozen:
                    raise PublishedVersionError(
                        f"version {obj.number} is published: {', '.join(sorted(frozen))} cannot change")
        for obj in session.new:
            if isinstance(obj, StrategyItem) and obj.version is not None and _was_published(obj.version):
                raise PublishedVersionError(f"version {obj.version.number} is published: no items can be added")
