"""Declare an API endpoint once: route, validation and its OpenAPI description in one place.

::

    @endpoint(bp, "POST", "/comments/<int:comment_id>/reports", "Report a comment",
              body=ReportInput, answer=StoredReport, status=201, login=True,
              errors={422: "own_comment, already_reported", 429: "Too many reports (rate_limited)"})
    def create_report(comment_id: int, body: ReportInput): ...

- ``method`` and ``rule`` are Flask's; the route is added to ``bp`` (a blueprint under ``/api/v1``).
- ``body``: a request model from ``models.py``. The JSON body is parsed and validated before the
  view runs (wrong content type, broken JSON, too deep, not an object, wrong types → 400
  ``invalid_json``; values the schema refuses → 422 with the model's ``value_errors`` code) and the
  view gets the model instance as ``body``.
- ``query``: ``participation.query`` parameters (``Choice``/``Text``); the view gets ``query``, a
  dict of their values. A value outside a ``Choice`` answers 400 ``invalid_parameter``.
- ``answer``: the model that documents the success answer (``status``, default 200).
- ``login``: answer 401 ``not_logged_in`` to visitors before the view runs.
- ``errors``: status → description of the answers the view itself gives. The ones that follow
  from the declaration are added to the document by themselves: 404 for routes with path
  parameters, 401 for ``login``, 400/422/413 for ``body``, 400 for ``query``, and for writes
  (every method but GET) the session-cookie security scheme, the ``X-CSRFToken`` header and 400
  ``csrf_failed`` (``CSRFProtect`` checks the header on every write).

Refusals from services (``ServiceError``) need no handling in the view: the app answers them with
their status as ``{"error": {"code", "message"}}`` (``participation.errors``). ``openapi.py``
builds the whole document from ``ENDPOINTS``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Blueprint, request
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import BaseModel, ValidationError

from ..errors import json_error
from ..query import Choice, Text

WRITES = ("POST", "PUT", "PATCH", "DELETE")
# Types of pydantic errors that mean "well-formed, but a value the schema does not allow".
VALUE_ERRORS = {
    "literal_error", "enum", "greater_than", "greater_than_equal", "less_than", "less_than_equal",
    "string_too_short", "string_too_long", "string_pattern_mismatch", "too_short", "too_long",
}


@dataclass
class Endpoint:
    method: str
    rule: str
    summary: str
    body: type[BaseModel] | None = None
    answer: type[BaseModel] | None = None
    status: int = 200
    query: tuple[Choice | Text, ...] = ()
    login: bool = False
    errors: dict[int, str] = field(default_factory=dict)
    description: str = ""
    operation_id: str = ""
    prefix: str = "/api/v1"  # the blueprint's url_prefix

    @property
    def url_rule(self) -> str:
        """The Flask rule as the app matches it."""
        return self.prefix + self.rule

    @property
    def writes(self) -> bool:
        return self.method in WRITES

    @property
    def path(self) -> str:
        """The OpenAPI path below the server URL ``/api/v1``: ``<int:round_id>`` becomes ``{round_id}``."""
        return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", self.url_rule.removeprefix("/api/v1"))


ENDPOINTS: list[Endpoint] = []


def endpoint(bp: Blueprint, method: str, rule: str, summary: str, *, body: type[BaseModel] | None = None,
             answer: type[BaseModel] | None = None, status: int = 200, query: tuple[Choice | Text, ...] = (),
             login: bool = False, errors: dict[int, str] | None = None, description: str = "") -> Callable:
    """Add the view as ``method rule`` to ``bp`` and to the API's description (see the module)."""

    def decorate(view: Callable) -> Callable:
        declared = Endpoint(method, rule, summary, body, answer, status, query, login, dict(errors or {}),
                            description, _camel(view.__name__), bp.url_prefix or "")
        ENDPOINTS.append(declared)

        @functools.wraps(view)
        def wrapper(**kwargs):
            if login and not current_user.is_authenticated:
                return json_error(401, "not_logged_in", _("Please log in first."))
            if query:
                kwargs["query"] = {param.name: param.read(request.args) for param in query}
            if body is not None:
                parsed = read_body(body)
                if not isinstance(parsed, BaseModel):
                    return parsed
                kwargs["body"] = parsed
            return view(**kwargs)

        bp.add_url_rule(rule, view.__name__, wrapper, methods=[method])
        return wrapper

    return decorate


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


def read_body(model: type[BaseModel]):
    """The request's JSON body as ``model``, or the error answer."""
    if request.mimetype != "application/json":
        return json_error(400, "invalid_json", _("Send the data as JSON (Content-Type: application/json)."))
    try:
        # pydantic's own parser: invalid UTF-8, lone surrogates and nesting beyond its limit are
        # errors, never a RecursionError; integers of any size arrive as Python ints.
        return model.model_validate_json(request.get_data(cache=True))
    except ValidationError as error:
        return _refusal(model, error.errors(include_url=False, include_context=True))


def _refusal(model: type[BaseModel], problems: list[dict]):
    for problem in problems:
        if problem["type"] == "json_invalid":
            return json_error(400, "invalid_json", _("The data sent is not valid JSON."))
        if problem["type"] in ("model_type", "model_attributes_type") and not problem["loc"]:
            return json_error(400, "invalid_json", _("Send a JSON object."))
    for problem in problems:
        name = ".".join(str(part) for part in problem["loc"]) or "body"
        if problem["type"] == "missing":
            return json_error(400, "invalid_json", _("“%(name)s” is missing.", name=name))
        if problem["type"] == "extra_forbidden":
            return json_error(400, "invalid_json", _("“%(name)s” is not expected here.", name=name))
        if problem["type"] not in VALUE_ERRORS or (
                problem["type"] == "literal_error" and not isinstance(problem.get("input"), str)):
            return json_error(400, "invalid_json", _("“%(name)s” has the wrong type.", name=name))
    problem = problems[0]
    name = str(problem["loc"][0])
    known = model.value_errors.get(f"{name}:{problem['type']}") or model.value_errors.get(name)
    if known:
        code, message = known
        return json_error(422, code, str(message))
    return json_error(422, "invalid_value", _("“%(name)s” has a value that is not allowed.", name=name))
