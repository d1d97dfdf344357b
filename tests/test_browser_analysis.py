"""The analysis page in a real browser: axe-core (WCAG 2.1 AA) in German and English, on a wide
and a narrow screen, no CSP violations, no horizontal scrolling of the page itself.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import sqlalchemy as sa

from .browser_support import Tab

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def analysed_round(live_server):
    """A closed round with two planted opinion groups, online and offline participants."""
    from participation import db
    from participation.accounts.models import DISTRICTS, User
    from participation.ratings.models import Ballot, Rating
    from participation.rounds import services as rounds
    from participation.strategy.services import version_by_number

    rng = np.random.default_rng(5)
    with live_server.app.test_request_context(method="POST"):
        session = db.session()
        version = version_by_number(session, "1.0")
        items = rounds.rateable_items(session, version)
        now = datetime.now(UTC)
        round_ = rounds.create_round(session, rounds.RoundData(
            version=version, title_de="Auswertungsrunde", title_en="Analysis round",
            description_de="Runde mit Auswertung.", description_en="A round with an analysis.",
            opens_at=now - timedelta(days=30), closes_at=now - timedelta(days=1),
            item_ids=[i.id for i in items], results_visibility="after_close"))
        session.flush()
        rows = []
        for index in range(90):
            view = 5 if index < 55 else 1
            district = DISTRICTS[index % 4]
            if index < 75:
                person = User(email=f"an{index}@example.org", display_name=f"A{index}", confirmed_at=now,
                              district=district)
            else:
                person = Ballot(round_id=round_.id, code=f"P-{index}", channel="paper", district=district)
            session.add(person)
            session.flush()
            owner = {"user_id": person.id} if isinstance(person, User) else {"ballot_id": person.id}
            for position, item in enumerate(items[:20]):
                value = view if position < 12 else 4
                value = int(np.clip(value + rng.integers(-1, 2), 1, 5))
                rows.append(dict(round_id=round_.id, item_id=item.id, question="agreement", value=value, **owner))
        session.execute(sa.insert(Rating), rows)
        session.commit()
        return round_.id


@pytest.mark.parametrize(("locale", "lang", "heading"), [
    ("de-DE", "de", "Meinungsgruppen"),
    ("en-US", "en", "Opinion groups"),
])
def test_analysis_page_is_accessible(open_tab, analysed_round, locale, lang, heading):
    tab: Tab = open_tab(locale)
    tab.goto(f"/runden/{analysed_round}/analyse")
    assert tab.lang() == lang
    assert tab.page.locator("h2#groups").inner_text() == heading
    assert tab.page.locator("svg").count() >= 4
    tab.check_axe()
    tab.assert_csp_held()
    tab.screenshot(f"analysis-{lang}")
    # From the results page by keyboard-reachable link.
    tab.goto(f"/runden/{analysed_round}/ergebnisse")
    tab.page.locator(f'a[href="/runden/{analysed_round}/analyse"]').click()
    assert tab.page.url.endswith(f"/runden/{analysed_round}/analyse")


def test_analysis_page_on_a_narrow_screen(open_tab, analysed_round):
    tab: Tab = open_tab("de-DE", viewport={"width": 360, "height": 740})
    tab.goto(f"/runden/{analysed_round}/analyse")
    tab.check_axe()
    # Wide tables scroll inside their own region; the page itself does not scroll sideways.
    assert tab.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    tab.screenshot("analysis-narrow")
