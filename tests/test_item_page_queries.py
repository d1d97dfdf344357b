"""The item page in few statements: ≤ 6 logged in, ≤ 4 for visitors (counted, not timed)."""

from __future__ import annotations

import pytest

from .test_comments_performance import _fill
from .test_ratings import ITEM


@pytest.mark.parametrize(("logged_in", "limit"), [(True, 6), (False, 4)])
def test_item_page_statements(client, db, engine, frozen, make_round, make_user, login, logged_in, limit):
    round_ = make_round(results="live", importance=True)
    _fill(db, round_, 30)
    if logged_in:
        make_user()
        login()
    url = f"/runden/{round_.id}/{ITEM}"
    assert client.get(url).status_code == 200  # warm up
    statements: list[str] = []

    def record(conn, cursor, statement, *rest):
        # The test's savepoints stand in for the transaction a request gets anyway.
        if "SAVEPOINT" not in statement:
            statements.append(statement.split("\n")[0][:120])

    import sqlalchemy as sa

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(url)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200
    assert len(statements) <= limit, "\n".join(statements)
