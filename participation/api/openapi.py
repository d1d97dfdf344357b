"""The OpenAPI 3.1 description of ``/api/v1``. Extend it with every new endpoint."""

from __future__ import annotations


def _localized(nullable: bool = False) -> dict:
    text = {"type": ["string", "null"]} if nullable else {"type": "string"}
    return {
        "type": "object",
        "description": "German text and its English translation (German when not translated).",
        "properties": {"de": text, "en": text},
        "required": ["de", "en"],
        "additionalProperties": False,
    }


SCHEMAS = {
    "LocalizedText": _localized(),
    "OptionalLocalizedText": _localized(nullable=True),
    "Item": {
        "type": "object",
        "properties": {
            "key": {"type": "string", "description": "Stable across versions, e.g. mobilitaet-verkehr/zielbild-2"},
            "kind": {"type": "string", "enum": ["vision", "mission", "coordinate", "field", "target"]},
            "position": {"type": "integer", "minimum": 0},
            "example": {"type": "boolean", "description": "Example content, not adopted text."},
            "title": {"$ref": "#/components/schemas/LocalizedText"},
            "summary": {"$ref": "#/components/schemas/OptionalLocalizedText"},
            "body": {"$ref": "#/components/schemas/OptionalLocalizedText"},
            "url": {"type": "string", "format": "uri"},
            "targets": {
                "type": "array",
                "description": "Only for fields: their target pictures.",
                "items": {"$ref": "#/components/schemas/Item"},
            },
        },
        "required": ["key", "kind", "position", "example", "title", "summary", "body", "url"],
        "additionalProperties": False,
    },
    "StrategyVersion": {
        "type": "object",
        "properties": {
            "version": {"type": "string", "examples": ["1.0"]},
            "state": {"type": "string", "enum": ["draft", "published"]},
            "title": {"$ref": "#/components/schemas/LocalizedText"},
            "adopted_on": {"type": ["string", "null"], "format": "date"},
            "published_at": {"type": ["string", "null"], "format": "date-time"},
            "url": {"type": "string", "format": "uri"},
            "vision": {"oneOf": [{"$ref": "#/components/schemas/Item"}, {"type": "null"}]},
            "mission": {"oneOf": [{"$ref": "#/components/schemas/Item"}, {"type": "null"}]},
            "coordinates": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
            "fields": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
        },
        "required": [
            "version", "state", "title", "adopted_on", "published_at", "url",
            "vision", "mission", "coordinates", "fields",
        ],
        "additionalProperties": False,
    },
    "RoundSummary": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "title": {"$ref": "#/components/schemas/LocalizedText"},
            "description": {"$ref": "#/components/schemas/OptionalLocalizedText"},
            "state": {"type": "string", "enum": ["draft", "open", "closed", "consolidation", "published"]},
            "version": {"type": "string", "description": "Number of the strategy version the round asks about."},
            "opens_at": {"type": "string", "format": "date-time"},
            "closes_at": {"type": "string", "format": "date-time"},
            "questions": {"type": "array", "items": {"type": "string", "enum": ["agreement", "importance"]}},
            "results_visibility": {"type": "string", "enum": ["live", "after_close"]},
            "participation": {
                "type": "string", "enum": ["accounts", "codes"],
                "description": "accounts: any confirmed account; codes: only with a redeemed invitation code.",
            },
            "url": {"type": "string", "format": "uri"},
        },
        "required": ["id", "title", "description", "state", "version", "opens_at", "closes_at", "questions",
                     "results_visibility", "participation", "url"],
        "additionalProperties": False,
    },
    "Round": {
        "allOf": [{"$ref": "#/components/schemas/RoundSummary"}],
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "description": "The items in scope, in reading order.",
                "items": {
                    "type": "object",
                    "properties": {
                        "key": {"type": "string"},
                        "kind": {"type": "string", "enum": ["coordinate", "target"]},
                        "title": {"$ref": "#/components/schemas/LocalizedText"},
                        "field": {"type": ["string", "null"], "description": "Key of the target's field."},
                        "url": {"type": "string", "format": "uri"},
                    },
                    "required": ["key", "kind", "title", "field", "url"],
                    "additionalProperties": False,
                },
            },
        },
        "required": ["items"],
    },
    "RoundList": {
        "type": "object",
        "properties": {"rounds": {"type": "array", "items": {"$ref": "#/components/schemas/RoundSummary"}}},
        "required": ["rounds"],
        "additionalProperties": False,
    },
    "QuestionResult": {
        "type": "object",
        "description": (
            "n counts every rating including 'no answer' (value 0); mean, median and share_agree "
            "(share of 4 and 5) are over the answers 1–5 only and null without any."
        ),
        "properties": {
            "n": {"type": "integer", "minimum": 0},
            "counts": {
                "type": "object",
                "properties": {str(v): {"type": "integer", "minimum": 0} for v in range(6)},
                "required": [str(v) for v in range(6)],
                "additionalProperties": False,
            },
            "mean": {"type": ["number", "null"]},
            "median": {"type": ["number", "null"]},
            "share_agree": {"type": ["number", "null"]},
        },
        "required": ["n", "counts", "mean", "median", "share_agree"],
        "additionalProperties": False,
    },
    "RoundResults": {
        "type": "object",
        "properties": {
            "round": {"type": "integer"},
            "verified_only": {"type": "boolean"},
            "participants": {"type": "integer", "minimum": 0},
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "key": {"type": "string"},
                        "questions": {
                            "type": "object",
                            "properties": {
                                "agreement": {"$ref": "#/components/schemas/QuestionResult"},
                                "importance": {"$ref": "#/components/schemas/QuestionResult"},
                            },
                            "required": ["agreement"],
                            "additionalProperties": False,
                        },
                    },
                    "required": ["key", "questions"],
                    "additionalProperties": False,
                },
            },
        },
        "required": ["round", "verified_only", "participants", "items"],
        "additionalProperties": False,
    },
    "MyRatings": {
        "type": "object",
        "properties": {
            "round": {"type": "integer"},
            "verified": {"type": "boolean", "description": "Whether the participant redeemed an invitation code."},
            "ratings": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "key": {"type": "string"},
                        "question": {"type": "string", "enum": ["agreement", "importance"]},
                        "value": {"type": "integer", "minimum": 0, "maximum": 5},
                    },
                    "required": ["key", "question", "value"],
                    "additionalProperties": False,
                },
            },
        },
        "required": ["round", "verified", "ratings"],
        "additionalProperties": False,
    },
    "RatingInput": {
        "type": "object",
        "properties": {
            "question": {"type": "string", "enum": ["agreement", "importance"]},
            "value": {
                "type": ["integer", "null"], "minimum": 0, "maximum": 5,
                "description": "1–5 on the scale, 0 for 'no answer', null to withdraw the rating.",
            },
        },
        "required": ["question", "value"],
        "additionalProperties": False,
    },
    "StoredRating": {
        "type": "object",
        "properties": {
            "round": {"type": "integer"},
            "key": {"type": "string"},
            "question": {"type": "string", "enum": ["agreement", "importance"]},
            "value": {"type": ["integer", "null"], "minimum": 0, "maximum": 5},
            "message": {"type": "string", "description": "Confirmation in the user's language."},
        },
        "required": ["round", "key", "question", "value", "message"],
        "additionalProperties": False,
    },
    "Error": {
        "type": "object",
        "properties": {
            "error": {
                "type": "object",
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string", "description": "In the user's language."},
                },
                "required": ["code", "message"],
                "additionalProperties": False,
            }
        },
        "required": ["error"],
        "additionalProperties": False,
    },
}


