"""One schema layer for the JSON API: bodies validated by the models the document is built from,
hostile JSON refused cleanly, enum-like query parameters refused with the allowed values, and the
same 404 for out-of-range ids whatever the method."""

from __future__ import annotations

import json

import pytest
from openapi_spec_validator import validate

from participation.api import models
from participation.api.endpoint import ENDPOINTS
from participation.comments.services import CommentError
from participation.moderation.services import ModerationError
from participation.rounds.services import RoundError
from participation.service_errors import ServiceError

from .conftest import PASSWORD
from .test_api import schema_validator

ITEM = "mobilitaet-verkehr/zielbild-2"
EN = {"Accept-Language": "en"}


@pytest.fixture
def resident(client, make_user, login):
    make_user(language="en")
    login()
    return client


def send(client, method, path, raw: bytes | str, content_type="application/json", **headers):
    return client.open(path, method=method, data=raw, content_type=content_type,
                       headers={"X-CSRFToken": client.csrf_token(), **EN, **headers})


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.get_json()
    schema_validator("Error").validate(body)
    assert "Traceback" not in body["error"]["message"]
    return body["error"]


# --- the document -----------------------------------------------------------------------------

def test_document_schemas_come_from_the_models(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    validate(spec)
    generated = models.CommentInput.model_json_schema(ref_template="#/components/schemas/{model}")
    assert spec["components"]["schemas"]["CommentInput"] == generated
    body = spec["components"]["schemas"]["CommentInput"]["properties"]["body"]
    assert body["minLength"] == 1 and body["maxLength"] == 3000
    assert "$defs" not in json.dumps(spec)


def test_a_round_answer_matches_the_round_schema(client, frozen, make_round):
    """Round was allOf RoundSummary (additionalProperties false) plus items: nothing could match."""
    round_ = make_round()
    data = client.get(f"/api/v1/rounds/{round_.id}").get_json()
    schema_validator("Round").validate(data)
    schema_validator("RoundSummary").validate({k: v for k, v in data.items() if k != "items"})


def test_every_write_declares_the_session_and_the_csrf_header(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["components"]["securitySchemes"]["session"]["in"] == "cookie"
    writes = [(path, method, op) for path, ops in spec["paths"].items() for method, op in ops.items()
              if method != "get"]
    assert len(writes) >= 5
    for path, method, operation in writes:
        assert operation["security"] == [{"session": []}], (path, method)
        header = next(p for p in operation["parameters"] if p["in"] == "header")
        assert header["name"] == "X-CSRFToken" and header["required"] is True
        assert {"400", "401"} <= set(operation["responses"]), (path, method)
    post = spec["paths"]["/rounds/{round_id}/items/{key}/comments"]["post"]["responses"]
    assert {"201", "400", "401", "403", "404", "413", "422", "429"} <= set(post)


def test_enum_query_parameters_are_documented(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    listing = {p["name"]: p for p in spec["paths"]["/rounds/{round_id}/items/{key}/comments"]["get"]["parameters"]}
    assert listing["sort"]["schema"]["enum"] == ["newest", "oldest", "helpful"]
    assert listing["stance"]["schema"]["enum"] == ["support", "criticism", "suggestion", "question"]
    results = spec["paths"]["/rounds/{round_id}/results"]["get"]["parameters"]
    assert next(p for p in results if p["name"] == "verified")["schema"]["enum"] == ["0", "1"]


def test_every_api_route_is_declared_once():
    declared = [(e.method, e.rule) for e in ENDPOINTS]
    assert len(declared) == len(set(declared))


# --- out-of-range ids -------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("round_id", [2**31, 2**64, 10**30])
def test_out_of_range_ids_are_404_for_every_method(resident, method, round_id):
    """The converter refused before the method was matched: POST answered 405, GET 404."""
    response = send(resident, method, f"/api/v1/rounds/{round_id}/items/{ITEM}/comments",
                    json.dumps({"body": "Hallo", "stance": "support"}))
    assert error_of(response, 404)["code"] == "not_found"
    assert resident.post(f"/runden/{round_id}/beitraege/1/melden").status_code == 404


# --- enum query parameters --------------------------------------------------------------------

@pytest.mark.parametrize(("query", "allowed"), [
    ("sort=foo", "newest, oldest, helpful"),
    ("stance=foo", "support, criticism, suggestion, question"),
    ("sort=", "newest, oldest, helpful"),
])
def test_api_query_values_outside_their_enum_are_400(client, frozen, make_round, query, allowed):
    round_ = make_round()
    response = client.get(f"/api/v1/rounds/{round_.id}/items/{ITEM}/comments?{query}", headers=EN)
    error = error_of(response, 400)
    assert error["code"] == "invalid_parameter" and allowed in error["message"]
    german = client.get(f"/api/v1/rounds/{round_.id}/items/{ITEM}/comments?{query}",
                        headers={"Accept-Language": "de"}).get_json()["error"]["message"]
    assert german != error["message"] and allowed in german


def test_verified_outside_its_enum_is_400(client, frozen, make_round):
    round_ = make_round(results="live")
    error = error_of(client.get(f"/api/v1/rounds/{round_.id}/results?verified=yes", headers=EN), 400)
    assert error["code"] == "invalid_parameter" and "0, 1" in error["message"]
    assert client.get(f"/api/v1/rounds/{round_.id}/results?verified=1").status_code == 200


@pytest.mark.parametrize("query", ["sort=foo", "stance=foo"])
def test_item_page_filters_follow_the_same_rule(client, frozen, make_round, query):
    round_ = make_round()
    response = client.get(f"/runden/{round_.id}/{ITEM}?{query}", headers=EN)
    assert response.status_code == 400
    assert "must be one of" in response.get_data(as_text=True)
    assert client.get(f"/runden/{round_.id}/{ITEM}?sort=&stance=").status_code == 200


# --- hostile JSON -----------------------------------------------------------------------------

HOSTILE_BODIES = [
    pytest.param(b'{"body": "\\ud800", "stance": "support"}', 400, id="lone-surrogate"),
    pytest.param(b'{"body": "a\\udfff", "stance": "support"}', 400, id="lone-low-surrogate"),
    pytest.param(b"[" * 100_000 + b"]" * 100_000, 400, id="nested-100000-lists"),
    pytest.param(b'{"body": ' + b'{"a": ' * 100_000 + b"1" + b"}" * 100_000 + b"}", 400, id="nested-objects"),
    # A parent id beyond 64 bits cannot exist: answered like any missing parent (parent_not_found).
    pytest.param(b'{"body": "Hallo", "stance": "support", "parent_id": 1' + b"0" * 30 + b"}", 404, id="int-100-bit"),
    pytest.param(b'{"body": "Hallo", "stance": "support", "parent_id": -1' + b"0" * 30 + b"}", 404, id="int-negative"),
    pytest.param(b'{"body": "Hallo", "stance": "support", "parent_id": 1e400}', 400, id="float-overflow"),
    pytest.param(b'"just a string"', 400, id="not-an-object"),
    pytest.param(b"[1, 2]", 400, id="a-list"),
    pytest.param(b"null", 400, id="null"),
    pytest.param(b"", 400, id="empty"),
    pytest.param(b'{"body": "\xff\xfe", "stance": "support"}', 400, id="invalid-utf8"),
    pytest.param(b'{"body": "Hallo", "stance": "support", "extra": 1}', 400, id="unknown-key"),
    pytest.param(b'{"body": "Hallo", "stance": "support"', 400, id="truncated"),
    pytest.param(b'{"body": "Hallo", "body": 5, "stance": "support"}', 400, id="duplicate-key"),
]


@pytest.mark.parametrize(("raw", "status"), HOSTILE_BODIES)
def test_hostile_json_is_a_clear_4xx(resident, frozen, make_round, make_user, client, raw, status):
    round_ = make_round()
    response = send(resident, "POST", f"/api/v1/rounds/{round_.id}/items/{ITEM}/comments", raw)
    error = error_of(response, status)
    assert error["code"] in ("invalid_json", "parent_not_found")
    # The same answer for someone who reads German (the account's language decides).
    resident.post("/logout", data={"csrf_token": resident.csrf_token()})
    make_user("bert@example.org", "Bert", language="de")
    resident.post("/login", data={"email": "bert@example.org", "password": PASSWORD,
                                  "csrf_token": resident.csrf_token()})
    german = send(resident, "POST", f"/api/v1/rounds/{round_.id}/items/{ITEM}/comments", raw).get_json()["error"]
    assert german["code"] == error["code"] and german["message"] != error["message"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"])
def test_wrong_content_type_is_400(resident, frozen, make_round, content_type):
    round_ = make_round()
    response = send(resident, "POST", f"/api/v1/rounds/{round_.id}/items/{ITEM}/comments",
                    json.dumps({"body": "Hallo", "stance": "support"}), content_type=content_type)
    assert error_of(response, 400)["code"] == "invalid_json"


@pytest.mark.parametrize("raw", [
    b'{"question": "agreement", "value": 1' + b"0" * 25 + b"}",
    b'{"question": "agreement", "value": 3, "nested": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
    b'{"question": "\\ud834", "value": 3}',
])
def test_hostile_json_on_the_rating(resident, frozen, make_round, raw):
    round_ = make_round()
    response = send(resident, "PUT", f"/api/v1/rounds/{round_.id}/items/{ITEM}/rating", raw)
    assert response.status_code in (400, 422)
    error_of(response, response.status_code)


def test_report_text_too_long_and_reason_keep_their_codes(resident, frozen, make_round, make_user, db):
    import sqlalchemy as sa

    from participation.comments.services import post_comment
    from participation.strategy.models import StrategyItem

    round_ = make_round()
    author = make_user(email="bert@example.org", name="Bert")
    item = db.scalar(sa.select(StrategyItem).where(StrategyItem.key == ITEM, StrategyItem.version_id == round_.version_id))
    with resident.application.test_request_context():
        comment = post_comment(db, round_, item, author, "Ein Beitrag", "support")
    db.commit()
    path = f"/api/v1/comments/{comment.id}/reports"
    assert error_of(send(resident, "POST", path, json.dumps({"reason": "laut"})), 422)["code"] == "unknown_reason"
    long = json.dumps({"reason": "other", "text": "x" * 1001})
    assert error_of(send(resident, "POST", path, long), 422)["code"] == "text_too_long"
    assert error_of(send(resident, "POST", path, json.dumps({"reason": 5})), 400)["code"] == "invalid_json"


# --- one shape for refusals -------------------------------------------------------------------

def test_service_errors_share_one_base():
    for cls in (RoundError, CommentError, ModerationError):
        error = cls("some_code", "A message")
        assert isinstance(error, ServiceError)
        assert (error.code, error.message, error.status) == ("some_code", "A message", 422)
    assert RoundError("round_not_open", "closed").status == 403
    assert CommentError("gone", "gone", 404).status == 404


def test_the_api_modules_import_no_private_helpers():
    """comments.py imported _require_login and _visible_round from rounds.py, which imported it back."""
    from pathlib import Path

    import participation.api as api

    folder = Path(api.__file__).parent
    for module in ("comments.py", "rounds.py", "views.py"):
        source = (folder / module).read_text()
        assert "import _" not in source and "from .rounds" not in source and "from .comments" not in source, module
