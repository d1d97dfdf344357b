"""Helpers shared by the consolidation tests: comments straight into the database, a round
ready for consolidation with people in every role."""

from __future__ import annotations

import sqlalchemy as sa

from participation.comments.models import Comment
from participation.db import utcnow
from participation.strategy.models import StrategyItem

ITEM = "mobilitaet-verkehr/zielbild-2"
OTHER_ITEM = "teilhabe-kultur/zielbild-1"
MOD, OTHER_MOD, ADMIN = "mod@example.org", "mod2@example.org", "admin@example.org"


def item_of(db, round_, key=ITEM) -> StrategyItem:
    return db.scalar(sa.select(StrategyItem).where(StrategyItem.version_id == round_.version_id,
                                                   StrategyItem.key == key))


def add_comment(db, round_, author, body="Mehr Radwege, bitte.", key=ITEM, stance="suggestion", parent=None,
                state="visible") -> Comment:
    comment = Comment(round_id=round_.id, item_id=item_of(db, round_, key).id, author_id=author.id, stance=stance,
                      body=body, body_html=f"<p>{body}</p>", state=state, created_at=utcnow(),
                      parent_id=parent.id if parent else None)
    db.add(comment)
    db.commit()
    return comment
