"""The consolidation in the JSON API: status codes, shapes and who sees what."""

from __future__ import annotations

import json

import pytest

from participation.proposals import services
from participation.rounds import services as rounds

from .proposal_support import ADMIN, ITEM, MOD, OTHER_MOD, add_comment
from .test_api import schema_validator


@pytest.fixture
def people(make_user):
    return {
        "anna": make_user("anna@example.org", "Anna", language="en"),
        "mod": make_user(MOD, "Moritz", role="moderator", language="en"),
        "mod2": make_user(OTHER_MOD, "Mira", role="moderator", language="en"),
        "admin": make_user(ADMIN, "Amt", role="admin", language="en"),
    }


def call(client, method, path, payload=None):
    return client.open(path, method=method, data=json.dumps(payload) if payload is not None else None,
                       content_type="application/json", headers={"X-CSRFToken": client.csrf_token()})


def as_(client, login, email):
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    assert login(email).status_code == 302


def new_proposal(comments=()):
    return {"kind": "amend", "item": ITEM, "title": {"de": "Sichere Radwege", "en": "Safe cycle lanes"},
            "summary": {"de": None, "en": None}, "body": {"de": "Mehr Radwege in allen Stadtteilen."},
            "rationale": {"de": "Viele wünschen Radwege."}, "comments": list(comments)}


def test_the_whole_loop_through_the_api(client, db, frozen, make_round, people, login):
    round_ = make_round("consolidation")
    comment = add_comment(db, round_, people["anna"])
    as_(client, login, MOD)
    created = call(client, "POST", f"/api/v1/rounds/{round_.id}/proposals", new_proposal([comment.id]))
    assert created.status_code == 201, created.get_json()
    proposal = created.get_json()["proposal"]
    assert proposal["state"] == "draft" and proposal["kind"] == "amend" and proposal["item"] == ITEM
    assert proposal["comments"] == [comment.id] and proposal["author"] == "Moritz"
    assert proposal["evidence"] == {"ratings": None, "ratings_verified": None, "analysis": None,
                                    "snapshot_at": None}
    assert proposal["decision"] is None
    pid = proposal["id"]
    url = f"/api/v1/proposals/{pid}/transitions"

    submitted = call(client, "POST", url, {"to": "in_review"}).get_json()["proposal"]
    assert submitted["state"] == "in_review"
    figures = submitted["evidence"]["ratings"]["agreement"]
    assert set(figures) == {"n", "counts", "mean", "median", "share_agree"} and figures["n"] == 0
    assert submitted["evidence"]["snapshot_at"]

    own = call(client, "POST", url, {"to": "recommended"})
    assert own.status_code == 403 and own.get_json()["error"]["code"] == "not_allowed"
    assert call(client, "POST", url, {"to": "accepted", "reason": "x"}).status_code == 409

    as_(client, login, OTHER_MOD)
    assert call(client, "POST", url, {"to": "recommended"}).status_code == 200
    assert call(client, "POST", url, {"to": "accepted", "reason": "x"}).status_code == 403

    as_(client, login, ADMIN)
    missing = call(client, "POST", url, {"to": "accepted", "reason": ""})
    assert missing.status_code == 422 and missing.get_json()["error"]["code"] == "reason_required"
    decided = call(client, "POST", url, {"to": "accepted", "reason": "Passt."})
    assert decided.status_code == 200
    assert decided.get_json()["proposal"]["decision"]["state"] == "accepted"
    assert decided.get_json()["proposal"]["decision"]["reason"] == "Passt."

    # Comments carry their outcome for the administration now, for the public once published.
    comments_url = f"/api/v1/rounds/{round_.id}/items/{ITEM}/comments"
    outcome = client.get(comments_url).get_json()["comments"][0]["outcome"]
    assert outcome == {"code": "incorporated", "explanation": "Passt.", "proposal": pid, "explicit": False,
                       "version": None}
    as_(client, login, "anna@example.org")
    assert client.get(comments_url).get_json()["comments"][0]["outcome"] is None
    assert client.get(f"/api/v1/rounds/{round_.id}/proposals").get_json()["proposals"] == []
    assert client.get(f"/api/v1/proposals/{pid}").status_code == 404
    mine = client.get("/api/v1/me/comments").get_json()["comments"]
    assert mine[0]["id"] == comment.id and mine[0]["item"] == ITEM and mine[0]["outcome"] is None

    with client.application.test_request_context(method="POST"):
        rounds.advance(db, db.get(type(round_), round_.id), people["admin"])
    db.commit()
    assert client.get(comments_url).get_json()["comments"][0]["outcome"]["code"] == "incorporated"
    mine = client.get("/api/v1/me/comments").get_json()["comments"]
    assert mine[0]["outcome"]["proposal"] == pid
    public = client.get(f"/api/v1/proposals/{pid}").get_json()["proposal"]
    assert public["state"] == "accepted" and "review_note" not in public
    assert [p["id"] for p in client.get(f"/api/v1/rounds/{round_.id}/proposals").get_json()["proposals"]] == [pid]
    for comment_json in client.get(comments_url).get_json()["comments"]:
        schema_validator("CommentThread").validate(comment_json)


