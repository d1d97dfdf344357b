"""An item with 10,000 comments costs the same number of queries as one with 10.

Pages are keyset-paginated (no OFFSET), replies of a page come in one query, helpful and
reply counts are counter columns: nothing is counted per comment.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from participation.accounts.models import User
from participation.comments.models import Comment, HelpfulMark
from participation.db import utcnow
from participation.strategy.models import StrategyItem

from .test_ratings import ITEM, QueryCounter


def _fill(db, round_, count: int, replies_every: int = 10):
    """``count`` top-level comments by 50 people, every tenth with three replies, in bulk."""
    item_id = db.scalar(sa.select(StrategyItem.id).where(StrategyItem.version_id == round_.version_id,
                                                         StrategyItem.key == ITEM))
    now = utcnow()
    authors = db.scalars(sa.insert(User).returning(User.id), [
        {"email": f"c{round_.id}-{i}@example.org", "display_name": f"Person {i}", "role": "resident",
         "language": "de", "session_token": f"s{i}", "created_at": now, "confirmed_at": now}
        for i in range(50)
    ]).all()
    stances = ("support", "criticism", "suggestion", "question")
    rows = [{"round_id": round_.id, "item_id": item_id, "author_id": authors[i % 50], "stance": stances[i % 4],
             "body": f"Beitrag {i}", "body_html": f"<p>Beitrag {i}</p>", "state": "visible",
             "created_at": now, "helpful_count": i % 7, "reply_count": 3 if i % replies_every == 0 else 0}
            for i in range(count)]
    ids = db.scalars(sa.insert(Comment).returning(Comment.id), rows).all()
    replies = [{"round_id": round_.id, "item_id": item_id, "author_id": authors[(i + j) % 50], "parent_id": parent,
                "stance": "support", "body": "Antwort", "body_html": "<p>Antwort</p>", "state": "visible",
                "created_at": now}
               for i, parent in enumerate(ids) if i % replies_every == 0 for j in range(3)]
    if replies:
        db.execute(sa.insert(Comment), replies)
    db.execute(sa.insert(HelpfulMark), [{"comment_id": cid, "user_id": authors[0], "created_at": now}
                                        for cid in ids[:200]])
    db.commit()


@pytest.mark.parametrize("path", [
    "/runden/{id}/" + ITEM,
    "/runden/{id}/" + ITEM + "?sort=helpful",
    "/runden/{id}/" + ITEM + "?sort=oldest&stance=question",
    "/api/v1/rounds/{id}/items/" + ITEM + "/comments",
    "/api/v1/rounds/{id}/items/" + ITEM + "/comments?sort=helpful",
])
def test_ten_thousand_comments_cost_the_same_queries_as_ten(app, client, db, engine, frozen, make_round, make_user,
                                                            login, path):
    app.config["PAGE_CACHE_SECONDS"] = 0  # every request renders its page: count the rendering's queries
    small, large = make_round(title="Klein"), make_round(title="Groß")
    _fill(db, small, 10)
    _fill(db, large, 10_000)
    make_user()
    login()
    counts = {}
    for round_ in (small, large):
        url = path.format(id=round_.id)
        client.get(url)
        with QueryCounter(engine) as counter:
            response = client.get(url)
        assert response.status_code == 200
        counts[round_.id] = counter.count
        html = response.get_data(as_text=True)
        # A page never holds every comment of a large thread.
        assert html.count("Beitrag ") <= 25
    assert counts[small.id] == counts[large.id]


@pytest.mark.parametrize("query", ["", "?sort=oldest", "?sort=helpful", "?sort=helpful&stance=question",
                                   "?stance=support", "?sort=helpful&page=2"])
def test_comment_pages_walk_an_index_in_order(client, db, engine, frozen, make_round, make_user, login, query):
    """Every comment statement of a page (top-level page, replies, cursor pages) searches an index
    on round and item; none scans the comments or sorts the item's whole discussion (SQLite's plans
    are fixed by the schema, so they can be checked; PostgreSQL plans from statistics)."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's plans depend on the schema alone")
    round_ = make_round()
    _fill(db, round_, 300)
    make_user()
    login()
    url = f"/api/v1/rounds/{round_.id}/items/{ITEM}/comments"
    if query.endswith("page=2"):
        cursor = client.get(url + "?sort=helpful").get_json()["next_cursor"]
        query = f"?sort=helpful&cursor={cursor}"
    statements = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        if "FROM comment" in statement and statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", remember)
    try:
        assert client.get(f"/runden/{round_.id}/{ITEM}{query}").status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", remember)
    assert len(statements) >= 2  # the page and its replies
    with engine.connect() as connection:
        for statement, parameters in statements:
            plan = [row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
            on_comment = [step for step in plan if " comment " in f"{step} " and "USING INTEGER PRIMARY KEY" not in step]
            assert on_comment, plan
            for step in on_comment:
                assert step.startswith("SEARCH comment USING INDEX ix_comment_t"), plan
                assert "(round_id=? AND item_id=?" in step, plan
            if "row_number" not in statement:  # the replies are ordered after their window: a few rows
                assert not any("TEMP B-TREE" in step for step in plan), plan
