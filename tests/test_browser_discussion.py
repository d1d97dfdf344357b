"""The discussion and its moderation in a real browser, checked with axe-core (WCAG 2.1 AA):
write with JavaScript, reply and report without, then a moderator hides the comment.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from .browser_support import Tab
from .conftest import PASSWORD

pytestmark = pytest.mark.browser
ITEM = "mobilitaet-verkehr/zielbild-2"


@pytest.fixture(scope="module")
def setup(live_server):
    """An open round, two residents, a moderator and an admin."""
    from participation import db
    from participation.accounts import services as accounts
    from participation.rounds import services as rounds
    from participation.strategy.services import version_by_number

    with live_server.app.test_request_context(method="POST"):
        session = db.session()
        version = version_by_number(session, "1.0")
        now = datetime.now(UTC)
        round_ = rounds.create_round(session, rounds.RoundData(
            version=version, title_de="Diskussionsrunde", title_en="Discussion round",
            description_de=None, description_en=None,
            opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=30),
            item_ids=[i.id for i in rounds.rateable_items(session, version)], report_threshold=3))
        for email, role, language in (("anna@example.org", "resident", "de"), ("ben@example.org", "resident", "en"),
                                      ("mod@example.org", "moderator", "en"), ("admin@example.org", "admin", "de")):
            user = accounts.create_user(session, email, email.split("@")[0].title(), role, PASSWORD)
            user.language = language
        session.commit()
        return round_.id


def log_in(tab: Tab, email: str) -> None:
    tab.goto("/login")
    tab.page.fill("#email", email)
    tab.page.fill("#password", PASSWORD)
    with tab.page.expect_navigation():
        tab.page.locator("main form button[type=submit]").click()


def test_discussion_write_reply_report_and_moderate(browser, open_tab, live_server, setup):
    round_id = setup
    item_url = f"/runden/{round_id}/{ITEM}"

    # Anna writes a comment, with JavaScript: the counter shows what is left.
    anna = open_tab("de-DE")
    log_in(anna, "anna@example.org")
    anna.goto(item_url)
    page = anna.page
    page.locator("#comment-stance-suggestion").check()
    page.fill("#comment-body", "Bitte mehr **Fahrradstraßen** in den Stadtteilen.")
    counter = page.locator("#comment-form").inner_text()
    assert "3.000" in counter or "3000" in counter
    with page.expect_navigation():
        page.locator("#comment-form button[type=submit]").click()
    assert "Fahrradstraßen" in page.locator("#diskussion").inner_text()
    assert page.locator("#diskussion strong", has_text="Fahrradstraßen").count() == 1
    anna.check_axe()
    anna.screenshot("discussion-de")
    anna.assert_csp_held()

    # Ben replies and reports it, without JavaScript.
    context = browser.new_context(locale="en-US", java_script_enabled=False)
    try:
        ben = Tab(context, live_server.base_url)
        log_in(ben, "ben@example.org")
        ben.goto(item_url)
        body = ben.page.locator("#diskussion").inner_text()
        assert "Suggestion" in body and "Fahrradstraßen" in body
        comment = ben.page.locator("#diskussion article").first
        comment_id = comment.get_attribute("id").split("-")[-1]
        ben.goto(f"/runden/{round_id}/beitraege/{comment_id}/antworten")
        ben.page.locator("input[name=stance][value=question]").check()
        ben.page.locator("textarea[name=body]").fill("Which districts first?")
        with ben.page.expect_navigation():
            ben.page.locator("main form button[type=submit]").click()
        assert "Which districts first?" in ben.page.locator("main").inner_text()
        ben.goto(f"/runden/{round_id}/beitraege/{comment_id}/melden")
        ben.page.locator("input[name=reason][value=spam]").check()
        with ben.page.expect_navigation():
            ben.page.locator("main form button[type=submit]").click()
        assert "report" in ben.page.locator(".flashes").inner_text().lower()
    finally:
        context.close()

    # The moderator finds it in the queue and hides it with a reason.
    mod = open_tab("en-US")
    log_in(mod, "mod@example.org")
    mod.goto("/moderation")
    queue = mod.page.locator("main").inner_text()
    assert "Fahrradstraßen" in queue and "Spam" in queue
    mod.check_axe()
    mod.screenshot("moderation-queue-en")
    mod.goto(f"/moderation/beitraege/{comment_id}")
    mod.check_axe()
    mod.page.locator("summary", has_text="Hide this comment").first.click()  # opens the panel
    hide_form = mod.page.locator(f"form[action$='/moderation/beitraege/{comment_id}/ausblenden']")
    hide_form.locator("select").select_option("spam")
    hide_form.locator("textarea, input[type=text]").first.fill("Advertising")
    with mod.page.expect_navigation():
        hide_form.locator("button[type=submit]").click()
    mod.assert_csp_held()

    # Everybody now sees the notice instead of the text; the reply stays.
    visitor = open_tab("de-DE")
    visitor.goto(item_url)
    discussion = visitor.page.locator("#diskussion").inner_text()
    assert "Von der Moderation ausgeblendet: Spam" in discussion
    assert "Fahrradstraßen" not in discussion
    visitor.check_axe()
    visitor.goto(f"/runden/{round_id}/transparenz")
    assert "Spam" in visitor.page.locator("main").inner_text()
    visitor.check_axe()

    # The admin reads the audit log.
    admin = open_tab("de-DE")
    log_in(admin, "admin@example.org")
    admin.goto("/verwaltung/protokoll")
    assert "Advertising" in admin.page.locator("main").inner_text()
    admin.check_axe()
    admin.screenshot("audit-log-de")
