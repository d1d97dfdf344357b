"""The next strategy version in a real browser: an admin composes 2.0 from a round's accepted
proposals, edits a text, compares and publishes — by keyboard; a resident then reads the diff,
the item's history and the superseded 1.0. Every page is checked with axe-core (WCAG 2.1 AA).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from .conftest import PASSWORD
from .proposal_support import add_comment
from .test_browser_rounds import log_in

pytestmark = pytest.mark.browser
TARGET = "mobilitaet-verkehr/zielbild-2"
NEW_TITLE = "Vernetzte Mobilität für alle Stadtteile"


@pytest.fixture(scope="module")
def closed_round(live_server):
    from participation import db
    from participation.accounts import services as accounts
    from participation.accounts.models import User
    from participation.proposals import services as proposals
    from participation.proposals.services import ProposalData
    from participation.rounds import services as rounds
    from participation.strategy.services import version_by_number

    app = live_server.app
    with app.test_request_context(method="POST"):
        session = db.session()
        version = version_by_number(session, "1.0")
        now = datetime.now(UTC)
        round_ = rounds.create_round(session, rounds.RoundData(
            version=version, title_de="Herbstrunde", title_en="Autumn round",
            description_de="Bewerten Sie die Strategie.", description_en="Rate the strategy.",
            opens_at=now - timedelta(days=30), closes_at=now - timedelta(days=1),
            item_ids=[i.id for i in rounds.rateable_items(session, version)]))
        accounts.create_user(session, "admin@example.org", "Admin", "admin", PASSWORD)
        resident = accounts.create_user(session, "resident@example.org", "Rita", "resident", PASSWORD)
        resident.language = "en"
        resident.notify_strategy_updates = True
        moderator = accounts.create_user(session, "mod@example.org", "Moritz", "moderator", PASSWORD)
        reviewer = accounts.create_user(session, "mod2@example.org", "Mira", "moderator", PASSWORD)
        admin = session.scalar(sa.select(User).where(User.email == "admin@example.org"))
        session.commit()
        # The resident's comment, the consolidation, and two accepted proposals (one cites it).
        assert rounds.advance(session, round_, admin) == "consolidation"
        comment = add_comment(session, round_, resident, "Bitte die Stadtteile besser vernetzen.", key=TARGET)
        accepted = []
        for data in (
            ProposalData(kind="amend", item_key=TARGET, texts={"title": {"de": NEW_TITLE, "en": "Connected mobility"}},
                         rationale_de="Viele wünschen Vernetzung.", comment_ids=[comment.id]),
            ProposalData(kind="add", place_kind="target", place_parent_key="wohnen-leben", place_position=4,
                         texts={"title": {"de": "Offene Daten im Quartier", "en": "Open data in the neighbourhood"}},
                         rationale_de="Neu aus der Runde."),
        ):
            proposal = proposals.create_proposal(session, round_, moderator, data)
            proposals.transition(session, proposal, moderator, "in_review")
            proposals.transition(session, proposal, reviewer, "recommended")
            proposals.transition(session, proposal, admin, "accepted", "Überzeugend begründet.")
            accepted.append(proposal.id)
        assert rounds.advance(session, round_, admin) == "published"
        session.commit()
        return SimpleNamespace(id=round_.id, proposal=accepted[0], comment=comment.id)


def test_admin_composes_edits_compares_publishes_and_a_resident_reads_it(
        open_tab, live_server, closed_round, mailbox):
    # Composing takes the round's accepted proposals (consolidation, step 5).
    tab = open_tab("de-DE")
    page = tab.page
    log_in(tab, "admin@example.org")

    # Compose, by keyboard.
    tab.goto("/verwaltung/strategie")
    tab.check_axe()
    page.focus("#round")
    page.select_option("#round", str(closed_round.id))
    page.focus("#number")
    page.keyboard.type("2.0")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/verwaltung/strategie/2.0")
    assert "Entwurf 2.0 wurde zusammengestellt: 1 geändert, 1 hinzugefügt, 0 entfernt" in page.inner_text("main")
    tab.check_axe()
    tab.screenshot("versions-admin-draft-de")

    # Edit a text in the draft, with a reason.
    page.focus(f"a[href='/verwaltung/strategie/2.0/{TARGET}/bearbeiten']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab.check_axe()
    tab.screenshot("versions-admin-edit-de")
    body = page.input_value("#body_de")
    page.fill("#body_de", body.replace("Münster", "die Stadt Münster", 1) + "\n\nEin neuer Absatz.")
    page.fill("#reason", "Mit der Antragstellerin abgestimmt")
    page.focus("main form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Mit der Antragstellerin abgestimmt" in page.inner_text("main")

    # Compare, inline and side by side.
    tab.goto("/strategie/versionen/1.0/vergleich/2.0")
    tab.check_axe()
    assert page.locator("ins").count() >= 2 and f"Vorschlag {closed_round.proposal}" in page.inner_text("main")
    assert page.locator("ins .visually-hidden").first.inner_text().strip() == "eingefügt:"
    tab.screenshot("versions-compare-de")
    tab.goto("/strategie/versionen/1.0/vergleich/2.0?ansicht=nebeneinander")
    tab.check_axe()
    tab.screenshot("versions-compare-side-de")
    tab.goto("/strategie/versionen/1.0/vergleich/2.0/synopse")
    tab.check_axe()
    tab.page.emulate_media(media="print")
    tab.screenshot("versions-synopsis-print-de")
    tab.page.emulate_media(media="screen")

    # Publish after the confirmation page.
    tab.goto("/verwaltung/strategie/2.0/veroeffentlichen")
    tab.check_axe()
    tab.screenshot("versions-publish-de")
    page.fill("#council_reference", "V/0123/2027")
    page.focus("#confirm")
    page.keyboard.press("Space")
    page.focus("main form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Version 2.0 ist veröffentlicht" in page.inner_text("main")
    tab.assert_csp_held()

    # The opted-in resident got one mail, in English.
    mail = mailbox.last_to("resident@example.org")
    assert mail["Subject"] == "The strategy has been updated: version 2.0"
    assert "/strategie/versionen/1.0/vergleich/2.0" in mail.get_content()

    # A resident (English) reads the diff, the history and the superseded 1.0, without logging in.
    reader = open_tab("en-US")
    reader.goto("/strategie/versionen/1.0/vergleich/2.0")
    assert reader.lang() == "en"
    reader.check_axe()
    text = reader.page.inner_text("main")
    assert f"Proposal {closed_round.proposal}" in text and "Mit der Antragstellerin abgestimmt" in text
    reader.goto(f"/strategie/{TARGET}/verlauf")
    reader.check_axe()
    reader.screenshot("versions-history-en")
    assert "Autumn round" in reader.page.inner_text("main")
    reader.goto(f"/strategie/versionen/1.0/{TARGET}")
    reader.check_axe()
    assert "superseded by version 2.0" in reader.page.inner_text("main")
    reader.goto("/strategie")
    assert "Connected mobility" in reader.page.inner_text("main")
    reader.assert_csp_held()

    # The resident logs in and sees what became of the comment: incorporated into version 2.0.
    log_in(reader, "resident@example.org")
    reader.goto("/konto/beitraege")
    reader.check_axe()
    reader.screenshot("versions-my-comments-en")
    link = reader.page.locator("a.outcome-version")
    assert link.inner_text().strip() == "incorporated into version 2.0"
    assert link.get_attribute("href") == "/strategie/versionen/2.0"
    reader.goto(f"/runden/{closed_round.id}/beitraege/{closed_round.comment}")
    reader.check_axe()
    assert "incorporated into version 2.0" in reader.page.inner_text("main")
    reader.goto(f"/runden/{closed_round.id}/abwaegung")
    reader.check_axe()
    assert "incorporated into version 2.0" in reader.page.inner_text("main")
    reader.assert_csp_held()
