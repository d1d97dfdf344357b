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


_STANCES = ("support", "criticism", "suggestion", "question")
_COMMENT_PROPERTIES = {
    "id": {"type": "integer"},
    "parent_id": {"type": ["integer", "null"], "description": "null for a top-level comment."},
    "stance": {"type": "string", "enum": list(_STANCES)},
    "state": {
        "type": "string", "enum": ["visible", "pending", "hidden", "deleted"],
        "description": "pending: waits for a moderator; only its author sees it.",
    },
    "body_html": {"type": "string", "description": "Sanitised HTML, rendered once when the comment was saved."},
    "author": {"type": ["string", "null"],
               "description": "Display name ('Deleted account' once anonymised); null for deleted comments."},
    "author_deleted": {"type": "boolean"},
    "created_at": {"type": "string", "format": "date-time"},
    "edited_at": {"type": ["string", "null"], "format": "date-time"},
    "helpful_count": {"type": "integer", "minimum": 0},
    "reply_count": {"type": "integer", "minimum": 0, "description": "Visible replies."},
    "is_official": {"type": "boolean", "description": "An official reply of the city."},
    "moderation_reason": {
        "type": ["string", "null"],
        "enum": ["insult", "spam", "misinformation", "privacy", "off_topic", "other", None],
        "description": "Why a moderator hid the comment (only for hidden ones).",
    },
    "marked_helpful": {"type": "boolean", "description": "Whether the caller marked it as helpful."},
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
            "channel": {"type": ["string", "null"], "enum": ["online", "offline", None],
                        "description": "online: accounts; offline: paper, workshop and phone ballots; null: both"},
            "participants": {"type": "integer", "minimum": 0},
            "participants_by_channel": {
                "type": "object",
                "properties": {"online": {"type": "integer", "minimum": 0},
                               "offline": {"type": "integer", "minimum": 0}},
                "required": ["online", "offline"],
                "additionalProperties": False,
            },
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
        "required": ["round", "verified_only", "channel", "participants", "participants_by_channel", "items"],
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
    "Comment": {
        "type": "object",
        "description": (
            "A comment or reply. Hidden and deleted comments keep their place in the thread but "
            "carry no text (body_html is empty); hidden ones give the moderation's reason."
        ),
        "properties": _COMMENT_PROPERTIES,
        "required": list(_COMMENT_PROPERTIES),
        "additionalProperties": False,
    },
    "CommentThread": {
        "type": "object",
        "description": "A top-level comment with its first replies (oldest first).",
        "properties": {
            **_COMMENT_PROPERTIES,
            "replies": {"type": "array", "items": {"$ref": "#/components/schemas/Comment"}},
        },
        "required": [*_COMMENT_PROPERTIES, "replies"],
        "additionalProperties": False,
    },
    "CommentPage": {
        "type": "object",
        "properties": {
            "round": {"type": "integer"},
            "key": {"type": "string"},
            "sort": {"type": "string", "enum": ["newest", "oldest", "helpful"]},
            "stance": {"type": ["string", "null"], "enum": [*_STANCES, None]},
            "comments": {"type": "array", "items": {"$ref": "#/components/schemas/CommentThread"}},
            "next_cursor": {
                "type": ["string", "null"],
                "description": "Pass as cursor (with the same sort and stance) for the next page; null on the last.",
            },
        },
        "required": ["round", "key", "sort", "stance", "comments", "next_cursor"],
        "additionalProperties": False,
    },
    "CommentInput": {
        "type": "object",
        "properties": {
            "body": {"type": "string", "maxLength": 3000,
                     "description": "Markdown subset: paragraphs, emphasis, lists, links."},
            "stance": {"type": "string", "enum": list(_STANCES)},
            "parent_id": {"type": ["integer", "null"], "description": "The top-level comment replied to."},
        },
        "required": ["body", "stance"],
        "additionalProperties": False,
    },
    "HelpfulState": {
        "type": "object",
        "properties": {
            "comment_id": {"type": "integer"},
            "helpful_count": {"type": "integer", "minimum": 0},
            "marked": {"type": "boolean", "description": "Whether the caller's mark is set now."},
        },
        "required": ["comment_id", "helpful_count", "marked"],
        "additionalProperties": False,
    },
    "ReportInput": {
        "type": "object",
        "properties": {
            "reason": {"type": "string", "enum": ["insult", "spam", "misinformation", "privacy", "other"]},
            "text": {"type": ["string", "null"], "maxLength": 1000, "description": "Required for reason other."},
        },
        "required": ["reason"],
        "additionalProperties": False,
    },
    "StoredReport": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "comment_id": {"type": "integer"},
            "reason": {"type": "string", "enum": ["insult", "spam", "misinformation", "privacy", "other"]},
            "message": {"type": "string", "description": "Confirmation in the user's language."},
        },
        "required": ["id", "comment_id", "reason", "message"],
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

