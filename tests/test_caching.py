"""What visitors share is computed once per change; their browsers get 304 for unchanged pages."""

from __future__ import annotations

from participation.ratings.services import rate
from participation.rounds import services as rounds

from .conftest import CSRF_RE
from .test_ratings import ITEM, QueryCounter


def test_visitor_pages_answer_304_when_unchanged(client, db, frozen, make_round):
    round_ = make_round(results="live")
    for path in ("/strategie", f"/runden/{round_.id}/{ITEM}", f"/api/v1/rounds/{round_.id}/results"):
        first = client.get(path)
        etag = first.headers["ETag"]
        assert first.headers["Cache-Control"] == "private, no-cache"
        assert "Cookie" in first.headers["Vary"]
        second = client.get(path, headers={"If-None-Match": etag})
        assert second.status_code == 304, path
        assert second.get_data() == b""
    # The CSRF token differs on every request; the ETag does not.
    page = client.get("/strategie")
    assert CSRF_RE.search(page.get_data(as_text=True))
    assert page.headers["ETag"] == client.get("/strategie").headers["ETag"]


def test_a_changed_page_is_sent_again(app, client, db, frozen, make_round, make_user):
    round_ = make_round(results="live")
    path = f"/api/v1/rounds/{round_.id}/results"
    etag = client.get(path).headers["ETag"]
    voter = make_user(email="voter@example.org")
    with app.test_request_context(method="PUT"):
        rate(db, round_, rounds.scope_item(db, round_, ITEM), voter, "agreement", 4)
        db.commit()
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200  # this process committed the change: no stale results
    assert changed.get_json()["participants"] == 1


def test_pages_for_logged_in_people_are_personal(client, db, frozen, make_round, make_user, login):
    round_ = make_round(results="live")
    make_user()
    login()
    response = client.get(f"/runden/{round_.id}/{ITEM}")
    assert response.status_code == 200
    assert "ETag" not in response.headers


def test_results_and_scope_are_read_once_per_change(app, client, db, engine, frozen, make_round, make_user):
    round_ = make_round(results="live")
    path = f"/api/v1/rounds/{round_.id}/results"
    client.get(path)
    with QueryCounter(engine) as cached:
        client.get(path)
    voter = make_user(email="voter@example.org")
    with app.test_request_context(method="PUT"):
        rate(db, round_, rounds.scope_item(db, round_, ITEM), voter, "agreement", 4)
        db.commit()
    with QueryCounter(engine) as refreshed:
        data = client.get(path).get_json()
    assert refreshed.count == cached.count + 2  # results and participants, read again once
    assert next(i for i in data["items"] if i["key"] == ITEM)["questions"]["agreement"]["n"] == 1
