"""The printable report and the open-data page in a real browser: accessible (axe-core), within
the CSP, and printed to PDF by Chromium (read back with pypdf)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest

from .browser_support import ARTIFACTS
from .conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def published_round(live_server):
    """A published round with ratings from a few residents and a paper ballot."""
    from participation import db
    from participation.accounts import services as accounts
    from participation.comments.models import Comment
    from participation.proposals.models import CommentOutcome, Proposal, ProposalComment
    from participation.ratings import tallies
    from participation.ratings.models import Ballot, Rating
    from participation.rounds import services as rounds
    from participation.strategy.services import version_by_number

    app = live_server.app
    with app.test_request_context(method="POST"):
        session = db.session()
        version = version_by_number(session, "1.0")
        now = datetime.now(UTC)
        items = rounds.rateable_items(session, version)
        round_ = rounds.create_round(session, rounds.RoundData(
            version=version, title_de="Druckrunde", title_en="Print round", description_de=None,
            description_en=None, opens_at=now - timedelta(days=20), closes_at=now - timedelta(days=1),
            item_ids=[i.id for i in items], asks_importance=True))
        round_.stage = "published"
        for n in range(6):
            user = accounts.create_user(session, f"print{n}@example.org", f"Druck{n}", "resident", PASSWORD)
            user.district = "mitte"
            session.flush()
            for k, item in enumerate(items[:5]):
                when = now - timedelta(days=10 - n)
                session.add(Rating(round_id=round_.id, item_id=item.id, user_id=user.id, question="agreement",
                                   value=(n + k) % 6, created_at=when, updated_at=when))
        ballot = Ballot(round_id=round_.id, code="PAPIER-1", channel="paper", district="ost")
        session.add(ballot)
        session.flush()
        session.add(Rating(round_id=round_.id, item_id=items[0].id, ballot_id=ballot.id, question="agreement",
                           value=4))
        # A decided proposal citing a comment, and the comment's outcome (the consolidation part).
        comment = Comment(round_id=round_.id, item_id=items[0].id, author_id=user.id, stance="suggestion",
                          body="Mehr Bänke am Aasee.", body_html="<p>Mehr Bänke am Aasee.</p>", state="visible")
        session.add(comment)
        session.flush()
        proposal = Proposal(round_id=round_.id, kind="amend", item_id=items[0].id, state="accepted",
                            author_id=user.id, title_de="Aufenthaltsqualität am Wasser",
                            rationale_de="Viele wünschen sich Sitzplätze.",
                            decision_reason="Der Rat folgt dem Vorschlag.", decided_at=now - timedelta(hours=2))
        session.add(proposal)
        session.flush()
        session.add(ProposalComment(proposal_id=proposal.id, comment_id=comment.id))
        session.add(CommentOutcome(comment_id=comment.id, outcome="incorporated", explanation="Aufgenommen.",
                                   explicit=False, proposal_id=proposal.id))
        tallies.rebuild(session, round_.id)  # the ratings were written around the rating service
        session.commit()
        return round_.id


def test_report_prints_to_pdf(open_tab, published_round):
    from pypdf import PdfReader

    tab = open_tab()
    tab.goto(f"/runden/{published_round}/bericht")
    tab.check_axe()
    tab.assert_csp_held()
    tab.screenshot("report")
    pdf = tab.page.pdf(format="A4", print_background=True)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "report.pdf").write_bytes(pdf)  # to look at
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Druckrunde" in text
    assert "Beteiligung im Zeitverlauf" in text and "Stadtbezirke" in text
    assert "Vorschläge und Entscheidungen" in text and "Der Rat folgt dem Vorschlag." in text
    assert "Abwägungstabelle" in text and "Mehr Bänke am Aasee." in text and "Aufgenommen." in text
    assert "Teilnehmende\n7" in text or "Teilnehmende 7" in text  # six accounts and one paper ballot
    assert "Die Zahlen als Tabelle" not in text  # the data tables print open, without their toggle
    assert "English" not in text  # the language switch and the navigation stay off the paper


def test_open_data_page_is_accessible(open_tab, published_round):
    tab = open_tab("en-GB")
    tab.goto(f"/runden/{published_round}/daten")
    tab.check_axe()
    tab.assert_csp_held()
    assert tab.page.locator("h2", has_text="Data dictionary").count() == 1
    with tab.page.expect_download() as download:
        tab.page.locator("a", has_text="CSV, open-data format").click()
    assert download.value.suggested_filename == f"runde-{published_round}-csv-offene-daten.zip"
