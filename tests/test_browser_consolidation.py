"""The whole consolidation loop in a real browser, checked with axe-core (WCAG 2.1 AA) on every
page: a moderator selects comments by keyboard and writes a proposal (the word diff follows the
typing), a second moderator recommends it without JavaScript, the admin decides, sets an outcome
in bulk and publishes; the resident then sees what became of the comments, in German.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from .browser_support import Tab
from .conftest import PASSWORD

pytestmark = pytest.mark.browser
ITEM = "mobilitaet-verkehr/zielbild-2"


@pytest.fixture(scope="module")
def setup(live_server):
    """A closed round with two comments by Anna; two moderators and an admin."""
    from participation import db
    from participation.accounts import services as accounts
    from participation.comments.models import Comment
    from participation.rounds import services as rounds
    from participation.strategy.services import version_by_number

    with live_server.app.test_request_context(method="POST"):
        session = db.session()
        version = version_by_number(session, "1.0")
        now = datetime.now(UTC)
        items = rounds.rateable_items(session, version)
        round_ = rounds.create_round(session, rounds.RoundData(
            version=version, title_de="Konsolidierungsrunde", title_en="Consolidation round",
            description_de=None, description_en=None,
            opens_at=now - timedelta(days=30), closes_at=now - timedelta(days=1),
            item_ids=[i.id for i in items]))
        people = {}
        for email, role, language in (("anna@example.org", "resident", "de"), ("mod@example.org", "moderator", "en"),
                                      ("mod2@example.org", "moderator", "de"), ("admin@example.org", "admin", "de")):
            people[email] = accounts.create_user(session, email, email.split("@")[0].title(), role, PASSWORD)
            people[email].language = language
        session.flush()
        item = next(i for i in items if i.key == ITEM)
        ids = []
        for body, stance in (("Die Radwege sind zu schmal.", "criticism"), ("Danke für die Strategie!", "support"),
                             ("Wer bezahlt das?", "question")):
            comment = Comment(round_id=round_.id, item_id=item.id, author_id=people["anna@example.org"].id,
                              stance=stance, body=body, body_html=f"<p>{body}</p>", created_at=now - timedelta(days=5))
            session.add(comment)
            session.flush()
            ids.append(comment.id)
        session.commit()
        return round_.id, ids


def log_in(tab: Tab, email: str) -> None:
    tab.goto("/login")
    tab.page.fill("#email", email)
    tab.page.fill("#password", PASSWORD)
    with tab.page.expect_navigation():
        tab.page.locator("main form button[type=submit]").click()


def transition(tab: Tab, label: str, reason: str | None = None) -> None:
    exact = re.compile(rf"^\s*{re.escape(label)}\s*$")
    box = tab.page.locator("details.transition", has=tab.page.locator("summary", has_text=exact))
    box.locator("summary").click()
    if reason is not None:
        box.locator("textarea[name=reason]").fill(reason)
    with tab.page.expect_navigation():
        box.locator("button[type=submit]").click()


def test_consolidation_loop(browser, open_tab, live_server, setup):
    round_id, (criticism, praise, _question) = setup

    # The moderator, in English with JavaScript: the workbench, a selection by keyboard, the editor.
    mod = open_tab("en-US")
    log_in(mod, "mod@example.org")
    mod.goto(f"/moderation/runden/{round_id}")
    mod.screenshot("workbench-en")
    assert "0 of 3 comments have an outcome" in mod.page.locator("main").inner_text()
    mod.check_axe()
    mod.goto(f"/moderation/runden/{round_id}/{ITEM}")
    mod.check_axe()
    mod.screenshot("workbench-item-en")
    mod.page.focus(f"#select-{criticism}")
    mod.page.keyboard.press("Space")
    assert mod.page.locator(f"#select-{criticism}").is_checked()
    mod.page.focus("button[value=select]")
    with mod.page.expect_navigation():
        mod.page.keyboard.press("Enter")
    assert mod.page.locator(f"#cite-{criticism}").is_checked()
    title = mod.page.locator("#title_de")
    title.fill("Breite und sichere Radwege")
    mod.page.wait_for_selector("#diff-title_de ins")
    assert "Breite" in mod.page.locator("#diff-title_de ins").first.inner_text()
    mod.page.fill("#rationale_de", "Die Beiträge fordern breitere Radwege.")
    mod.check_axe()
    mod.screenshot("proposal-editor-en")
    with mod.page.expect_navigation():
        mod.page.locator("button[value=save]").click()
    proposal_url = mod.page.url.removeprefix(live_server.base_url)
    transition(mod, "Submit for review")
    assert "In review" in mod.page.locator("h1").inner_text()
    assert "Four eyes" in mod.page.locator("main").inner_text()
    mod.check_axe()
    mod.assert_csp_held()

    # A second moderator recommends it, in German and without JavaScript.
    context = browser.new_context(locale="de-DE", java_script_enabled=False)
    try:
        mod2 = Tab(context, live_server.base_url)
        log_in(mod2, "mod2@example.org")
        mod2.goto(proposal_url)
        transition(mod2, "Empfehlen", "Gut belegt.")
        assert "Empfohlen" in mod2.page.locator("h1").inner_text()
    finally:
        context.close()

    # The admin decides, gives the praise an outcome in bulk, and publishes the round.
    admin = open_tab("de-DE")
    log_in(admin, "admin@example.org")
    admin.goto(proposal_url)
    admin.check_axe()
    admin.page.locator("summary", has_text="Mit Änderungen annehmen").click()
    admin.screenshot("proposal-review-de")
    transition(admin, "Annehmen", "Wird in Version 2.0 übernommen.")
    assert "Angenommen" in admin.page.locator("h1").inner_text()
    admin.goto(f"/moderation/runden/{round_id}/{ITEM}")
    admin.page.locator(f"#select-{praise}").check()
    admin.page.select_option("#outcome-outcome", "noted")
    admin.page.fill("#outcome-explanation", "Danke für das Lob!")
    with admin.page.expect_navigation():
        admin.page.locator("button[value=outcome]").click()
    assert "2 von 3 Beiträgen haben eine Berücksichtigung" in admin.page.locator("main").inner_text()
    admin.goto(f"/verwaltung/runden/{round_id}")
    with admin.page.expect_navigation():
        admin.page.locator("form[action$='/weiter'] button[type=submit]").click()  # start consolidation
    # One question has no outcome: publishing needs a written reason, which becomes public.
    assert "1 Beitrag hat noch keine Berücksichtigung" in admin.page.locator("main").inner_text()
    admin.check_axe()
    with admin.page.expect_navigation():  # publishing cannot be undone: a page asks first
        admin.page.locator("a[href$='/bestaetigen']").click()
    assert "1 Beitrag hat noch keine Berücksichtigung" in admin.page.locator("main").inner_text()
    admin.check_axe()
    with admin.page.expect_navigation():
        admin.page.locator("form[action$='/weiter'] button[type=submit]").click()
    assert "1 Beitrag hat noch keine Berücksichtigung" in admin.page.locator(".flashes").inner_text()
    admin.page.fill("#override_reason", "Der Rat berät am Montag; die Frage beantwortet die Kämmerei.")
    with admin.page.expect_navigation():
        admin.page.locator("form[action$='/weiter'] button[type=submit]").click()
    assert "veröffentlicht" in admin.page.locator(".flashes").inner_text()
    admin.goto(f"/runden/{round_id}/transparenz")
    assert "die Frage beantwortet die Kämmerei" in admin.page.locator("main").inner_text()
    admin.check_axe()
    admin.assert_csp_held()

    # Anna sees what became of her comments.
    anna = open_tab("de-DE")
    log_in(anna, "anna@example.org")
    anna.goto(f"/runden/{round_id}/{ITEM}")
    discussion = anna.page.locator("#diskussion").inner_text()
    assert "Berücksichtigung: Berücksichtigt" in discussion and "Danke für das Lob!" in discussion
    anna.check_axe()
    anna.goto("/konto/beitraege")
    assert "Zur Kenntnis genommen" in anna.page.locator("main").inner_text()
    anna.check_axe()
    anna.goto(f"/runden/{round_id}/vorschlaege")
    assert "Wird in Version 2.0 übernommen." in anna.page.locator("main").inner_text()
    anna.check_axe()
    anna.screenshot("proposals-public-de")
    anna.goto(f"/runden/{round_id}/abwaegung")
    table = anna.page.locator("main").inner_text()
    assert "Die Radwege sind zu schmal." in table and "Berücksichtigt" in table
    anna.check_axe()
    anna.page.emulate_media(media="print")
    assert not anna.page.locator("header.site-header").is_visible()
    anna.screenshot("consideration-table-print-de")
    anna.assert_csp_held()