def _json(schema: str, description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


NOT_FOUND = _json("Error", "Not found")
ROUND_ID = {"name": "round_id", "in": "path", "required": True, "schema": {"type": "integer"}}
ITEM_KEY = {
    "name": "key", "in": "path", "required": True, "schema": {"type": "string"},
    "description": "Item key; may contain a slash, e.g. mobilitaet-verkehr/zielbild-2",
}


def document(server_url: str) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Participation platform API",
            "version": "1",
            "description": (
                "Read the strategy and (from later versions) consultation rounds and results. "
                "Texts come in German and English; send Accept-Language to choose the language "
                "of error messages. Write operations use the session cookie and the CSRF token "
                "from the page's <meta name=\"csrf-token\"> in the X-CSRFToken header."
            ),
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/strategy": {
                "get": {
                    "operationId": "getCurrentStrategy",
                    "summary": "The current published strategy version as a tree",
                    "responses": {
                        "200": _json("StrategyVersion", "The strategy"),
                        "404": NOT_FOUND,
                    },
                }
            },
            "/strategy/versions/{version}": {
                "get": {
                    "operationId": "getStrategyVersion",
                    "summary": "One strategy version by its number",
                    "parameters": [
                        {
                            "name": "version", "in": "path", "required": True,
                            "schema": {"type": "string"}, "example": "1.0",
                        }
                    ],
                    "responses": {
                        "200": _json("StrategyVersion", "The strategy version"),
                        "404": NOT_FOUND,
                    },
                }
            },
            "/rounds": {
                "get": {
                    "operationId": "listRounds",
                    "summary": "Consultation rounds (drafts only for the administration)",
                    "responses": {"200": _json("RoundList", "The rounds, newest first")},
                }
            },
            "/rounds/{round_id}": {
                "get": {
                    "operationId": "getRound",
                    "summary": "One round: state, dates, questions and the items in scope",
                    "parameters": [ROUND_ID],
                    "responses": {"200": _json("Round", "The round"), "404": NOT_FOUND},
                }
            },
            "/rounds/{round_id}/results": {
                "get": {
                    "operationId": "getRoundResults",
                    "summary": "Results per item and question",
                    "parameters": [
                        ROUND_ID,
                        {"name": "verified", "in": "query", "required": False,
                         "schema": {"type": "string", "enum": ["0", "1"]},
                         "description": "1: only participants who redeemed an invitation code"},
                    ],
                    "responses": {
                        "200": _json("RoundResults", "The results"),
                        "403": _json("Error", "Results are hidden until the round closes (code results_hidden)"),
                        "404": NOT_FOUND,
                    },
                }
            },
            "/rounds/{round_id}/my-ratings": {
                "get": {
                    "operationId": "getMyRatings",
                    "summary": "The logged-in participant's own ratings in the round",
                    "parameters": [ROUND_ID],
                    "responses": {
                        "200": _json("MyRatings", "The participant's ratings"),
                        "401": _json("Error", "Not logged in"),
                        "404": NOT_FOUND,
                    },
                }
            },
            "/rounds/{round_id}/items/{key}/rating": {
                "put": {
                    "operationId": "putRating",
                    "summary": "Rate an item, change the rating, or withdraw it (value null)",
                    "description": "Needs the session cookie and the CSRF token in the X-CSRFToken header.",
                    "parameters": [ROUND_ID, ITEM_KEY],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RatingInput"}}},
                    },
                    "responses": {
                        "200": _json("StoredRating", "The rating as stored"),
                        "400": _json("Error", "Not JSON, or the CSRF token is missing (invalid_json, csrf_failed)"),
                        "401": _json("Error", "Not logged in"),
                        "403": _json("Error", "Round not open, or not eligible (round_not_open, not_eligible)"),
                        "404": _json("Error", "Unknown round, or item not in the round (item_not_in_round)"),
                        "422": _json("Error", "Unknown question or value out of range"),
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "getOpenAPI",
                    "summary": "This document",
                    "responses": {"200": {"description": "OpenAPI document",
                                          "content": {"application/json": {"schema": {"type": "object"}}}}},
                }
            },
        },
        "components": {"schemas": SCHEMAS},
    }
