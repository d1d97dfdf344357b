"""A consultation round in a real browser: rating with and without JavaScript, by keyboard,
results and code pages, each checked with axe-core (WCAG 2.1 AA) in German and English.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from participation.ratings.models import Rating

from .browser_support import Tab
from .conftest import PASSWORD

pytestmark = pytest.mark.browser
ITEM = "mobilitaet-verkehr/zielbild-2"


@pytest.fixture(scope="module")
def open_round(live_server):
    """An open round with importance and live results, plus two residents."""
    from participation import db
    from participation.accounts import services as accounts
    from participation.rounds import services as rounds
    from participation.strategy.services import version_by_number

    app = live_server.app
    with app.test_request_context(method="POST"):
        session = db.session()
        version = version_by_number(session, "1.0")
        now = datetime.now(UTC)
        round_ = rounds.create_round(session, rounds.RoundData(
            version=version, title_de="Winterrunde", title_en="Winter round",
            description_de="Bewerten Sie die Strategie.", description_en="Rate the strategy.",
            opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=30),
            item_ids=[i.id for i in rounds.rateable_items(session, version)],
            asks_importance=True, results_visibility="live"))
        for email, language in (("de@example.org", "de"), ("en@example.org", "en"), ("nojs@example.org", "de"),
                                ("keys@example.org", "en")):
            user = accounts.create_user(session, email, email.split("@")[0], "resident", PASSWORD)
            user.language = language
        session.commit()
        return round_.id


def log_in(tab, email: str, next_path: str = "") -> None:
    tab.goto("/login" + (f"?next={next_path}" if next_path else ""))
    tab.page.fill("#email", email)
    tab.page.fill("#password", PASSWORD)
    with tab.page.expect_navigation():
        tab.page.locator("main form button[type=submit]").click()


def stored(live_server, round_id: int, email: str) -> dict:
    from participation import db
    from participation.accounts.models import User

    with live_server.app.app_context():
        rows = db.session().execute(
            sa.select(Rating.question, Rating.value).join(User, User.id == Rating.user_id)
            .where(Rating.round_id == round_id, User.email == email))
        return dict(rows.all())


@pytest.mark.parametrize(("email", "locale", "lang", "legend"), [
    ("de@example.org", "de-DE", "de", "Wie sehr stimmen Sie diesem Zielbild zu?"),
    ("en@example.org", "en-US", "en", "How far do you agree with this target picture?"),
])
def test_round_pages_are_accessible(open_tab, live_server, open_round, email, locale, lang, legend):
    tab = open_tab(locale)
    for path in (f"/runden/{open_round}", f"/runden/{open_round}/ergebnisse", "/runden"):
        tab.goto(path)
        assert tab.lang() == lang
        tab.check_axe()
    log_in(tab, email)
    for path in (f"/runden/{open_round}", f"/runden/{open_round}/{ITEM}", f"/runden/{open_round}/code"):
        tab.goto(path)
        assert tab.lang() == lang
        tab.check_axe()
    tab.goto(f"/runden/{open_round}/{ITEM}")
    assert tab.page.locator("fieldset.scale legend").first.inner_text().strip() == legend
    tab.screenshot(f"round-item-{lang}")
    tab.assert_csp_held()


def test_visitor_logs_in_and_comes_back_to_the_item(open_tab, open_round):
    tab = open_tab("de-DE")
    tab.goto(f"/runden/{open_round}/{ITEM}")
    with tab.page.expect_navigation():
        tab.page.get_by_role("link", name="Anmelden").last.click()
    tab.page.fill("#email", "de@example.org")
    tab.page.fill("#password", PASSWORD)
    with tab.page.expect_navigation():
        tab.page.locator("main form button[type=submit]").click()
    assert tab.page.url.endswith(f"/runden/{open_round}/{ITEM}")
    assert tab.page.locator("fieldset.scale").count() == 2


def test_rating_without_javascript_by_keyboard(browser, live_server, open_round):
    context = browser.new_context(locale="de-DE", java_script_enabled=False)
    try:
        tab = Tab(context, live_server.base_url)
        log_in(tab, "nojs@example.org")
        tab.goto(f"/runden/{open_round}/{ITEM}")
        page = tab.page
        page.focus("#agreement-4")
        page.keyboard.press("Space")
        page.focus("#importance-5")
        page.keyboard.press("Space")
        page.focus("button[value=save]")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        flashes = page.locator(".flashes").inner_text()
        assert "Zustimmung gespeichert: stimme eher zu." in flashes
        assert "Wichtigkeit gespeichert: sehr wichtig." in flashes
        assert page.locator("#agreement-4").is_checked()
        assert "1 von 26 bewertet" in page.locator("main").inner_text()
        next_link = page.get_by_role("link", name="Weiter zum nächsten Element ohne Bewertung:", exact=False)
        assert next_link.is_visible()
        assert stored(live_server, open_round, "nojs@example.org") == {"agreement": 4, "importance": 5}
        tab.screenshot("round-item-saved-nojs-de")
        with page.expect_navigation():
            page.locator("button[value=withdraw]").click()
        assert stored(live_server, open_round, "nojs@example.org") == {}
    finally:
        context.close()


def test_arrow_keys_save_the_choice_they_rest_on(open_tab, live_server, open_round):
    """Arrow keys choose at every step of a radio group: what is stored is the last choice, sent
    once the keys rest, and a screen reader hears one confirmation for it."""
    tab = open_tab("en-US")
    log_in(tab, "keys@example.org")
    tab.goto(f"/runden/{open_round}/{ITEM}")
    page = tab.page
    page.focus("#agreement-1")
    page.keyboard.press("Space")
    status = page.locator("#rating-status")
    status.filter(has_text="Agreement saved: Strongly disagree.").wait_for()
    puts: list[str] = []
    page.on("request", lambda request: puts.append(request.post_data or "") if request.method == "PUT" else None)
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert page.locator("#agreement-4").is_checked()
    status.filter(has_text="Agreement saved: Tend to agree.").wait_for()
    assert stored(live_server, open_round, "keys@example.org") == {"agreement": 4}
    assert len(puts) == 1 and '"value": 4' in puts[0].replace('"value":4', '"value": 4')  # one save, not three
    page.keyboard.press("ArrowRight")  # then leaves the form at once: the choice still arrives
    page.keyboard.press("Tab")
    status.filter(has_text="Agreement saved: Strongly agree.").wait_for()
    assert stored(live_server, open_round, "keys@example.org") == {"agreement": 5}


def test_rating_with_javascript_saves_at_once(open_tab, live_server, open_round):
    tab = open_tab("en-US")
    log_in(tab, "en@example.org")
    tab.goto(f"/runden/{open_round}/{ITEM}")
    page = tab.page
    url = page.url
    page.get_by_label("Strongly agree").check()
    status = page.locator("#rating-status")
    status.filter(has_text="Agreement saved: Strongly agree.").wait_for()
    page.get_by_label("Quite important").check()
    status.filter(has_text="Importance saved: Quite important.").wait_for()
    assert page.url == url  # no page load
    assert stored(live_server, open_round, "en@example.org") == {"agreement": 5, "importance": 4}
    # The results on the page are live: reload and read the table.
    tab.goto(f"/runden/{open_round}/{ITEM}")
    assert "Strongly agree" in page.locator(".results").inner_text()
    tab.check_axe()
    tab.screenshot("round-item-results-en")
    tab.goto(f"/runden/{open_round}/ergebnisse?sort=agreement")
    tab.check_axe()
    tab.screenshot("round-results-en")
    tab.assert_csp_held()


def test_round_on_a_narrow_screen(open_tab, open_round):
    tab = open_tab("de-DE", viewport={"width": 390, "height": 844})
    log_in(tab, "de@example.org")
    for path in (f"/runden/{open_round}", f"/runden/{open_round}/{ITEM}", f"/runden/{open_round}/ergebnisse"):
        tab.goto(path)
        overflow = tab.page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert not overflow, path
    tab.screenshot("round-item-390px")
