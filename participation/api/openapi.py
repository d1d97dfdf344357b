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
