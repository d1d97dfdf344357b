"""No input gives a 5xx: every URL rule of the app, with hostile values in every path segment,
in the query parameters the pages read, in every form field and in every JSON key the API takes,
for every method the rule allows, as every role. Every answer carries the security headers.

The rules come from ``app.url_map`` and the form fields from the form classes, so a new route or
field is walked without touching this file; a rule needs a valid value in ``world`` only for a
path parameter of a new name (the walk fails and says so). Every request carries the CSRF token
and rate limits are off: the point is to reach the code behind them with every value (both are
tested on their own).
"""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask_wtf import FlaskForm
from wtforms.fields.core import UnboundField

from participation.api.endpoint import ENDPOINTS
from participation.security import CONTENT_SECURITY_POLICY

ITEM = "mobilitaet-verkehr/zielbild-2"
ROLES = ("visitor", "resident", "moderator", "admin", "blocked")
SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy")


def _cursor(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


# Already percent-encoded: they go into the URL or the form body as they are.
HOSTILE_SEGMENTS = [
    "a%00b", "2147483648", "9" * 40, "-1", "..%2F..%2Fetc%2Fpasswd", "x" * 3000,
    "%ED%A0%80", "%FF%FE", "%F0%9F%92%A9M%C3%BCnster", "%E2%80%AE%0D%0ASet-Cookie:x=1", "%25",
]
# Text that forms and services must refuse or store as it is.
HOSTILE_TEXT = ["a%00b", "9" * 40, "-" + "9" * 40, "x" * 3000, "%ED%A0%80%FF%FE", "%E2%80%AE%E2%80%8B%C2%85%0D%0A",
                "9999-12-31T23%3A59", "1e400"]
HOSTILE_VALUES = [
    *HOSTILE_TEXT, "", "NaN", "%3Cscript%3Ealert(1)%3C%2Fscript%3E", "..%2F..%2F",
    quote(_cursor(["9999-12-31T23:59:59.999999+14:00", 1])), quote(_cursor(["0001-01-01T00:00:00-23:59", 2**62])),
    quote(_cursor([2**70, 2**70])), quote(_cursor(["x", 1])), quote(base64.urlsafe_b64encode(b"[" * 5000).decode()),
]
# Choice fields filled validly, so that hostile text reaches the services behind the forms.
VALID_CHOICES = {
    "stance": "support", "reason": "spam", "language": "de", "district": "", "duration": "7", "moderation": "post",
    "participation": "accounts", "results_visibility": "live", "official": "1", "consent": "y", "remember": "y",
    "confirm": "y", "asks_importance": "y", "opens": "2026-12-01 09:00", "closes": "2027-01-31 09:00",
}
# Query parameters that some page or endpoint reads (sent to every GET: the others ignore them).
QUERY_NAMES = ["sort", "stance", "cursor", "verified", "page", "round", "item", "reason", "action",
               "object_type", "actor", "next", "email", "code", "saved", "lang"]
HOSTILE_JSON = [
    "\u0000", "a\u0000b", "\ud800", "x" * 5000, "\u202e\u200b", "", " ", 2**70, -(2**70), 2**63, 1e308, -0.0,
    True, None, [], {}, [[[[[]]]]], {"a": {"b": {}}},
]
RAW_JSON = [
    b"[" * 100_000 + b"]" * 100_000, b'{"a": "\\ud800"}', b"\xff\xfe", b"null", b"", b"[]", b'"x"', b"1e99999",
    b'{"body": "' + b"\\u0000" * 10 + b'"}',
]


def _form_fields() -> list[str]:
    """Every field name of every form class in the app."""
    names: set[str] = set()
    classes = list(FlaskForm.__subclasses__())
    while classes:
        cls = classes.pop()
        classes.extend(cls.__subclasses__())
        for klass in cls.__mro__:
            names.update(name for name, value in vars(klass).items() if isinstance(value, UnboundField))
    return sorted(names - {"csrf_token"})


@pytest.fixture
def world(app, db, frozen, make_round, make_user):
    """A round with a discussion and a proposal, a draft strategy version 2.0, and one account per
    role (bert is blocked)."""
    from participation.comments.services import post_comment, report_comment
    from participation.moderation.services import block
    from participation.proposals.services import ProposalData, create_proposal
    from participation.strategy.models import StrategyItem
    from participation.strategy.services import version_by_number
    from participation.versions.services import compose

    round_ = make_round(results="live", importance=True)
    people = {
        "resident": make_user("anna@example.org", "Anna"),
        "moderator": make_user("mod@example.org", "Moderation Team", role="moderator"),
        "admin": make_user("admin@example.org", "Admin", role="admin"),
        "blocked": make_user("bert@example.org", "Bert"),
    }
    item = db.scalar(sa.select(StrategyItem).where(StrategyItem.key == ITEM,
                                                   StrategyItem.version_id == round_.version_id))
    with app.test_request_context():
        comment = post_comment(db, round_, item, people["blocked"], "Ein **Beitrag**", "support")
        post_comment(db, round_, item, people["resident"], "Eine Antwort", "question", parent_id=comment.id)
        report_comment(db, comment, people["resident"], "spam", None, round_)
        block(db, people["blocked"], people["moderator"], None, "Test")
        proposal = create_proposal(db, round_, people["moderator"], ProposalData(
            kind="amend", item_key=ITEM, texts={"title": {"de": "Vernetzte Mobilität", "en": None}},
            rationale_de="Viele Beiträge", comment_ids=[comment.id]))
        compose(db, people["admin"], version_by_number(db, "1.0"), "2.0", [])
    db.commit()
    valid = {
        "round_id": str(round_.id), "key": ITEM, "comment_id": str(comment.id), "user_id": str(people["blocked"].id),
        "number": "1.0", "token": "abc", "slug": "impressum", "filename": "css/app.css",
        "version_id": str(round_.version_id), "item_id": str(item.id),
        "proposal_id": str(proposal.id), "a": "1.0", "b": "2.0", "fmt": "csv",
    }
    return valid


def _url(rule, valid: dict, hostile: tuple[str, str] | None = None) -> str:
    url = rule.rule
    for name in rule.arguments:
        if name not in valid:
            pytest.fail(f"{rule.rule}: give a valid value for <{name}> in the world fixture")
        value = hostile[1] if hostile and hostile[0] == name else quote(valid[name], safe="/")
        url = url.replace(f"<{_converter(rule, name)}{name}>", value)
    return url


def _converter(rule, name: str) -> str:
    """The "int:" of "<int:round_id>" ("" without a converter)."""
    text = rule.rule
    start = text.index(f"{name}>")
    opening = text.rindex("<", 0, start)
    return text[opening + 1:start]


def _share(values: list, role: str) -> list:
    """Every role walks every rule; the hostile values of one kind are dealt out among the roles
    (each value reaches every rule through one role), which keeps the walk within seconds."""
    start = ROLES.index(role)
    return values[start::len(ROLES)]


def _requests(app, valid: dict, token: str, role: str):
    """(method, url, kwargs) for every rule and method, with hostile values in every place."""
    bodies = {(e.method, e.url_rule): e.body for e in ENDPOINTS if e.body is not None}
    fields = _form_fields()
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: ("logout" in r.rule, r.rule)):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for name in rule.arguments:
                for value in _share(HOSTILE_SEGMENTS, role):
                    yield method, _url(rule, valid, (name, value)), {}
            url = _url(rule, valid)
            if method == "GET":
                for value in _share(HOSTILE_VALUES, role):
                    yield method, url + "?" + "&".join(f"{name}={value}" for name in QUERY_NAMES), {}
                continue
            model = bodies.get((method, rule.rule))
            if model is not None:
                for key in model.model_fields:
                    for value in _share(HOSTILE_JSON, role):
                        yield method, url, {"data": json.dumps({**_example(model), key: value}),
                                            "content_type": "application/json"}
                for raw in RAW_JSON:
                    yield method, url, {"data": raw, "content_type": "application/json"}
            else:
                for value in _share(HOSTILE_VALUES, role):
                    body = "&".join([f"csrf_token={token}", *(f"{name}={value}" for name in fields)])
                    yield method, url, {"data": body, "content_type": "application/x-www-form-urlencoded"}
                for value in HOSTILE_TEXT:
                    chosen = {**{name: value for name in fields}, **VALID_CHOICES,
                              "version": valid["version_id"], "items": valid["item_id"]}
                    body = "&".join([f"csrf_token={token}", *(f"{name}={v}" for name, v in chosen.items())])
                    yield method, url, {"data": body, "content_type": "application/x-www-form-urlencoded"}


