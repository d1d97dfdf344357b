"""The newcomer's findings in a real browser: the item page after a JavaScript save, a phone
(375 px) and a wide admin screen (1280 px), red fields with the error above, large radio
targets, the confirmation before closing early, the reply form chosen by keyboard without
JavaScript, and WCAG 2.2 target sizes (axe-core with wcag22aa). Screenshots in German and English.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from .browser_support import AXE_WCAG22, TIMEOUT_MS, Tab
from .conftest import PASSWORD

pytestmark = pytest.mark.browser
ITEM = "mobilitaet-verkehr/zielbild-2"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def setup(live_server):
    """An open round with live results and importance; residents, a moderator, an admin; a comment."""
    from participation import db
    from participation.accounts import services as accounts
    from participation.comments import services as comments
    from participation.ratings import services as ratings
    from participation.rounds import services as rounds
    from participation.strategy.services import version_by_number

    with live_server.app.test_request_context(method="POST"):
        session = db.session()
        version = version_by_number(session, "1.0")
        now = datetime.now(UTC)
        round_ = rounds.create_round(session, rounds.RoundData(
            version=version, title_de="Frühjahrsrunde", title_en="Spring round",
            description_de="Bewerten Sie die Strategie.", description_en="Rate the strategy.",
            opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=30),
            item_ids=[i.id for i in rounds.rateable_items(session, version)],
            asks_importance=True, results_visibility="live"))
        people = {}
        for email, role, language in (("lea@example.org", "resident", "de"), ("tom@example.org", "resident", "en"),
                                      ("ida@example.org", "resident", "de"), ("mo@example.org", "moderator", "de"),
                                      ("ad@example.org", "admin", "en")):
            people[email] = accounts.create_user(session, email, email.split("@")[0].title(), role, PASSWORD)
            people[email].language = language
        item = rounds.scope_item(session, round_, ITEM)
        ratings.rate(session, round_, item, people["ida@example.org"], "agreement", 2)
        comment = comments.post_comment(session, round_, item, people["ida@example.org"],
                                        "Wann kommt der Radweg?", "question")
        session.commit()
        return {"round": round_.id, "comment": comment.id}


def log_in(tab: Tab, email: str) -> None:
    tab.goto("/login")
    tab.page.fill("#email", email)
    tab.page.fill("#password", PASSWORD)
    with tab.page.expect_navigation():
        tab.page.locator("main form button[type=submit]").click()


@pytest.mark.parametrize(("email", "locale", "saved", "progress"), [
    ("lea@example.org", "de-DE", "Gespeichert ✓", "1 von 26 bewertet"),
    ("tom@example.org", "en-US", "Saved ✓", "1 of 26 rated"),
])
def test_javascript_save_updates_the_item_page(open_tab, setup, email, locale, saved, progress):
    tab = open_tab(locale)
    log_in(tab, email)
    tab.goto(f"/runden/{setup['round']}/{ITEM}")
    page = tab.page
    url = page.url
    assert page.locator('button[name="action"][value="withdraw"]').count() == 0
    before = page.locator("#live-results").inner_text()
    page.locator("#agreement-5").check()
    # The button says it is saved, the status is announced, and the rest follows from the server.
    page.locator('button[name="action"][value="save"].is-saved').wait_for()
    assert page.locator('button[name="action"][value="save"]').inner_text().strip() == saved
    page.locator("#rating-progress", has_text=progress).wait_for()
    page.locator('button[name="action"][value="withdraw"]').wait_for()
    assert page.locator("#rating-status").get_attribute("aria-live") == "polite"
    assert page.locator("#rating-status").inner_text().strip()
    page.wait_for_function("document.querySelector('#live-results').innerText !== " + repr(before).replace("\\n", "\\\\n"))
    assert page.url == url  # no page load
    # The next change makes the button a plain "save" again until that one is stored too.
    page.locator("#importance-4").check()
    page.locator('button[name="action"][value="save"].is-saved').wait_for()
    tab.check_axe(AXE_WCAG22)
    tab.screenshot(f"ux-item-after-js-save-{locale}")
    tab.assert_csp_held()


@pytest.mark.parametrize(("email", "locale"), [("lea@example.org", "de-DE"), ("tom@example.org", "en-US")])
def test_results_and_item_reflow_on_a_phone(open_tab, setup, email, locale):
    tab = open_tab(locale, viewport=PHONE)
    log_in(tab, email)
    for path, name in ((f"/runden/{setup['round']}/{ITEM}", "item"), (f"/runden/{setup['round']}/ergebnisse", "results"),
                       (f"/runden/{setup['round']}", "round")):
        tab.goto(path)
        page = tab.page
        assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth"), path
        # Chart labels are HTML text of at least 14 px (they no longer shrink with an SVG).
        sizes = page.eval_on_selector_all(".bar-label, .bar-value",
                                          "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))")
        assert all(size >= 14 for size in sizes), (path, sizes)
        if name == "item":
            assert sizes, "the item page shows live results"
            # Radio buttons are large targets: the tile (label) at least 40 px high, the input at least 24 px.
            tile = page.locator("#agreement-5 + label").bounding_box()
            radio = page.locator("#agreement-5").bounding_box()
            assert tile["height"] >= 40 and radio["width"] >= 24 and radio["height"] >= 24
            assert tile["width"] > 200
        if name == "results":
            # The table may scroll inside its region, and then says so.
            region = page.locator(".table-scroll")
            scrolls = region.evaluate("el => el.scrollWidth > el.clientWidth")
            hint = page.locator(".scroll-hint")
            assert not scrolls or hint.is_visible()
        tab.check_axe(AXE_WCAG22)
        tab.screenshot(f"ux-phone-{name}-{locale}")
    tab.assert_csp_held()


def test_invalid_fields_turn_red_with_the_error_above(open_tab):
    tab = open_tab("de-DE")
    tab.goto("/register")
    page = tab.page
    page.fill("#email", "kein-at")
    page.fill("#display_name", "Lea")
    page.fill("#password", "kurz")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    color = page.eval_on_selector("#email", "e => getComputedStyle(e).borderTopColor")
    assert color == "rgb(164, 22, 26)", color  # --danger
    error = page.locator("#email-error").bounding_box()
    field = page.locator("#email").bounding_box()
    assert error["y"] + error["height"] <= field["y"]
    tab.check_axe(AXE_WCAG22)
    tab.screenshot("ux-register-errors-de")


def test_admin_round_page_on_a_wide_screen_and_closing_early(open_tab, setup, live_server):
    from participation import db
    from participation.rounds.models import Round

    for locale in ("de-DE", "en-US"):
        tab = open_tab(locale, viewport=DESKTOP)
        log_in(tab, "ad@example.org")
        tab.goto(f"/verwaltung/runden/{setup['round']}")
        page = tab.page
        # The values of the settings list get the room they need (no narrow column).
        widths = page.eval_on_selector_all(".facts-list dd", "els => els.map(e => e.getBoundingClientRect().width)")
        assert min(widths) >= 400, widths
        tab.check_axe(AXE_WCAG22)
        tab.screenshot(f"ux-admin-round-{locale}")
    # By keyboard and without a script: the confirmation page, then closing.
    page.locator("a[href$='/bestaetigen']").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == "Close this round now?"
    tab.check_axe(AXE_WCAG22)
    tab.screenshot("ux-confirm-close-en")
    with page.expect_navigation():
        page.locator("a", has_text="No, back to the round").click()
    with live_server.app.app_context():
        assert db.session().get(Round, setup["round"]).state == "open"


def test_reply_in_place_by_keyboard_without_javascript(browser, live_server, setup, open_tab):
    context = browser.new_context(locale="de-DE", java_script_enabled=False)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        tab = Tab(context, live_server.base_url)
        log_in(tab, "lea@example.org")
        tab.goto(f"/runden/{setup['round']}/{ITEM}")
        page = tab.page
        assert page.locator("form.reply-form").count() == 0
        page.locator(f"#beitrag-{setup['comment']} a.reply-link").focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.locator("form.reply-form").count() == 1
        form = page.locator(f"#beitrag-{setup['comment']} form#antwort")
        form.locator("#reply-stance-suggestion").check()
        form.locator("textarea").fill("Im Frühjahr, hoffentlich.")
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        assert "Im Frühjahr, hoffentlich." in page.locator(f"#beitrag-{setup['comment']}").inner_text()
        assert page.locator("form.reply-form").count() == 0
        tab.screenshot("ux-reply-in-place-de")  # (axe needs JavaScript: the page is checked above with it)
    finally:
        context.close()
    # The same page with the form open, checked by axe (which needs JavaScript), as a moderator.
    tab = open_tab("de-DE")
    log_in(tab, "mo@example.org")
    tab.goto(f"/runden/{setup['round']}/{ITEM}?antwort={setup['comment']}#antwort")
    assert tab.page.locator("#reply-official").count() == 1
    assert tab.page.locator(f"#beitrag-{setup['comment']} a[href='/moderation/beitraege/{setup['comment']}']").count() == 1
    tab.check_axe(AXE_WCAG22)
    tab.screenshot("ux-reply-as-city-de")
    tab.assert_csp_held()
