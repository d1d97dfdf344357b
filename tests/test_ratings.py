"""Rating items in a round: the plain form, the JSON API, codes, results, and their rules."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from participation.ratings import tallies
from participation.ratings.models import Rating
from participation.rounds.models import InvitationCode

from .conftest import PASSWORD

ITEM = "mobilitaet-verkehr/zielbild-2"


def ratings(db, round_id, **filters):
    db.expire_all()
    query = sa.select(Rating).where(Rating.round_id == round_id)
    for name, value in filters.items():
        query = query.where(getattr(Rating, name) == value)
    return list(db.scalars(query))


def put(client, round_id, key, payload, token=None):
    return client.put(
        f"/api/v1/rounds/{round_id}/items/{key}/rating",
        data=json.dumps(payload), content_type="application/json",
        headers={"X-CSRFToken": token if token is not None else client.csrf_token()},
    )


# --- the plain form (no JavaScript) ------------------------------------------------------------

def test_visitor_sees_the_question_and_a_way_back_after_login(client, frozen, make_round):
    round_ = make_round()
    html = client.get(f"/runden/{round_.id}/{ITEM}").get_data(as_text=True)
    assert "Wie sehr stimmen Sie diesem Zielbild zu?" in html
    assert f'/login?next=/runden/{round_.id}/{ITEM}' in html.replace("%2F", "/")
    assert f'/register?next=/runden/{round_.id}/{ITEM}' in html.replace("%2F", "/")
    assert 'type="radio"' not in html


def test_resident_rates_changes_and_withdraws_without_javascript(client, db, frozen, make_round, make_user, login):
    round_ = make_round(importance=True)
    anna = make_user()
    login()
    page = client.get(f"/runden/{round_.id}/{ITEM}").get_data(as_text=True)
    assert '<fieldset class="scale" data-question="agreement">' in page
    assert '<fieldset class="scale" data-question="importance">' in page
    assert "0 von 26 bewertet" in page

    response = client.submit(f"/runden/{round_.id}/bewertung/{ITEM}", {"agreement": "4", "importance": "5", "action": "save"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Zustimmung gespeichert: stimme eher zu." in page
    assert "Wichtigkeit gespeichert: sehr wichtig." in page
    assert "1 von 26 bewertet" in page
    assert "Weiter zum nächsten Element ohne Bewertung:" in page
    assert 'id="agreement-4" name="agreement" value="4" checked' in page
    stored = {r.question: r.value for r in ratings(db, round_.id, user_id=anna.id)}
    assert stored == {"agreement": 4, "importance": 5}

    client.submit(f"/runden/{round_.id}/bewertung/{ITEM}", {"agreement": "0", "action": "save"})
    stored = {r.question: r.value for r in ratings(db, round_.id, user_id=anna.id)}
    assert stored == {"agreement": 0, "importance": 5}  # importance untouched

    client.submit(f"/runden/{round_.id}/bewertung/{ITEM}", {"action": "withdraw"})
    assert ratings(db, round_.id, user_id=anna.id) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"agreement": "7"}, "Wählen Sie einen Wert von 1 bis 5"),
        ({"agreement": "viel"}, "Wählen Sie einen Wert von 1 bis 5"),
        ({"importance": "3"}, "Bitte wählen Sie eine Antwort"),  # the round does not ask importance
        ({}, "Bitte wählen Sie eine Antwort"),
    ],
)
def test_bad_form_input_is_explained_and_nothing_stored(client, db, frozen, make_round, make_user, login, data, message):
    round_ = make_round()
    make_user()
    login()
    response = client.submit(f"/runden/{round_.id}/bewertung/{ITEM}", {**data, "action": "save"}, follow_redirects=True)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert ratings(db, round_.id) == []


def test_form_outside_the_open_window_is_refused(client, db, frozen, make_round, make_user, login):
    round_ = make_round()
    make_user()
    frozen.move_to("2027-01-31 09:00:00+00:00", tick=False)  # the closing moment
    login()
    response = client.submit(f"/runden/{round_.id}/bewertung/{ITEM}", {"agreement": "5"}, follow_redirects=True)
    assert "Diese Runde ist nicht für Bewertungen geöffnet." in response.get_data(as_text=True)
    assert ratings(db, round_.id) == []


def test_round_page_groups_items_by_field_with_progress(client, frozen, make_round, make_user, login):
    round_ = make_round()
    make_user()
    login()
    for key in ("leitkoordinate-1", ITEM, "mobilitaet-verkehr/zielbild-3"):
        client.submit(f"/runden/{round_.id}/bewertung/{key}", {"agreement": "5"})
    html = client.get(f"/runden/{round_.id}").get_data(as_text=True)
    assert "3 von 26 bewertet" in html
    assert html.count("von 3 bewertet") == 6 and "2 von 3 bewertet" in html
    assert "1 von 8 bewertet" in html
    assert html.index("Leitkoordinaten") < html.index("Umwelt, Energie &amp; Klima") < html.index("Mobilität &amp; Verkehr")


def test_home_and_strategy_pages_point_to_the_open_round(client, frozen, make_round):
    round_ = make_round(title="Runde Winter")
    assert "Runde Winter" in client.get("/").get_data(as_text=True)
    item_page = client.get(f"/strategie/{ITEM}").get_data(as_text=True)
    assert f"/runden/{round_.id}/{ITEM}#rate" in item_page
    assert f"/runden/{round_.id}" not in client.get("/strategie/vision").get_data(as_text=True)


def test_draft_rounds_are_not_public(client, frozen, make_round, make_user, login):
    round_ = make_round(state="draft")
    assert client.get(f"/runden/{round_.id}").status_code == 404
    assert client.get(f"/api/v1/rounds/{round_.id}").status_code == 404
    assert round_.id not in [r["id"] for r in client.get("/api/v1/rounds").get_json()["rounds"]]
    make_user(role="moderator")
    login()
    assert client.get(f"/runden/{round_.id}").status_code == 200


# --- the JSON API --------------------------------------------------------------------------------

def test_api_rating_round_trip(client, db, frozen, make_round, make_user, login):
    round_ = make_round(importance=True)
    make_user()
    login()
    response = put(client, round_.id, ITEM, {"question": "agreement", "value": 5})
    assert response.status_code == 200
    assert response.get_json() == {"round": round_.id, "key": ITEM, "question": "agreement", "value": 5,
                                   "message": "Zustimmung gespeichert: stimme voll zu."}
    assert put(client, round_.id, ITEM, {"question": "agreement", "value": 2}).get_json()["value"] == 2
    put(client, round_.id, ITEM, {"question": "importance", "value": 0})
    mine = client.get(f"/api/v1/rounds/{round_.id}/my-ratings").get_json()
    assert mine["ratings"] == [{"key": ITEM, "question": "agreement", "value": 2},
                               {"key": ITEM, "question": "importance", "value": 0}]
    withdrawn = put(client, round_.id, ITEM, {"question": "agreement", "value": None})
    assert withdrawn.status_code == 200 and withdrawn.get_json()["value"] is None
    assert len(ratings(db, round_.id)) == 1


@pytest.mark.parametrize(
    ("payload", "key", "status", "code"),
    [
        ({"question": "agreement", "value": 6}, ITEM, 422, "value_out_of_range"),
        ({"question": "agreement", "value": -1}, ITEM, 422, "value_out_of_range"),
        # A wrong JSON type is a malformed request (400), a well-typed value out of range a 422.
        ({"question": "agreement", "value": "5"}, ITEM, 400, "invalid_json"),
        ({"question": "agreement", "value": 2.5}, ITEM, 400, "invalid_json"),
        ({"question": "agreement", "value": True}, ITEM, 400, "invalid_json"),
        ({"question": "importance", "value": 3}, ITEM, 422, "unknown_question"),
        ({"question": "beauty", "value": 3}, ITEM, 422, "unknown_question"),
        ({"question": "agreement", "value": 3}, "vision", 404, "item_not_in_round"),
        ({"question": "agreement", "value": 3}, "nicht/da", 404, "item_not_in_round"),
        ({"value": 3}, ITEM, 400, "invalid_json"),
        ([1, 2], ITEM, 400, "invalid_json"),
    ],
)
def test_api_bad_input(client, db, frozen, make_round, make_user, login, payload, key, status, code):
    round_ = make_round()
    make_user(language="en")
    login()
    response = put(client, round_.id, key, payload)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]
    assert ratings(db, round_.id) == []


def test_api_errors_speak_the_users_language(client, frozen, make_round, make_user, login):
    round_ = make_round()
    make_user(language="en")
    login()
    response = put(client, round_.id, ITEM, {"question": "agreement", "value": 9})
    assert response.get_json()["error"]["message"] == "Choose a value from 1 to 5, or “no answer”."


def test_api_needs_login_and_csrf(client, db, frozen, make_round, make_user, login):
    round_ = make_round()
    response = put(client, round_.id, ITEM, {"question": "agreement", "value": 3})
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "not_logged_in"
    assert client.get(f"/api/v1/rounds/{round_.id}/my-ratings").status_code == 401
    make_user()
    login()
    response = put(client, round_.id, ITEM, {"question": "agreement", "value": 3}, token="forged")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "csrf_failed"
    assert ratings(db, round_.id) == []


@pytest.mark.parametrize("state", ["closed", "consolidation", "published"])
def test_api_refuses_ratings_outside_the_open_window(client, db, frozen, make_round, make_user, login, state):
    round_ = make_round(state=state)
    make_user()
    login()
    response = put(client, round_.id, ITEM, {"question": "agreement", "value": 3})
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "round_not_open"
    assert ratings(db, round_.id) == []


def test_unconfirmed_accounts_cannot_rate(client, db, frozen, make_round, make_user):
    round_ = make_round()
    make_user(confirmed=False)
    client.submit("/login", {"email": "anna@example.org", "password": PASSWORD})
    assert put(client, round_.id, ITEM, {"question": "agreement", "value": 3}).status_code == 401


# --- invitation codes ---------------------------------------------------------------------------

def _codes(app, db, round_, count=3):
    from participation.rounds.services import generate_codes

    with app.test_request_context():
        codes = [c.code for c in generate_codes(db, round_, count)]
    db.commit()
    return codes


def test_codes_required_round(app, client, db, frozen, make_round, make_user, login):
    round_ = make_round(participation="codes")
    codes = _codes(app, db, round_)
    make_user()
    make_user("bert@example.org", "Bert")
    login()
    response = put(client, round_.id, ITEM, {"question": "agreement", "value": 4})
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "not_eligible"
    assert "Einladungscode" in client.get(f"/runden/{round_.id}/{ITEM}").get_data(as_text=True)

    bad = client.submit(f"/runden/{round_.id}/code", {"code": "AAAA-BBBB-CCCC"})
    assert bad.status_code == 422 and "nicht gültig" in bad.get_data(as_text=True)
    ok = client.submit(f"/runden/{round_.id}/code", {"code": codes[0].lower().replace("-", " ")})
    assert ok.status_code == 302
    assert put(client, round_.id, ITEM, {"question": "agreement", "value": 4}).status_code == 200
    again = client.submit(f"/runden/{round_.id}/code", {"code": codes[1]})
    assert again.status_code == 302  # already verified: back to the round, nothing redeemed
    assert db.scalar(sa.select(sa.func.count()).select_from(InvitationCode)
                     .where(InvitationCode.redeemed_by_id.is_not(None))) == 1

    client.submit("/logout")
    login("bert@example.org")
    used = client.submit(f"/runden/{round_.id}/code", {"code": codes[0]})
    assert used.status_code == 422 and "bereits verwendet" in used.get_data(as_text=True)


def test_a_code_of_another_round_is_unknown(app, client, db, frozen, make_round, make_user, login):
    first, second = make_round(participation="codes"), make_round(participation="codes", title="Zweite")
    code = _codes(app, db, first, 1)[0]
    make_user()
    login()
    response = client.submit(f"/runden/{second.id}/code", {"code": code})
    assert response.status_code == 422 and "nicht gültig" in response.get_data(as_text=True)


# --- results -----------------------------------------------------------------------------------

def _rate_many(db, round_, key, values, question="agreement", verified=()):
    """Ratings of fresh participants, straight into the database."""
    from participation.accounts.models import User
    from participation.db import utcnow
    from participation.strategy.models import StrategyItem

    item = db.scalar(sa.select(StrategyItem).where(StrategyItem.version_id == round_.version_id,
                                                   StrategyItem.key == key))
    for index, value in enumerate(values):
        user = User(email=f"p{key.replace('/', '-')}{index}{question}@example.org", display_name=f"P{index}",
                    confirmed_at=utcnow())
        db.add(user)
        db.flush()
        db.add(Rating(round_id=round_.id, item_id=item.id, user_id=user.id, question=question, value=value))
        if index in verified:
            db.add(InvitationCode(round_id=round_.id, code=f"V{round_.id}-{index}-{question[:3]}",
                                  redeemed_by_id=user.id, redeemed_at=utcnow()))
    db.flush()
    # Written around the services: recount the tallies as a bulk load would.
    tallies.rebuild(db, round_.id)
    db.commit()


def test_results_hidden_until_close_except_for_admins(client, db, frozen, make_round, make_user, login):
    round_ = make_round(results="after_close")
    response = client.get(f"/api/v1/rounds/{round_.id}/results", headers={"Accept-Language": "en"})
    assert response.status_code == 403
    assert response.get_json()["error"] == {"code": "results_hidden",
                                            "message": "The results of this round are shown once it has closed."}
    assert client.get(f"/runden/{round_.id}/ergebnisse").status_code == 403
    make_user(role="admin")
    login()
    assert client.get(f"/api/v1/rounds/{round_.id}/results").status_code == 200
    assert client.get(f"/runden/{round_.id}/ergebnisse").status_code == 200


def test_results_are_computed_per_item(client, db, frozen, make_round):
    round_ = make_round(results="live", importance=True)
    _rate_many(db, round_, ITEM, [5, 5, 4, 4, 3, 2, 1, 0], verified=(0, 1, 5))
    _rate_many(db, round_, ITEM, [5, 3], question="importance")
    data = client.get(f"/api/v1/rounds/{round_.id}/results").get_json()
    assert data["participants"] == 10
    by_key = {entry["key"]: entry["questions"] for entry in data["items"]}
    agreement = by_key[ITEM]["agreement"]
    assert agreement["n"] == 8
    assert agreement["counts"] == {"0": 1, "1": 1, "2": 1, "3": 1, "4": 2, "5": 2}
    assert agreement["mean"] == pytest.approx(24 / 7, abs=1e-4)
    assert agreement["median"] == 4.0
    assert agreement["share_agree"] == pytest.approx(4 / 7, abs=1e-4)
    assert by_key[ITEM]["importance"]["median"] == 4.0  # (3 + 5) / 2
    empty = by_key["leitkoordinate-1"]["agreement"]
    assert empty == {"n": 0, "counts": {str(v): 0 for v in range(6)}, "mean": None, "median": None, "share_agree": None}

    verified = client.get(f"/api/v1/rounds/{round_.id}/results?verified=1").get_json()
    only = {entry["key"]: entry["questions"] for entry in verified["items"]}[ITEM]["agreement"]
    assert verified["participants"] == 3 and only["counts"] == {"0": 0, "1": 0, "2": 1, "3": 0, "4": 0, "5": 2}


def test_results_page_sorts_and_draws_accessible_charts(client, db, frozen, make_round):
    round_ = make_round(results="live", importance=True)
    _rate_many(db, round_, "leitkoordinate-2", [1, 1, 2])
    _rate_many(db, round_, ITEM, [5, 5, 4])
    _rate_many(db, round_, "leitkoordinate-3", [3, 3])
    html = client.get(f"/runden/{round_.id}/ergebnisse?sort=agreement").get_data(as_text=True)
    assert 'aria-sort="descending"' in html
    positions = [html.index(f'href="/runden/{round_.id}/{key}"') for key in (ITEM, "leitkoordinate-3", "leitkoordinate-2")]
    assert positions == sorted(positions)
    # A sort outside the offered ones is a broken link: 400 naming the allowed values.
    nonsense = client.get(f"/runden/{round_.id}/ergebnisse?sort=nonsense", headers={"Accept-Language": "en"})
    assert nonsense.status_code == 400
    assert "order, agreement, importance, participation" in nonsense.get_data(as_text=True)

    item_page = client.get(f"/runden/{round_.id}/{ITEM}").get_data(as_text=True)
    assert '<ul class="bars">' in item_page and "<table class=\"data-table\">" in item_page
    assert "3 Bewertungen" in item_page
    assert "stimme voll zu</th><td class=\"num\">2</td>" in item_page


# --- fixed query counts ------------------------------------------------------------------------

class QueryCounter:
    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._count)

    def _count(self, *args, **kwargs):
        self.count += 1


@pytest.mark.parametrize("path", ["/runden/{id}/" + ITEM, "/runden/{id}/ergebnisse", "/runden/{id}",
                                  "/api/v1/rounds/{id}/results"])
def test_pages_run_a_fixed_number_of_queries(app, client, db, engine, frozen, make_round, make_user, login, path):
    round_ = make_round(results="live", importance=True)
    make_user()
    login()
    url = path.format(id=round_.id)
    client.get(url)  # warm up (shows the welcome message, so the page is rendered for this person)
    client.get(url)  # and the page shared by residents is kept
    with QueryCounter(engine) as few:
        assert client.get(url).status_code == 200
    _rate_many(db, round_, ITEM, [1, 2, 3, 4, 5] * 8)
    _rate_many(db, round_, "leitkoordinate-1", [5] * 20, question="importance")
    client.get(url)  # results are cached until the ratings change: refill once
    with QueryCounter(engine) as many:
        assert client.get(url).status_code == 200
    assert many.count == few.count
    assert few.count <= 12