COMMENT_ID = {"name": "comment_id", "in": "path", "required": True, "schema": {"type": "integer"}}
HELPFUL_RESPONSES = {
    "200": _json("HelpfulState", "The comment's helpful count and the caller's mark"),
    "400": _json("Error", "The CSRF token is missing (csrf_failed)"),
    "401": _json("Error", "Not logged in (not_logged_in)"),
    "403": _json("Error", "Not possible: one's own comment, round not open, or blocked (not_allowed)"),
    "404": _json("Error", "The comment does not exist (any more) (comment_not_found)"),
    "429": _json("Error", "Too many marks in a short time (rate_limited)"),
}


def document(server_url: str) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Participation platform API",
            "version": "1",
            "description": (
                "Read the strategy, consultation rounds, results and discussions; rate, comment, mark "
                "comments as helpful and report them. "
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
                        {"name": "channel", "in": "query", "required": False,
                         "schema": {"type": "string", "enum": ["online", "offline"]},
                         "description": "online: accounts only; offline: ballots only; absent: both"},
                    ],
                    "responses": {
                        "200": _json("RoundResults", "The results"),
                        "400": _json("Error", "Unknown channel (code unknown_channel)"),
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
            "/rounds/{round_id}/items/{key}/comments": {
                "get": {
                    "operationId": "listComments",
                    "summary": "The discussion of an item: top-level comments with their first replies, paginated",
                    "description": (
                        "Visible comments, hidden and deleted ones as notices without text, and the caller's "
                        "own comments waiting for approval. Keyset-paginated: follow next_cursor."
                    ),
                    "parameters": [
                        ROUND_ID, ITEM_KEY,
                        {"name": "sort", "in": "query", "required": False,
                         "schema": {"type": "string", "enum": ["newest", "oldest", "helpful"], "default": "newest"}},
                        {"name": "stance", "in": "query", "required": False,
                         "schema": {"type": "string", "enum": list(_STANCES)}},
                        {"name": "cursor", "in": "query", "required": False, "schema": {"type": "string"},
                         "description": "next_cursor of the previous page"},
                    ],
                    "responses": {
                        "200": _json("CommentPage", "One page of the discussion"),
                        "400": _json("Error", "Broken cursor (bad_cursor)"),
                        "404": _json("Error", "Unknown round, or item not in the round (item_not_in_round)"),
                    },
                },
                "post": {
                    "operationId": "postComment",
                    "summary": "Write a comment, or reply to a top-level comment (parent_id)",
                    "description": (
                        "Needs the session cookie and the CSRF token in the X-CSRFToken header. Under "
                        "pre-moderation the comment is stored with state pending. Rate-limited per account."
                    ),
                    "parameters": [ROUND_ID, ITEM_KEY],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CommentInput"}}},
                    },
                    "responses": {
                        "201": _json("Comment", "The comment as stored, with its sanitised HTML"),
                        "400": _json("Error", "Not JSON, or the CSRF token is missing (invalid_json, csrf_failed)"),
                        "401": _json("Error", "Not logged in (not_logged_in)"),
                        "403": _json("Error", "Round not open, or blocked (round_not_open, not_allowed)"),
                        "404": _json("Error", "Unknown round or item, or the comment replied to is gone "
                                              "(item_not_in_round, parent_not_found)"),
                        "422": _json("Error", "empty_body, body_too_long, unknown_stance, reply_too_deep, "
                                              "parent_elsewhere, duplicate"),
                        "429": _json("Error", "Too many comments in a short time (rate_limited)"),
                    },
                },
            },
            "/comments/{comment_id}/helpful": {
                "post": {
                    "operationId": "markCommentHelpful",
                    "summary": "Mark a comment as helpful (once per person; again is the same as once)",
                    "parameters": [COMMENT_ID],
                    "responses": HELPFUL_RESPONSES,
                },
                "delete": {
                    "operationId": "unmarkCommentHelpful",
                    "summary": "Take one's helpful mark back",
                    "parameters": [COMMENT_ID],
                    "responses": HELPFUL_RESPONSES,
                },
            },
            "/comments/{comment_id}/reports": {
                "post": {
                    "operationId": "reportComment",
                    "summary": "Report a comment to the moderation (once per person; not one's own)",
                    "description": "Needs the session cookie and the CSRF token in the X-CSRFToken header.",
                    "parameters": [COMMENT_ID],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ReportInput"}}},
                    },
                    "responses": {
                        "201": _json("StoredReport", "The report is stored"),
                        "400": _json("Error", "Not JSON, or the CSRF token is missing (invalid_json, csrf_failed)"),
                        "401": _json("Error", "Not logged in (not_logged_in)"),
                        "403": _json("Error", "Not allowed, e.g. blocked (not_allowed)"),
                        "404": _json("Error", "The comment does not exist (any more) (comment_not_found)"),
                        "422": _json("Error", "own_comment, already_reported, unknown_reason, text_required, "
                                              "text_too_long"),
                        "429": _json("Error", "Too many reports in a short time (rate_limited)"),
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
