"""The rating PUT in few statements (counted, not timed), with the tallies still exact."""

from __future__ import annotations

import sqlalchemy as sa

from participation.ratings import tallies

from .test_ratings import ITEM, put


def _statements(engine, send) -> tuple[object, list[str]]:
    statements: list[str] = []

    def record(conn, cursor, statement, *rest):
        # The test's savepoints (and SQLite's BEGIN) stand in for the transaction a request gets anyway.
        if "SAVEPOINT" not in statement and not statement.startswith("BEGIN"):
            statements.append(" ".join(statement.split())[:120])

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        response = send()
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return response, statements


def test_rating_put_statements(client, db, engine, frozen, make_round, make_user, login):
    """New rating: user, round, (lock,) code, store, tally cells, participant, participation.
    Changed rating: user, round, (lock,) code, store, tally cells — the participant is no news."""
    round_ = make_round()
    make_user()
    login()
    postgresql = engine.dialect.name == "postgresql"
    token = client.csrf_token()
    assert client.get(f"/runden/{round_.id}/{ITEM}").status_code == 200  # the scope is kept per process
    response, first = _statements(engine, lambda: put(client, round_.id, ITEM, {"question": "agreement", "value": 4},
                                                      token))
    assert response.status_code == 200, response.get_json()
    # PostgreSQL stores the rating in one statement (the lock on the account is one more);
    # SQLite looks for the old row first and then inserts or updates it.
    assert len(first) == 8, "\n".join(first)
    response, change = _statements(engine, lambda: put(client, round_.id, ITEM, {"question": "agreement", "value": 2},
                                                       token))
    assert response.status_code == 200
    assert len(change) == 6, "\n".join(change)
    assert not any("round_participant" in s or "participation_tally" in s for s in change)
    assert sum("rating_tally" in s for s in change) == 1  # -1 for the old value, +1 for the new: one upsert
    if postgresql:
        assert not any(s.startswith("SELECT rating.value") for s in change)  # no separate read of the old value
    db.expire_all()
    assert tallies.verify(db, round_.id) == []
    response, _withdrawal = _statements(engine, lambda: put(client, round_.id, ITEM, {"question": "agreement",
                                                                                    "value": None}, token))
    assert response.status_code == 200
    db.expire_all()
    assert tallies.verify(db, round_.id) == []