def test_only_decided_proposals_are_public_after_publication(client, db, frozen, make_round, people, login):
    round_ = make_round("consolidation")
    with client.application.test_request_context(method="POST"):
        draft = services.create_proposal(db, round_, people["mod"], services.ProposalData(
            kind="keep", item_key=ITEM, rationale_de="Breite Zustimmung"))
        decided = services.create_proposal(db, round_, people["mod"], services.ProposalData(
            kind="keep", item_key=ITEM, rationale_de="Breite Zustimmung"))
        services.transition(db, decided, people["mod"], "in_review")
        services.transition(db, decided, people["mod2"], "recommended")
        services.transition(db, decided, people["admin"], "deferred", "Für Version 3")
        rounds.advance(db, round_, people["admin"])
    db.commit()
    listed = client.get(f"/api/v1/rounds/{round_.id}/proposals").get_json()["proposals"]
    assert [p["id"] for p in listed] == [decided.id]
    assert client.get(f"/api/v1/proposals/{draft.id}").status_code == 404
    as_(client, login, MOD)
    listed = client.get(f"/api/v1/rounds/{round_.id}/proposals").get_json()["proposals"]
    assert {p["id"] for p in listed} == {draft.id, decided.id}


@pytest.mark.parametrize(("payload", "status", "code"), [
    ({"kind": "amend"}, 400, "invalid_json"),
    ({"kind": "wish", "rationale": {"de": "x"}}, 422, "unknown_kind"),  # a value outside the enum, as in every endpoint()
    ({"kind": "keep", "item": ITEM, "rationale": {"de": "x"}, "comments": ["1"]}, 400, "invalid_json"),
    ({"kind": "keep", "item": ITEM, "rationale": {"de": "x"}, "extra": 1}, 400, "invalid_json"),
    ({"kind": "keep", "item": ITEM, "rationale": {"de": ""}}, 422, "rationale_required"),
    ({"kind": "keep", "item": "nope", "rationale": {"de": "x"}}, 422, "unknown_item"),
    ({"kind": "keep", "item": ITEM, "rationale": {"de": "x"}, "comments": [987654]}, 422, "comment_not_in_round"),
])
def test_bad_proposals_are_refused(client, db, frozen, make_round, people, login, payload, status, code):
    round_ = make_round("consolidation")
    as_(client, login, MOD)
    response = call(client, "POST", f"/api/v1/rounds/{round_.id}/proposals", payload)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code


def test_who_may_write(client, db, frozen, make_round, people, login):
    round_ = make_round("consolidation")
    path = f"/api/v1/rounds/{round_.id}/proposals"
    assert call(client, "POST", path, new_proposal()).status_code == 401
    as_(client, login, "anna@example.org")
    assert call(client, "POST", path, new_proposal()).status_code == 403
    comment = add_comment(db, round_, people["anna"])
    outcome = call(client, "PUT", f"/api/v1/comments/{comment.id}/outcome", {"outcome": "noted", "explanation": "x"})
    assert outcome.status_code == 403
    no_csrf = client.post(path, data=json.dumps(new_proposal()), content_type="application/json")
    assert no_csrf.status_code == 400


def test_outcome_endpoint(client, db, frozen, make_round, people, login):
    round_ = make_round("consolidation")
    comment = add_comment(db, round_, people["anna"])
    as_(client, login, MOD)
    path = f"/api/v1/comments/{comment.id}/outcome"
    response = call(client, "PUT", path, {"outcome": "noted", "explanation": "Danke für das Lob."})
    assert response.status_code == 200
    assert response.get_json() == {"comment_id": comment.id, "outcome": {
        "code": "noted", "explanation": "Danke für das Lob.", "proposal": None, "explicit": True, "version": None}}
    unknown = call(client, "PUT", path, {"outcome": "great", "explanation": "x"})
    assert unknown.status_code == 422 and unknown.get_json()["error"]["code"] == "unknown_outcome"
    assert call(client, "PUT", path, {"outcome": "noted", "explanation": ""}).status_code == 422
    assert call(client, "PUT", path, {"outcome": None}).get_json()["outcome"] is None
    assert call(client, "PUT", "/api/v1/comments/999999/outcome", {"outcome": None}).status_code == 404


def test_my_comments_needs_login(client):
    response = client.get("/api/v1/me/comments")
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "not_logged_in"


def test_openapi_describes_the_request_bodies(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    assert schemas["ProposalIn"]["properties"]["kind"]["enum"] == ["amend", "add", "remove", "keep"]
    assert "ProposalText" in schemas and "ProposalPlace" in schemas
    assert schemas["LocalizedText"]["required"] == ["de", "en"]  # the strategy's own, untouched
    assert spec["paths"]["/proposals/{proposal_id}/transitions"]["post"]["requestBody"]
