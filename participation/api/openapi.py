"""The OpenAPI 3.1 description of ``/api/v1``, built from the declared endpoints (``endpoint.py``)
and the pydantic models that validate them (``models.py``): nothing here is written by hand
twice."""

from __future__ import annotations

from flask import current_app
from pydantic.json_schema import models_json_schema

from .endpoint import ENDPOINTS, Endpoint
from .models import Error

REF = "#/components/schemas/{model}"
PATH_TYPES = {"int": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}}
CSRF_HEADER = {
    "name": "X-CSRFToken", "in": "header", "required": True, "schema": {"type": "string", "minLength": 1},
    "description": "The CSRF token from the page's <meta name=\"csrf-token\">.",
}


def _ref(model) -> dict:
    return {"$ref": REF.format(model=model.__name__)}


def _answer(description: str, model=Error) -> dict:
    schema = _ref(model) if model is not None else {"type": "object"}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _parameters(declared: Endpoint) -> list[dict]:
    parameters = []
    for part in declared.rule.split("<")[1:]:
        converter, _, name = part.split(">")[0].rpartition(":")
        schema = PATH_TYPES.get(converter, {"type": "string", "minLength": 1})
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    parameters += [param.schema() for param in declared.query]
    if declared.writes:
        parameters.append(CSRF_HEADER)
    return parameters


def _responses(declared: Endpoint) -> dict:
    problems: dict[int, list[str]] = {}

    def add(status: int, text: str) -> None:
        problems.setdefault(status, []).append(text)

    if declared.query:
        add(400, "A query parameter outside its values (invalid_parameter)")
    if declared.body is not None:
        add(400, "Not a JSON object of the described shape (invalid_json)")
        add(413, "Too much data (too_large)")
        add(422, "A value the schema does not allow (the field's code, or invalid_value)")
    if declared.writes:
        add(400, "The CSRF token is missing or wrong (csrf_failed)")
    if declared.login:
        add(401, "Not logged in (not_logged_in)")
    if "<" in declared.rule:
        add(404, "Not found (not_found)")
    for status, text in declared.errors.items():
        problems[status] = [text] if status == 404 else [*problems.get(status, []), text]
    responses = {str(declared.status): _answer("Success", declared.answer)}
    responses.update({str(status): _answer("; ".join(texts)) for status, texts in sorted(problems.items())})
    return responses


def _operation(declared: Endpoint) -> dict:
    operation = {"operationId": declared.operation_id, "summary": declared.summary}
    if declared.description:
        operation["description"] = declared.description
    if parameters := _parameters(declared):
        operation["parameters"] = parameters
    if declared.body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(declared.body)}}}
    if declared.writes:
        operation["security"] = [{"session": []}]
    operation["responses"] = _responses(declared)
    return operation


def schemas() -> dict:
    """Every model the endpoints name, with the models they use, as components."""
    inputs = {e.body for e in ENDPOINTS if e.body is not None}
    answers = {e.answer for e in ENDPOINTS if e.answer is not None} | {Error}
    pairs = [(model, "validation") for model in sorted(inputs, key=lambda m: m.__name__)]
    pairs += [(model, "serialization") for model in sorted(answers, key=lambda m: m.__name__)]
    _, top = models_json_schema(pairs, ref_template=REF)
    return top["$defs"]


def document(server_url: str) -> dict:
    paths: dict[str, dict] = {}
    for declared in ENDPOINTS:
        paths.setdefault(declared.path, {})[declared.method.lower()] = _operation(declared)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Participation platform API",
            "version": "1",
            "description": (
                "Read the strategy, consultation rounds, results and discussions; rate, comment, mark "
                "comments as helpful and report them. Texts come in German and English; send "
                "Accept-Language to choose the language of error messages. Errors are "
                "{\"error\": {\"code\", \"message\"}}. Write operations use the session cookie and the "
                "CSRF token from the page's <meta name=\"csrf-token\"> in the X-CSRFToken header."
            ),
        },
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": current_app.config["SESSION_COOKIE_NAME"],
                            "description": "The session cookie of a logged-in account."},
            },
        },
    }
