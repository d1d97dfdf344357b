"""OpenAPI parts of the version comparison and item history (merged into ``openapi.py``)."""

from __future__ import annotations

_TEXTS = {
    "type": ["object", "null"],
    "description": "title, summary and body, each with de and en (null when not given); null when the item "
                   "is not in that version.",
    "properties": {
        name: {"type": "object", "properties": {"de": {"type": ["string", "null"]}, "en": {"type": ["string", "null"]}},
               "required": ["de", "en"], "additionalProperties": False}
        for name in ("title", "summary", "body")
    },
    "required": ["title", "summary", "body"],
    "additionalProperties": False,
}

VERSION_SCHEMAS = {
    "ItemTexts": _TEXTS,
    "EditorialChange": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "reason": {"type": "string"},
            "fields": {"type": "array", "items": {"type": "string"}, "description": "e.g. title_de, body_en"},
            "before": {"type": "object", "additionalProperties": {"type": ["string", "null"]}},
            "after": {"type": "object", "additionalProperties": {"type": ["string", "null"]}},
            "created_at": {"type": "string", "format": "date-time"},
        },
        "required": ["id", "reason", "fields", "before", "after", "created_at"],
        "additionalProperties": False,
    },
    "VersionComparison": {
        "type": "object",
        "properties": {
            "from": {"type": "string"},
            "to": {"type": "string"},
            "summary": {
                "type": "object",
                "properties": {k: {"type": "integer"} for k in ("changed", "added", "removed", "unchanged")},
                "required": ["changed", "added", "removed", "unchanged"],
                "additionalProperties": False,
            },
            "url": {"type": "string", "format": "uri"},
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "key": {"type": "string"},
                        "kind": {"type": "string", "enum": ["vision", "mission", "coordinate", "field", "target"]},
                        "change": {"type": "string", "enum": ["unchanged", "changed", "added", "removed"]},
                        "before": {"$ref": "#/components/schemas/ItemTexts"},
                        "after": {"$ref": "#/components/schemas/ItemTexts"},
                        "proposals": {"type": "array", "items": {"type": "integer"},
                                      "description": "Ids of the proposals that made (or kept) this item."},
                        "editorial": {"type": "array", "items": {"$ref": "#/components/schemas/EditorialChange"}},
                    },
                    "required": ["key", "kind", "change", "before", "after", "proposals", "editorial"],
                    "additionalProperties": False,
                },
            },
        },
        "required": ["from", "to", "summary", "url", "items"],
        "additionalProperties": False,
    },
    "ItemHistory": {
        "type": "object",
        "properties": {
            "key": {"type": "string"},
            "url": {"type": "string", "format": "uri"},
            "versions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "version": {"type": "string"},
                        "state": {"type": "string", "enum": ["draft", "published"]},
                        "published_at": {"type": ["string", "null"], "format": "date-time"},
                        "change": {"type": "string", "enum": ["first", "unchanged", "changed", "added", "removed"]},
                        "texts": {"$ref": "#/components/schemas/ItemTexts"},
                        "proposals": {"type": "array", "items": {"type": "integer"}},
                        "editorial": {"type": "array", "items": {"$ref": "#/components/schemas/EditorialChange"}},
                    },
                    "required": ["version", "state", "published_at", "change", "texts", "proposals", "editorial"],
                    "additionalProperties": False,
                },
            },
            "rounds": {
                "type": "array",
                "items": {"type": "object", "properties": {"id": {"type": "integer"},
                                                           "url": {"type": "string", "format": "uri"}},
                          "required": ["id", "url"], "additionalProperties": False},
            },
        },
        "required": ["key", "url", "versions", "rounds"],
        "additionalProperties": False,
    },
}


def _json(schema: str, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def _version_param(name: str) -> dict:
    return {"name": name, "in": "query", "required": True, "schema": {"type": "string"}, "example": "1.0"}


VERSION_PATHS = {
    "/strategy/compare": {
        "get": {
            "operationId": "compareStrategyVersions",
            "summary": "Every item of two versions: unchanged, changed, added or removed, with the reasons",
            "parameters": [_version_param("from"), _version_param("to")],
            "responses": {
                "200": _json("VersionComparison", "The comparison"),
                "400": _json("Error", "A parameter is missing (bad_request)"),
                "404": _json("Error", "A version does not exist (not_found)"),
            },
        }
    },
    "/strategy/items/{key}/history": {
        "get": {
            "operationId": "getItemHistory",
            "summary": "One item's texts through the versions, what changed and why, and its rounds",
            "parameters": [{
                "name": "key", "in": "path", "required": True, "schema": {"type": "string"},
                "description": "Item key; may contain a slash, e.g. mobilitaet-verkehr/zielbild-2",
            }],
            "responses": {
                "200": _json("ItemHistory", "The history, oldest version first"),
                "404": _json("Error", "No version has this item (not_found)"),
            },
        }
    },
}
