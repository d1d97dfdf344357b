"""The item page in few statements (counted, not timed).

Logged in: ≤ 5 when the shared page is rendered (page_cache.shared_page), ≤ 3 when it is reused
(account, round, and one for the viewer's own ratings, marks and reports: rounds/viewer.py).
Visitors: ≤ 4 when rendered, none when reused.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from .conftest import PASSWORD, Client
from .test_comments_performance import _fill
from .test_ratings import ITEM


@pytest.fixture
def statements(engine):
    recorded: list[str] = []

    def record(conn, cursor, statement, *rest):
        # The test's savepoints stand in for the transaction a request gets anyway.
        if "SAVEPOINT" not in statement:
            recorded.append(statement.split("\n")[0][:120])

    sa.event.listen(engine, "before_cursor_execute", record)
    yield recorded
    sa.event.remove(engine, "before_cursor_execute", record)


def resident(app, make_user, email: str) -> Client:
    make_user(email, name=email.split("@")[0])
    client = Client(app.test_client())
    assert client.submit("/login", {"email": email, "password": PASSWORD}).status_code == 302
    return client


@pytest.mark.parametrize("sort", ["", "?sort=helpful"])
def test_logged_in_item_page_statements(app, db, frozen, make_round, make_user, statements, sort):
    round_ = make_round(results="live", importance=True)
    _fill(db, round_, 30)
    url = f"/runden/{round_.id}/{ITEM}{sort}"
    anna, bert = resident(app, make_user, "anna@example.org"), resident(app, make_user, "bert@example.org")
    for client in (anna, bert):  # the welcome message is shown once, on a page of its own
        assert 'class="flash' in client.get(url).get_data(as_text=True)
    statements.clear()
    assert anna.get(url).status_code == 200  # renders the page shared by residents
    assert len(statements) <= 5, "\n".join(statements)
    statements.clear()
    page = bert.get(url)  # reuses it, with his own parts filled in
    assert page.status_code == 200
    assert len(statements) <= 3, "\n".join(statements)
    assert not any(s.startswith("SELECT comment.id, comment.round_id") for s in statements), statements


def test_visitor_item_page_statements(client, db, frozen, make_round, statements):
    round_ = make_round(results="live", importance=True)
    _fill(db, round_, 30)
    url = f"/runden/{round_.id}/{ITEM}"
    assert client.get(url + "?sort=oldest").status_code == 200  # the round's items and results are read once
    statements.clear()
    assert client.get(url).status_code == 200  # a page of its own: rendered
    assert len(statements) <= 4, "\n".join(statements)
    statements.clear()
    assert client.get(url).status_code == 200
    assert statements == []
