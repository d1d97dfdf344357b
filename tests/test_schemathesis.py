"""Schemathesis against the app's own OpenAPI document (loaded from the WSGI app, no server):
every operation, all checks, as a visitor and as a logged-in resident. No 5xx, and every answer
matches the document.

Bounded and reproducible: few examples per operation, a fixed derandomized generation, no
deadline (the shared CI machine is slow at times). Path parameters point at a real round, item
and comment, so the operations reach their code instead of answering 404 to random ids.
"""

from __future__ import annotations

import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

ITEM = "mobilitaet-verkehr/zielbild-2"
MAX_EXAMPLES = 12


def _config(world: dict) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict({
        "parameters": {"path.round_id": world["round_id"], "path.key": ITEM, "path.comment_id": world["comment_id"],
                       "path.number": "1.0", "path.proposal_id": world["proposal_id"]},
        "checks": {
            # Valid data can still be refused by rules no schema expresses: a duplicate, a reply
            # to a reply, a report of one's own comment, a text of spaces only (422 with the code).
            "positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409", "422", "429"]},
        },
        "operations": [{
            # The cursor is an opaque token from an earlier answer: any string fits its schema, and
            # one the app did not issue is refused (400 bad_cursor). Only this operation may do so.
            "include-operation-id": "listComments",
            "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "400", "404"]}},
        }],
        "phases": {"stateful": {"enabled": False}},  # no links between operations in the document
    })


@pytest.fixture
def world(app, db, frozen, make_round, make_user):
    from participation.comments.services import post_comment
    from participation.proposals.services import ProposalData, create_proposal, transition
    from participation.strategy.models import StrategyItem

    round_ = make_round(results="live", importance=True)
    author = make_user("bert@example.org", "Bert")
    moderators = [make_user(f"mod{n}@example.org", f"Moderation {n}", role="moderator") for n in (1, 2)]
    item = db.scalar(sa.select(StrategyItem).where(StrategyItem.key == ITEM,
                                                   StrategyItem.version_id == round_.version_id))
    with app.test_request_context():
        comment = post_comment(db, round_, item, author, "Ein **Beitrag**", "support")
        proposal = create_proposal(db, round_, moderators[0], ProposalData(
            kind="amend", item_key=ITEM, texts={"title": {"de": "Vernetzte Mobilität", "en": None}},
            rationale_de="Viele Beiträge", comment_ids=[comment.id]))
        transition(db, proposal, moderators[0], "in_review")
    db.commit()
    return {"round_id": round_.id, "comment_id": comment.id, "proposal_id": proposal.id}


@pytest.fixture
def api_schema(app, world):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=_config(world))


schema = schemathesis.pytest.from_fixture("api_schema")

BOUNDED = settings(
    max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def call_as(case, client) -> None:
    """Call with the client's session cookie and CSRF token, as the page's script would.

    The generated values of both are replaced by the real ones; a case that leaves one out on
    purpose (to see that it is required) keeps it out.
    """
    token = client.csrf_token()
    name = client.application.config["SESSION_COOKIE_NAME"]
    session = client.get_cookie(name).value
    if case.headers and "X-CSRFToken" in case.headers:
        case.headers = {**case.headers, "X-CSRFToken": token}
    if case.cookies and name in case.cookies:
        case.cookies = {**case.cookies, name: session}
    elif case.method == "GET":  # reads take no security scheme, and see the caller's own data
        case.cookies = {**(case.cookies or {}), name: session}
    case.call_and_validate()


@schema.parametrize()
@BOUNDED
def test_api_as_visitor(case, client):
    call_as(case, client)


@pytest.fixture
def resident(client, make_user, login):
    make_user(language="en")
    login()
    return client


@schema.parametrize()
@BOUNDED
def test_api_as_resident(case, resident):
    call_as(case, resident)


@pytest.fixture
def moderator(client, make_user, login):
    """Proposals, transitions and outcomes are written by moderators: reach their code too."""
    make_user("mod3@example.org", "Moderation 3", role="moderator", language="en")
    login("mod3@example.org")
    return client


@schema.parametrize()
@BOUNDED
def test_api_as_moderator(case, moderator):
    call_as(case, moderator)
