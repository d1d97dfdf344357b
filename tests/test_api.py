"""The read-only JSON API and its OpenAPI document."""

from __future__ import annotations

import re

import jsonschema
import pytest
from openapi_spec_validator import validate

from participation.api.openapi import schemas


def schema_validator(name: str) -> jsonschema.protocols.Validator:
    """Validate against a component schema, resolving its $refs inside the document."""
    root = {"components": {"schemas": schemas()}, "$ref": f"#/components/schemas/{name}"}
    return jsonschema.Draft202012Validator(root, format_checker=jsonschema.FormatChecker())


def test_openapi_document_is_valid_and_describes_every_route(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    validate(spec)
    documented = set(spec["paths"])
    routes = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1")
    }
    assert routes == documented
    # Every method of every route is documented too.
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert method.lower() in spec["paths"][path], (method, path)


def test_current_strategy_as_a_tree(client):
    response = client.get("/api/v1/strategy")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    data = response.get_json()
    schema_validator("StrategyVersion").validate(data)
    assert data["version"] == "1.0"
    assert data["vision"]["key"] == "vision" and data["mission"]["key"] == "leitbild"
    assert len(data["coordinates"]) == 8
    assert [f["key"] for f in data["fields"]][:2] == ["umwelt-energie-klima", "mobilitaet-verkehr"]
    target = data["fields"][1]["targets"][1]
    assert target["key"] == "mobilitaet-verkehr/zielbild-2"
    assert target["kind"] == "target" and target["example"] is True
    assert target["url"].endswith("/strategie/versionen/1.0/mobilitaet-verkehr/zielbild-2")
    assert target["title"]["de"] and target["title"]["en"]
    assert "targets" not in target


def test_version_by_number(client):
    data = client.get("/api/v1/strategy/versions/1.0").get_json()
    schema_validator("StrategyVersion").validate(data)
    assert data["title"]["de"] == "Smart City Strategie 1.0"


@pytest.mark.parametrize("path", ["/api/v1/strategy/versions/7.0", "/api/v1/nothing-here"])
def test_unknown_is_json_404_in_the_users_language(client, path):
    response = client.get(path, headers={"Accept-Language": "en"})
    assert response.status_code == 404
    body = response.get_json()
    schema_validator("Error").validate(body)
    assert body["error"]["code"] == "not_found"
    assert body["error"]["message"] == "This page does not exist."
    german = client.get(path, headers={"Accept-Language": "de-DE"}).get_json()
    assert german["error"]["message"] == "Diese Seite gibt es nicht."


def test_api_refuses_writes(client):
    response = client.post("/api/v1/strategy", headers={"X-CSRFToken": client.csrf_token()})
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