def _example(model) -> dict:
    examples = {"body": "Hallo", "stance": "support", "question": "agreement", "value": 3, "reason": "spam",
                "kind": "keep", "rationale": {"de": "Breite Zustimmung"}, "to": "in_review", "outcome": "noted"}
    return {name: examples[name] for name, info in model.model_fields.items() if info.is_required()}


@pytest.mark.parametrize("role", ROLES)
def test_no_input_gives_a_5xx(app, client, login, world, role):
    if role != "visitor":
        login({"resident": "anna", "moderator": "mod", "admin": "admin", "blocked": "bert"}[role] + "@example.org")
    failures, count = [], 0
    token = client.csrf_token()
    for method, url, kwargs in _requests(app, world, token, role):
        count += 1
        try:
            response = client.open(url, method=method, headers={"X-CSRFToken": token}, **kwargs)
        except Exception as error:  # the testing app re-raises what would be a 500  # noqa: BLE001
            failures.append(f"{type(error).__name__}: {str(error)[:150]} on {method} {url[:200]} "
                            f"{str(kwargs.get('data'))[:100]}")
            continue
        if response.status_code >= 500:
            failures.append(f"{response.status_code} {method} {url[:200]} {str(kwargs.get('data'))[:200]}")
        missing = [h for h in SECURITY_HEADERS if h not in response.headers]
        if missing:
            failures.append(f"no {missing} on {response.status_code} {method} {url[:200]}")
        elif response.headers["Content-Security-Policy"] != CONTENT_SECURITY_POLICY:
            failures.append(f"other CSP on {method} {url[:200]}")
        if url.startswith("/api/") and response.status_code >= 400 and (
                not response.is_json or set(response.get_json()["error"]) != {"code", "message"}):
            failures.append(f"no JSON error on {response.status_code} {method} {url[:200]}")
        response.close()
        if "/logout" in url and role != "visitor":
            login({"resident": "anna", "moderator": "mod", "admin": "admin", "blocked": "bert"}[role] + "@example.org")
            token = client.csrf_token()
    assert count > 500
    assert not failures, f"{len(failures)} of {count}:\n" + "\n".join(failures[:40])
