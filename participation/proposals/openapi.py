"""The consolidation endpoints in the OpenAPI document: request bodies from the pydantic models
(``schemas.py``), answers described here. Kept apart from ``api/openapi.py`` and merged in by
``extend``."""

from __future__ import annotations

from .models import KINDS, OUTCOMES, PLACE_KINDS, STATES
from .schemas import schemas as request_schemas


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _body(schema: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


ERROR = _json("Error", "Refused; error.code says why")
_TEXT = {"type": "object", "properties": {"de": {"type": ["string", "null"]}, "en": {"type": ["string", "null"]}},
         "required": ["de", "en"]}
_FIGURES = {"type": ["object", "null"], "description": "Per question: n, counts (0-5), mean, median, share_agree.",
            "additionalProperties": {"type": "object", "required": ["n", "counts", "mean", "median", "share_agree"]}}

SCHEMAS = {
    "CommentOutcome": {
        "type": "object",
        "properties": {
            "code": {"type": "string", "enum": list(OUTCOMES)},
            "explanation": {"type": ["string", "null"]},
            "proposal": {"type": ["integer", "null"], "description": "The proposal whose decision gave it."},
            "explicit": {"type": "boolean", "description": "Set by a moderator (not derived from a decision)."},
            "version": {"type": ["string", "null"],
                        "description": "The published strategy version the proposal went into, e.g. 2.0."},
        },
        "required": ["code", "explanation", "proposal", "explicit", "version"],
    },
    "Proposal": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "round": {"type": "integer"},
            "kind": {"type": "string", "enum": list(KINDS)},
            "state": {"type": "string", "enum": list(STATES)},
            "item": {"type": ["string", "null"], "description": "Key of the item; null for additions."},
            "place": {"type": ["object", "null"], "properties": {
                "kind": {"type": "string", "enum": list(PLACE_KINDS)}, "parent": {"type": ["string", "null"]},
                "position": {"type": ["integer", "null"]}}},
            "title": _TEXT, "summary": _TEXT, "body": _TEXT, "rationale": _TEXT,
            "current": {"type": ["object", "null"], "description": "The item's text as it stands."},
            "author": {"type": ["string", "null"]},
            "comments": {"type": "array", "items": {"type": "integer"}},
            "evidence": {"type": "object", "properties": {
                "ratings": _FIGURES, "ratings_verified": _FIGURES,
                "analysis": {"type": ["object", "null"], "description": (
                    "The item's consensus and division figures from the round's analysis when submitted: "
                    "share_agree, ci, consensus, divisive, divided, uncertain, share_uncertain, groups.")},
                "snapshot_at": {"type": ["string", "null"], "format": "date-time"}},
                "required": ["ratings", "snapshot_at"]},
            "decision": {"type": ["object", "null"], "properties": {
                "state": {"type": "string"}, "reason": {"type": ["string", "null"]},
                "decided_at": {"type": ["string", "null"], "format": "date-time"}}},
            "url": {"type": "string", "format": "uri"},
        },
        "required": ["id", "round", "kind", "state", "item", "author", "comments", "evidence", "decision"],
    },
    "ProposalEnvelope": {"type": "object", "properties": {"proposal": _ref("Proposal")}, "required": ["proposal"]},
    "ProposalList": {"type": "object", "properties": {
        "round": {"type": "integer"}, "proposals": {"type": "array", "items": _ref("Proposal")}},
        "required": ["round", "proposals"]},
    "OutcomeAnswer": {"type": "object", "properties": {
        "comment_id": {"type": "integer"},
        "outcome": {"oneOf": [_ref("CommentOutcome"), {"type": "null"}]}}, "required": ["comment_id", "outcome"]},
    "MyComments": {"type": "object", "properties": {"comments": {"type": "array", "items": {
        "type": "object", "properties": {
            "id": {"type": "integer"}, "round": {"type": "integer"}, "item": {"type": "string"},
            "parent_id": {"type": ["integer", "null"]}, "stance": {"type": "string"}, "state": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"}, "url": {"type": "string", "format": "uri"},
            "outcome": {"oneOf": [_ref("CommentOutcome"), {"type": "null"}]}},
        "required": ["id", "round", "item", "outcome"]}}}, "required": ["comments"]},
}

_ROUND = {"name": "round_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_PROPOSAL = {"name": "proposal_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_COMMENT = {"name": "comment_id", "in": "path", "required": True, "schema": {"type": "integer"}}

PATHS = {
    "/rounds/{round_id}/proposals": {
        "get": {"operationId": "listProposals", "parameters": [_ROUND],
                "summary": "Proposals of a round: all for moderators, decided ones for everybody once published",
                "responses": {"200": _json("ProposalList", "The proposals"), "404": ERROR}},
        "post": {"operationId": "createProposal", "parameters": [_ROUND], "requestBody": _body("ProposalIn"),
                 "summary": "Write a proposal (moderators and admins); it starts as a draft",
                 "responses": {"201": _json("ProposalEnvelope", "The new proposal"), "400": ERROR, "401": ERROR,
                               "403": ERROR, "404": ERROR, "422": ERROR}},
    },
    "/proposals/{proposal_id}": {
        "get": {"operationId": "getProposal", "parameters": [_PROPOSAL], "summary": "One proposal",
                "responses": {"200": _json("ProposalEnvelope", "The proposal"), "404": ERROR}},
    },
    "/proposals/{proposal_id}/transitions": {
        "post": {"operationId": "transitionProposal", "parameters": [_PROPOSAL], "requestBody": _body("TransitionIn"),
                 "summary": "Move a proposal on: submit, recommend, request changes, decide, withdraw",
                 "responses": {"200": _json("ProposalEnvelope", "The proposal in its new state"),
                               "400": ERROR, "401": ERROR, "403": ERROR, "404": ERROR, "409": ERROR, "422": ERROR}},
    },
    "/comments/{comment_id}/outcome": {
        "put": {"operationId": "setCommentOutcome", "parameters": [_COMMENT], "requestBody": _body("OutcomeIn"),
                "summary": "Set (or with null clear) a comment's outcome (moderators and admins)",
                "responses": {"200": _json("OutcomeAnswer", "The comment's outcome now"), "400": ERROR,
                              "401": ERROR, "403": ERROR, "404": ERROR, "422": ERROR}},
    },
    "/me/comments": {
        "get": {"operationId": "myComments", "summary": "My comments with round, item, outcome and proposal",
                "responses": {"200": _json("MyComments", "My comments"), "401": ERROR}},
    },
}


def _hoist(schemas: dict[str, dict]) -> dict[str, dict]:
    """pydantic nests the models it refers to under $defs; OpenAPI wants them as components."""
    out: dict[str, dict] = {}
    for name, schema in schemas.items():
        schema = dict(schema)
        out.update(schema.pop("$defs", {}))
        out[name] = schema
    return out


def extend(spec: dict) -> dict:
    spec["paths"].update(PATHS)
    spec["components"]["schemas"].update(SCHEMAS)
    spec["components"]["schemas"].update(_hoist(request_schemas()))
    return spec
