"""The consolidation's use cases: the state machine, four eyes, decisions, evidence snapshots,
comment outcomes (derived and explicit), and publishing a round (refused while comments are open,
or with an admin's written reason), including the console command."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from participation.moderation.models import AuditEntry
from participation.proposals import services
from participation.proposals.models import CommentOutcome, Proposal
from participation.proposals.services import TRANSITIONS, ProposalData, ProposalError
from participation.ratings.models import Rating
from participation.rounds import services as rounds

from .proposal_support import ADMIN, ITEM, MOD, OTHER_ITEM, OTHER_MOD, add_comment, item_of
from .test_ratings import _rate_many


@pytest.fixture
def people(make_user):
    return {
        "anna": make_user("anna@example.org", "Anna", language="en"),
        "mod": make_user(MOD, "Moritz", role="moderator", language="en"),
        "mod2": make_user(OTHER_MOD, "Mira", role="moderator", language="en"),
        "admin": make_user(ADMIN, "Amt", role="admin", language="en"),
    }


@pytest.fixture
def ctx(app):
    with app.test_request_context(method="POST", headers={"Accept-Language": "en"}):
        yield


def amend(db, round_, author, comments=(), **texts) -> Proposal:
    proposal = services.create_proposal(db, round_, author, ProposalData(
        kind="amend", item_key=ITEM, texts={"title": {"de": texts.get("title", "Sichere Radwege überall")}},
        rationale_de="Viele Beiträge wünschen sichere Radwege.", comment_ids=[c.id for c in comments]))
    db.commit()
    return proposal


def refused(code: str, status: int):
    class _Check:
        def __enter__(self):
            self.ctx = pytest.raises(ProposalError)
            self.info = self.ctx.__enter__()
            return self

        def __exit__(self, *exc):
            result = self.ctx.__exit__(*exc)
            assert self.info.value.code == code, self.info.value.code
            assert self.info.value.status == status
            return result
    return _Check()


def audit_actions(db, object_type="proposal") -> list[str]:
    db.expire_all()
    return list(db.scalars(sa.select(AuditEntry.action).where(AuditEntry.object_type == object_type)
                           .order_by(AuditEntry.id)))


def test_the_whole_loop_with_four_eyes_evidence_and_derived_outcomes(ctx, db, frozen, make_round, people):
    round_ = make_round("closed")
    _rate_many(db, round_, ITEM, [5, 4, 4, 2, 0], verified=(0, 1))
    first = add_comment(db, round_, people["anna"], "Radwege!")
    second = add_comment(db, round_, people["anna"], "Breitere Radwege!")
    proposal = amend(db, round_, people["mod"], [first, second])
    assert proposal.state == "draft" and proposal.comment_ids == [first.id, second.id]
    assert proposal.evidence is None

    services.transition(db, proposal, people["mod"], "in_review")
    ratings = proposal.evidence["ratings"]["agreement"]
    assert ratings["n"] == 5 and ratings["counts"]["4"] == 2 and ratings["counts"]["0"] == 1
    assert ratings["median"] == 4.0 and ratings["share_agree"] == 0.75
    assert proposal.evidence["ratings_verified"]["agreement"]["n"] == 2
    assert proposal.snapshot_at is not None
    # The snapshot is frozen: later ratings do not change it.
    db.add(Rating(round_id=round_.id, item_id=proposal.item_id, user_id=people["anna"].id, question="agreement",
                  value=1))
    db.commit()
    assert db.get(Proposal, proposal.id).evidence["ratings"]["agreement"]["n"] == 5

    with refused("not_allowed", 403):
        services.transition(db, proposal, people["mod"], "recommended")  # four eyes
    with refused("not_allowed", 403):
        services.transition(db, proposal, people["mod"], "changes_requested", "Bitte kürzer")
    services.transition(db, proposal, people["mod2"], "recommended", "Gut begründet")
    assert proposal.reviewer_id == people["mod2"].id

    with refused("not_allowed", 403):
        services.transition(db, proposal, people["mod2"], "accepted", "Ja")  # only admins decide
    with refused("reason_required", 422):
        services.transition(db, proposal, people["admin"], "accepted", "  ")
    services.transition(db, proposal, people["admin"], "accepted", "Passt zur Radstrategie.")
    db.commit()
    assert proposal.decided_by_id == people["admin"].id and proposal.decided_at is not None
    outcomes = services.outcomes_for(db, [first.id, second.id])
    assert {o.outcome for o in outcomes.values()} == {"incorporated"}
    assert outcomes[first.id].proposal_id == proposal.id and not outcomes[first.id].explicit
    assert outcomes[first.id].explanation == "Passt zur Radstrategie."
    assert audit_actions(db) == ["proposal.created", "proposal.in_review", "proposal.recommended",
                                 "proposal.accepted"]
    with refused("invalid_transition", 409):
        services.transition(db, proposal, people["admin"], "withdrawn")  # decided is final


def test_an_admin_who_wrote_a_proposal_cannot_review_it_but_another_moderator_can(ctx, db, frozen, make_round,
                                                                                   people):
    round_ = make_round("consolidation")
    proposal = amend(db, round_, people["admin"])
    services.transition(db, proposal, people["admin"], "in_review")
    with refused("not_allowed", 403):
        services.transition(db, proposal, people["admin"], "recommended")
    with refused("reason_required", 422):
        services.transition(db, proposal, people["mod"], "changes_requested")  # say what to change
    services.transition(db, proposal, people["mod"], "changes_requested", "Quelle fehlt")
    assert proposal.state == "changes_requested" and proposal.review_note == "Quelle fehlt"
    services.edit_proposal(db, proposal, people["admin"], ProposalData(
        kind="amend", item_key=ITEM, texts={"title": {"de": "Neu"}}, rationale_de="Mit Quelle"))
    services.transition(db, proposal, people["admin"], "in_review")
    services.transition(db, proposal, people["mod"], "recommended")
    # An admin may decide on their own proposal once a second person recommended it.
    services.transition(db, proposal, people["admin"], "rejected", "Zu teuer")
    assert proposal.state == "rejected"


@pytest.mark.parametrize(("source", "target"), [
    ("draft", "recommended"), ("draft", "accepted"), ("in_review", "accepted"), ("changes_requested", "recommended"),
    ("recommended", "in_review"), ("withdrawn", "in_review"), ("accepted", "rejected"), ("draft", "nonsense"),
])
def test_transitions_outside_the_table_are_refused(ctx, db, frozen, make_round, people, source, target):
    assert (source, target) not in TRANSITIONS
    round_ = make_round("consolidation")
    proposal = amend(db, round_, people["mod"])
    proposal.state = source
    db.commit()
    with refused("invalid_transition", 409):
        services.transition(db, proposal, people["admin"], target, "Grund")


def test_decisions_wait_until_the_round_has_closed(ctx, db, frozen, make_round, people):
    round_ = make_round("open")
    proposal = amend(db, round_, people["mod"])
    services.transition(db, proposal, people["mod"], "in_review")
    services.transition(db, proposal, people["mod2"], "recommended")
    with refused("round_not_closed", 409):
        services.transition(db, proposal, people["admin"], "accepted", "Ja")


def test_withdrawing_and_who_may(ctx, db, frozen, make_round, people):
    round_ = make_round("consolidation")
    proposal = amend(db, round_, people["mod"])
    with refused("not_allowed", 403):
        services.transition(db, proposal, people["mod2"], "withdrawn")
    with refused("not_allowed", 403):
        services.transition(db, proposal, people["anna"], "withdrawn")
    services.transition(db, proposal, people["mod"], "withdrawn")
    assert proposal.state == "withdrawn"
    other = amend(db, round_, people["mod"])
    services.transition(db, other, people["admin"], "withdrawn", "Doppelt")
    assert other.state == "withdrawn"


def test_accepted_with_changes_takes_the_administrations_text(ctx, db, frozen, make_round, people):
    round_ = make_round("consolidation")
    comment = add_comment(db, round_, people["anna"])
    proposal = amend(db, round_, people["mod"], [comment])
    services.transition(db, proposal, people["mod"], "in_review")
    services.transition(db, proposal, people["mod2"], "recommended")
    services.transition(db, proposal, people["admin"], "accepted_modified", "Angepasst",
                        texts={"title": {"de": "Sichere Radwege", "en": "Safe cycle lanes"}})
    assert proposal.title_de == "Sichere Radwege" and proposal.title_en == "Safe cycle lanes"
    assert services.outcomes_for(db, [comment.id])[comment.id].outcome == "partly"


def test_keeping_can_be_accepted_with_changes_without_a_text(ctx, db, frozen, make_round, people):
    round_ = make_round("consolidation")
    proposal = services.create_proposal(db, round_, people["mod"], ProposalData(
        kind="keep", item_key=ITEM, rationale_de="Breite Zustimmung"))
    services.transition(db, proposal, people["mod"], "in_review")
    services.transition(db, proposal, people["mod2"], "recommended")
    empty = {"title": {"de": None, "en": None}, "summary": {"de": None, "en": None}}
    services.transition(db, proposal, people["admin"], "accepted_modified", "Mit redaktioneller Anpassung",
                        texts=empty)
    assert proposal.state == "accepted_modified" and proposal.title_de is None


def test_validation_of_proposals(ctx, db, frozen, make_round, people):
    round_ = make_round("consolidation")
    reply_to = add_comment(db, round_, people["anna"])
    reply = add_comment(db, round_, people["anna"], "Antwort", parent=reply_to)
    cases = [
        (ProposalData(kind="amend", item_key="nope", rationale_de="x"), "unknown_item"),
        (ProposalData(kind="amend", item_key=ITEM, rationale_de="x"), "nothing_changed"),
        (ProposalData(kind="keep", item_key=ITEM, rationale_de=""), "rationale_required"),
        (ProposalData(kind="add", rationale_de="x", texts={"title": {"de": "Neu"}}), "place_required"),
        (ProposalData(kind="add", rationale_de="x", place_kind="target", texts={"title": {"de": "Neu"}}),
         "unknown_field"),
        (ProposalData(kind="add", rationale_de="x", place_kind="coordinate"), "title_required"),
        (ProposalData(kind="keep", item_key=ITEM, rationale_de="x", comment_ids=[reply.id]), "comment_not_in_round"),
        (ProposalData(kind="wish", item_key=ITEM, rationale_de="x"), "unknown_kind"),
    ]
    for data, code in cases:
        with refused(code, 422):
            services.create_proposal(db, round_, people["mod"], data)
    added = services.create_proposal(db, round_, people["mod"], ProposalData(
        kind="add", rationale_de="Neu", place_kind="target", place_parent_key="mobilitaet-verkehr", place_position=4,
        texts={"title": {"de": "Autofreie Innenstadt"}, "body": {"de": "Text"}}))
    assert added.item_id is None and added.place_parent.key == "mobilitaet-verkehr"
    with refused("not_allowed", 403):
        services.create_proposal(db, round_, people["anna"], ProposalData(kind="keep", item_key=ITEM,
                                                                            rationale_de="x"))


def test_explicit_outcomes_win_and_can_be_handed_back(ctx, db, frozen, make_round, people):
    round_ = make_round("consolidation")
    a, b, c = (add_comment(db, round_, people["anna"], f"Beitrag {i}") for i in range(3))
    with refused("explanation_required", 422):
        services.set_outcome(db, round_, [a.id], people["mod"], "noted", "")
    with refused("not_allowed", 403):
        services.set_outcome(db, round_, [a.id], people["anna"], "noted", "Danke")
    assert services.set_outcome(db, round_, [a.id, b.id], people["mod"], "duplicate", "Siehe Beitrag 1") == 2
    proposal = amend(db, round_, people["mod"], [a, c])
    services.transition(db, proposal, people["mod"], "in_review")
    services.transition(db, proposal, people["mod2"], "recommended")
    services.transition(db, proposal, people["admin"], "rejected", "Nicht finanzierbar")
    outcomes = services.outcomes_for(db, [a.id, b.id, c.id])
    assert outcomes[a.id].outcome == "duplicate" and outcomes[a.id].explicit  # the moderator's stays
    assert outcomes[c.id].outcome == "not_adopted" and not outcomes[c.id].explicit
    services.set_outcome(db, round_, [a.id], people["mod"], None, None)  # back to the decisions
    assert services.outcomes_for(db, [a.id])[a.id].outcome == "not_adopted"
    assert audit_actions(db, "comment").count("comment.outcome") == 3


def test_publishing_is_refused_while_comments_have_no_outcome(ctx, db, frozen, make_round, people):
    round_ = make_round("consolidation")
    add_comment(db, round_, people["anna"], "Eins")
    add_comment(db, round_, people["anna"], "Zwei", key=OTHER_ITEM)
    hidden = add_comment(db, round_, people["anna"], "Weg", state="hidden")
    first = add_comment(db, round_, people["anna"], "Drei")
    add_comment(db, round_, people["anna"], "Antwort", parent=first)  # replies need no outcome
    with pytest.raises(rounds.RoundError) as info:
        rounds.advance(db, round_, people["admin"])
    assert info.value.code == "comments_open"
    assert "3 comments have no outcome yet" in info.value.message
    titles = [item_of(db, round_, key).title for key in (ITEM, OTHER_ITEM)]  # titles people know, not keys
    assert f"{titles[0]} (2)" in info.value.message and f"{titles[1]} (1)" in info.value.message
    assert round_.stage == "consolidation"
    with pytest.raises(rounds.RoundError):
        rounds.advance(db, round_, people["mod"], "Ich will")  # only admins override
    assert rounds.advance(db, round_, people["admin"], "Ratsbeschluss am Montag") == "published"
    db.commit()
    entry = services.publication_overrides(db, round_)[0]
    assert entry.reason == "Ratsbeschluss am Montag" and entry.details["open_comments"] == 3
    assert hidden.id not in services.outcomes_for(db, [hidden.id])


def test_publishing_once_every_comment_has_an_outcome(ctx, db, frozen, make_round, people):
    round_ = make_round("consolidation")
    comment = add_comment(db, round_, people["anna"])
    services.set_outcome(db, round_, [comment.id], people["mod"], "noted", "Danke")
    assert rounds.advance(db, round_, people["admin"]) == "published"
    assert services.publication_overrides(db, round_) == []
    # After publication nothing changes any more.
    with refused("not_allowed", 403):
        services.set_outcome(db, round_, [comment.id], people["mod"], "partly", "Doch")


def test_cli_advance_prints_the_state_and_refuses_with_the_reason(app, db, frozen, make_round, people):
    round_ = make_round("consolidation")
    add_comment(db, round_, people["anna"])
    runner = app.test_cli_runner()
    result = runner.invoke(args=["rounds", "advance", str(round_.id)])
    assert result.exit_code == 1
    assert "1 comment has no outcome yet" in result.output
    result = runner.invoke(args=["rounds", "advance", str(round_.id), "--reason", "Frist des Rates"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "published"
    result = runner.invoke(args=["rounds", "advance", str(round_.id)])
    assert result.exit_code == 1 and "no further step" in result.output
    closed = make_round("closed")
    assert runner.invoke(args=["rounds", "advance", str(closed.id)]).output.strip() == "consolidation"
    assert runner.invoke(args=["rounds", "advance", "999999"]).exit_code == 1


def test_outcome_rows_are_one_per_comment(ctx, db, frozen, make_round, people):
    round_ = make_round("consolidation")
    comment = add_comment(db, round_, people["anna"])
    services.set_outcome(db, round_, [comment.id], people["mod"], "noted", "Danke")
    services.set_outcome(db, round_, [comment.id], people["mod2"], "out_of_scope", "Thema der Stadtwerke")
    db.commit()
    rows = list(db.scalars(sa.select(CommentOutcome).where(CommentOutcome.comment_id == comment.id)))
    assert len(rows) == 1 and rows[0].outcome == "out_of_scope" and rows[0].set_by_id == people["mod2"].id
