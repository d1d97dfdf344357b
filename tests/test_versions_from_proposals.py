"""Where consolidation meets the next version: composing from a round's accepted proposals,
resolving two accepted proposals on one item by superseding one, and a comment's outcome
naming the published version its proposal went into."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from markupsafe import escape

from participation.moderation.models import AuditEntry
from participation.proposals import services
from participation.proposals.services import ProposalData, ProposalError
from participation.strategy.services import item_by_key, version_by_number
from participation.versions.models import VersionChange
from participation.versions.services import (
    Place,
    VersionError,
    accepted_changes,
    compose,
    publish,
    untraceable_keys,
)

from .proposal_support import ADMIN, ITEM, MOD, OTHER_ITEM, OTHER_MOD, add_comment


@pytest.fixture
def people(make_user):
    return {
        "anna": make_user("anna@example.org", "Anna", language="de"),
        "mod": make_user(MOD, "Moritz", role="moderator", language="en"),
        "mod2": make_user(OTHER_MOD, "Mira", role="moderator", language="en"),
        "admin": make_user(ADMIN, "Amt", role="admin", language="en"),
    }


@pytest.fixture
def ctx(app):
    with app.test_request_context(method="POST", headers={"Accept-Language": "en"}):
        yield


def decided(db, round_, people, to="accepted", modified=None, **data):
    data.setdefault("rationale_de", "Viele Beiträge sprechen dafür.")
    proposal = services.create_proposal(db, round_, people["mod"], ProposalData(**data))
    services.transition(db, proposal, people["mod"], "in_review")
    services.transition(db, proposal, people["mod2"], "recommended")
    services.transition(db, proposal, people["admin"], to, "So beschlossen.", texts=modified)
    db.commit()
    return proposal


def test_accepted_changes_maps_every_kind_and_skips_the_undecided(ctx, db, frozen, make_round, people):
    round_ = make_round("consolidation")
    amended = decided(db, round_, people, "accepted_modified", kind="amend", item_key=ITEM,
                      texts={"title": {"de": "Radwege"}})
    added = decided(db, round_, people, kind="add", place_kind="target", place_parent_key="wohnen-leben",
                    place_position=2, texts={"title": {"de": "Offene Daten", "en": "Open data"}})
    removed = decided(db, round_, people, kind="remove", item_key=OTHER_ITEM)
    kept = decided(db, round_, people, kind="keep", item_key="leitkoordinate-1")
    rejected = decided(db, round_, people, "rejected", kind="remove", item_key="leitkoordinate-2")
    services.create_proposal(db, round_, people["mod"], ProposalData(
        kind="remove", item_key="leitkoordinate-3", rationale_de="Entwurf"))
    changes = {c.source_id: c for c in accepted_changes(db, round_)}
    assert set(changes) == {amended.id, added.id, removed.id, kept.id}
    assert rejected.id not in changes
    assert (changes[amended.id].kind, changes[amended.id].item_key) == ("amend", ITEM)
    assert changes[amended.id].texts == {"title": {"de": "Radwege"}}  # only the fields it gives
    assert changes[added.id].place == Place("wohnen-leben", 1, "target")
    assert changes[added.id].texts == {"title": {"de": "Offene Daten", "en": "Open data"}}
    assert (changes[removed.id].kind, changes[kept.id].kind) == ("remove", "keep")
    assert changes[kept.id].texts is None


def test_the_administrations_modified_text_is_what_gets_composed(ctx, db, frozen, make_round, people):
    round_ = make_round("consolidation")
    proposal = decided(db, round_, people, "accepted_modified", kind="amend", item_key=ITEM,
                       texts={"title": {"de": "Radwege"}},
                       modified={"title": {"de": "Sichere Radwege überall", "en": "Safe cycle lanes"}})
    other = decided(db, round_, people, kind="amend", item_key=OTHER_ITEM,
                    texts={"summary": {"de": "Kultur digital für alle."}})
    assert proposal.title_de == "Sichere Radwege überall"
    version = compose(db, people["admin"], version_by_number(db, "1.0"), "2.0", accepted_changes(db, round_)).version
    db.commit()
    assert item_by_key(db, version, ITEM).title_de == "Sichere Radwege überall"
    assert item_by_key(db, version, ITEM).title_en == "Safe cycle lanes"
    assert item_by_key(db, version, OTHER_ITEM).summary_de == "Kultur digital für alle."
    assert untraceable_keys(db, version) == []
    sources = set(db.scalars(sa.select(VersionChange.proposal_id).where(VersionChange.version_id == version.id)))
    assert sources == {proposal.id, other.id}


def test_two_accepted_proposals_on_one_item_stop_composing_until_one_is_superseded(
        ctx, db, frozen, make_round, people):
    round_ = make_round("consolidation")
    first = decided(db, round_, people, kind="amend", item_key=ITEM, texts={"title": {"de": "Erster Titel"}})
    second = decided(db, round_, people, kind="remove", item_key=ITEM)
    base = version_by_number(db, "1.0")
    with pytest.raises(VersionError) as caught:
        compose(db, people["admin"], base, "2.0", accepted_changes(db, round_))
    db.rollback()
    assert caught.value.code == "conflicts"
    assert f"proposal {first.id}, proposal {second.id}" in caught.value.details[0]
    assert [p.id for p in services.rivals(db, first)] == [second.id]

    with pytest.raises(ProposalError) as refused:
        services.supersede(db, second, people["mod"], first.id, "Der Titel reicht.")
    assert refused.value.code == "not_allowed"
    with pytest.raises(ProposalError) as refused:
        services.supersede(db, second, people["admin"], first.id, "  ")
    assert refused.value.code == "reason_required"
    with pytest.raises(ProposalError) as refused:
        services.supersede(db, second, people["admin"], second.id, "Sich selbst?")
    assert refused.value.code == "invalid_supersede"

    services.supersede(db, second, people["admin"], first.id, "Der neue Titel genügt; das Ziel bleibt.")
    db.commit()
    assert second.superseded_by_id == first.id and services.rivals(db, first) == []
    entry = db.scalars(sa.select(AuditEntry).where(AuditEntry.action == "proposal.superseded")).one()
    assert (entry.object_id, entry.reason, entry.details) == (second.id, "Der neue Titel genügt; das Ziel bleibt.",
                                                              {"by": first.id})
    version = compose(db, people["admin"], base, "2.0", accepted_changes(db, round_)).version
    db.commit()
    assert item_by_key(db, version, ITEM).title_de == "Erster Titel"
    with pytest.raises(ProposalError):  # once superseded, not again
        services.supersede(db, second, people["admin"], first.id, "Nochmal")


def test_superseding_in_the_browser_form(app, db, frozen, make_round, people, client, login):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        round_ = make_round("consolidation")
        first = decided(db, round_, people, kind="amend", item_key=ITEM, texts={"title": {"de": "Erster Titel"}})
        second = decided(db, round_, people, kind="keep", item_key=ITEM)
    login(MOD)
    page = client.get(f"/moderation/vorschlaege/{second.id}").get_data(as_text=True)
    assert "ersetzt" not in page  # moderators see no form
    assert client.post(f"/moderation/vorschlaege/{second.id}/ersetzt", data={"by": first.id, "reason": "x",
                       "csrf_token": client.csrf_token()}).status_code == 403
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    login(ADMIN)
    page = client.get(f"/moderation/vorschlaege/{second.id}").get_data(as_text=True)
    assert f'action="/moderation/vorschlaege/{second.id}/ersetzt"' in page
    assert client.post(f"/moderation/vorschlaege/{second.id}/ersetzt", data={"by": first.id, "reason": "",
                       "csrf_token": client.csrf_token()}).status_code == 422
    response = client.post(f"/moderation/vorschlaege/{second.id}/ersetzt",
                           data={"by": first.id, "reason": "Die Änderung des Titels genügt.",
                                 "csrf_token": client.csrf_token()})
    assert response.status_code == 302
    db.expire_all()
    assert db.get(type(second), second.id).superseded_by_id == first.id
    page = client.get(f"/moderation/vorschlaege/{second.id}").get_data(as_text=True)
    assert f'href="/moderation/vorschlaege/{first.id}"' in page


def test_outcomes_name_the_published_version_everywhere(app, db, frozen, make_round, people, client, login):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        round_ = make_round("consolidation")
        comment = add_comment(db, round_, people["anna"], "Sichere Radwege, bitte.")
        other = add_comment(db, round_, people["anna"], "Eine Frage.", key=OTHER_ITEM, stance="question")
        proposal = decided(db, round_, people, kind="amend", item_key=ITEM,
                           texts={"title": {"de": "Sichere Radwege überall"}}, comment_ids=[comment.id])
        services.set_outcome(db, round_, [other.id], people["mod"], "noted", "Danke für die Frage.")
        from participation.rounds import services as rounds
        assert rounds.advance(db, round_, people["admin"]) == "published"
        version = compose(db, people["admin"], version_by_number(db, "1.0"), "2.0",
                          accepted_changes(db, round_)).version
        db.commit()
        assert services.outcomes_for(db, [comment.id])[comment.id].version is None  # a draft is not yet it
        publish(db, people["admin"], version)
        db.commit()
    db.expire_all()
    assert services.outcomes_for(db, [comment.id])[comment.id].version == "2.0"
    assert services.outcomes_for(db, [other.id])[other.id].version is None  # no proposal, no version

    login("anna@example.org")
    mine = {c["id"]: c for c in client.get("/api/v1/me/comments").get_json()["comments"]}
    assert mine[comment.id]["outcome"]["version"] == "2.0"
    assert mine[comment.id]["outcome"]["proposal"] == proposal.id
    assert mine[other.id]["outcome"]["version"] is None
    link = '<a class="outcome-version" href="/strategie/versionen/2.0">übernommen in Version 2.0</a>'
    assert link in client.get("/konto/beitraege").get_data(as_text=True)
    assert link in client.get(f"/runden/{round_.id}/abwaegung").get_data(as_text=True)
    assert link in client.get(f"/runden/{round_.id}/beitraege/{comment.id}").get_data(as_text=True)
    assert link in client.get(f"/runden/{round_.id}/{ITEM}").get_data(as_text=True)
    data = client.get("/konto/daten").get_json()
    exported = {row["comment"]: row for row in data["comment_outcomes"]}
    assert exported[comment.id]["version"] == "2.0" and exported[comment.id]["outcome"] == "incorporated"
    assert exported[other.id]["explanation"] == "Danke für die Frage."
    # The Synopse names the proposal with its title and the reason of the decision, and links it.
    synopsis = client.get("/strategie/versionen/1.0/vergleich/2.0/synopse").get_data(as_text=True)
    assert f'href="/vorschlaege/{proposal.id}"' in synopsis and "Sichere Radwege überall" in synopsis
    assert proposal.decision_reason and str(escape(proposal.decision_reason)) in synopsis
    assert client.get(f"/vorschlaege/{proposal.id}").status_code == 302


def test_workbench_and_evidence_carry_the_items_consensus_and_division(app, db, frozen, make_round, people,
                                                                       client, login):
    from .test_ratings import _rate_many

    with app.test_request_context(headers={"Accept-Language": "en"}):
        round_ = make_round("consolidation")
        _rate_many(db, round_, ITEM, [5, 5, 4, 4, 2, 1, 3, 0])
        proposal = services.create_proposal(db, round_, people["mod"], ProposalData(
            kind="keep", item_key=ITEM, rationale_de="Breite Zustimmung"))
        services.transition(db, proposal, people["mod"], "in_review")
        db.commit()
    figures = proposal.evidence["analysis"]
    assert figures["key"] == ITEM and figures["answered"] == 7
    assert figures["share_agree"] == pytest.approx(4 / 7, abs=0.01)
    assert set(figures) >= {"consensus", "divisive", "divided", "uncertain", "share_uncertain", "groups"}

    login(MOD)
    bench = client.get(f"/moderation/runden/{round_.id}/{ITEM}").get_data(as_text=True)
    assert 'id="analysis-title">Consensus and division</h2>' in bench and "7 answers" in bench
    shown = client.get(f"/moderation/vorschlaege/{proposal.id}").get_data(as_text=True)
    assert "Consensus and division (frozen when submitted for review)" in shown
    api = client.get(f"/api/v1/proposals/{proposal.id}").get_json()["proposal"]
    assert api["evidence"]["analysis"]["answered"] == 7
    # An item nobody rated has no analysis section.
    other = client.get(f"/moderation/runden/{round_.id}/{OTHER_ITEM}").get_data(as_text=True)
    assert 'id="analysis-title"' not in other


def test_every_change_of_a_version_composed_from_proposals_links_to_an_accepted_proposal(
        ctx, db, frozen, make_round, people):
    """The invariant over a whole published version, with the changes made by real proposals."""
    from participation.proposals.models import Proposal
    from participation.versions.services import compare

    round_ = make_round("consolidation")
    decided(db, round_, people, kind="amend", item_key=ITEM, texts={"body": {"de": "Neuer Text."}})
    decided(db, round_, people, kind="add", place_kind="coordinate", texts={"title": {"de": "Gemeinwohl"}})
    decided(db, round_, people, kind="remove", item_key=OTHER_ITEM)
    decided(db, round_, people, kind="keep", item_key="leitkoordinate-1")
    version = compose(db, people["admin"], version_by_number(db, "1.0"), "2.0", accepted_changes(db, round_)).version
    publish(db, people["admin"], version)
    db.commit()
    entries = [e for e in compare(db, version.based_on, version) if e.change != "unchanged"]
    assert {e.change for e in entries} == {"changed", "added", "removed"}
    for entry in entries:
        assert entry.proposals or entry.editorial, entry.key
        for proposal_id in entry.proposals:
            proposal = db.get(Proposal, proposal_id)
            assert proposal.round_id == round_.id and proposal.state in ("accepted", "accepted_modified")
    assert untraceable_keys(db, version) == []
