"""The app in a real browser: accessibility (axe, WCAG 2.1 AA), language, keyboard, layout,
CSP and the registration round trip (fixtures in browser_support.py).
"""

from __future__ import annotations

import time
import uuid

import pytest

from .browser_support import Tab
from .conftest import PASSWORD, Mailbox

pytestmark = pytest.mark.browser

ITEM_PATH = "/strategie/mobilitaet-verkehr/zielbild-2"
LANGUAGES = {
    # language: (browser locale, the nav link to the overview in that language)
    "de": ("de-DE", "Strategie"),
    "en": ("en-US", "Strategy"),
}
PAGES = {
    # name: (path, expected HTTP status); the item page is reached by clicking instead
    "home": ("/", 200),
    "overview": ("/strategie", 200),
    "item": (None, 200),
    "field": ("/strategie/mobilitaet-verkehr", 200),
    "login": ("/login", 200),
    "register": ("/register", 200),
    "not-found": ("/diese-seite-gibt-es-nicht", 404),
}


def open_item_by_click(tab: Tab) -> None:
    tab.goto("/strategie")
    tab.page.locator(f'main a[href="{ITEM_PATH}"]').first.click()
    tab.page.wait_for_url(tab.base_url + ITEM_PATH)
    tab.page.wait_for_load_state()


# --- every page in both languages ----------------------------------------------------------------

@pytest.mark.parametrize("language", list(LANGUAGES))
@pytest.mark.parametrize("name", list(PAGES))
def test_page_is_accessible(open_tab, language, name):
    locale, strategy_label = LANGUAGES[language]
    tab = open_tab(locale)
    path, status = PAGES[name]
    if path is None:
        open_item_by_click(tab)
    else:
        tab.goto(path, status)

    assert tab.lang() == language
    tab.screenshot(f"{name}-{language}")
    tab.check_axe()
    tab.assert_csp_held()
    # Last, so that the checks above still run while German catalogues are not compiled yet.
    nav_link = tab.page.locator('nav.site-nav a[href="/strategie"]').inner_text().strip()
    assert nav_link == strategy_label, (
        f"nav link reads {nav_link!r}, expected {strategy_label!r}"
        + (" (is translations/de/LC_MESSAGES/messages.mo compiled? `make translations`)"
           if language == "de" else "")
    )


# --- language switch -----------------------------------------------------------------------------

def test_language_switch_by_keyboard_is_remembered(open_tab, live_server):
    tab = open_tab("de-DE")
    tab.goto("/strategie/mobilitaet-verkehr")
    assert tab.lang() == "de"

    english = tab.page.locator("form.language-switch button[value=en]")
    assert english.inner_text().strip() == "English"
    assert english.get_attribute("lang") == "en"
    english.focus()
    with tab.page.expect_navigation():
        tab.page.keyboard.press("Enter")
    assert tab.page.url == live_server.url("/strategie/mobilitaet-verkehr")  # back where we were
    assert tab.lang() == "en"
    assert "Strategy" in tab.nav_text()
    assert {c["name"]: c["value"] for c in tab.context.cookies()}.get("lang") == "en"

    # The next page stays English although the browser still asks for German.
    with tab.page.expect_navigation():
        tab.page.locator('nav.site-nav a[href="/strategie"]').click()
    assert tab.lang() == "en"
    german = tab.page.locator("form.language-switch button[value=de]")
    assert german.inner_text().strip() == "Deutsch" and german.get_attribute("lang") == "de"
    tab.assert_csp_held()


# --- keyboard ------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", ITEM_PATH, "/register"])
def test_first_tab_reaches_skip_link_which_moves_focus_to_main(open_tab, path):
    tab = open_tab("en-US")
    tab.goto(path)
    tab.page.keyboard.press("Tab")
    focused = tab.page.evaluate(
        "() => [document.activeElement.className, document.activeElement.getAttribute('href')]"
    )
    assert focused == ["skip-link", "#main"]
    box = tab.page.locator("a.skip-link").bounding_box()  # moved into view when focused
    assert box is not None and box["y"] >= 0 and box["height"] > 0, box
    tab.page.keyboard.press("Enter")
    tab.page.wait_for_function("() => document.activeElement && document.activeElement.id === 'main'")
    assert tab.page.evaluate("() => document.activeElement.tagName") == "MAIN"
    tab.assert_csp_held()


# --- narrow screens ------------------------------------------------------------------------------

@pytest.mark.parametrize("language", list(LANGUAGES))
@pytest.mark.parametrize("name", ["home", "overview", "item"])
def test_no_horizontal_scrolling_on_a_phone(open_tab, language, name):
    tab = open_tab(LANGUAGES[language][0], viewport={"width": 390, "height": 844},
                   device_scale_factor=1, is_mobile=True, has_touch=True)
    if name == "item":
        open_item_by_click(tab)
    else:
        tab.goto(PAGES[name][0])
    widths = tab.page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]"
    )
    tab.screenshot(f"{name}-{language}-390px")
    assert widths[0] <= widths[1], f"page is {widths[0]}px wide in a {widths[1]}px window"
    tab.assert_csp_held()


# --- registration round trip ---------------------------------------------------------------------

def _field_error(page, field_id: str) -> str:
    """The error text that the input's aria-describedby points to, checked to sit next to it."""
    control = page.locator(f"#{field_id}")
    assert control.get_attribute("aria-invalid") == "true", field_id
    described_by = (control.get_attribute("aria-describedby") or "").split()
    error_ids = [i for i in described_by if page.locator(f"#{i}.error").count()]
    assert error_ids, f"#{field_id} aria-describedby={described_by} names no error"
    error = page.locator(f"#{error_ids[0]}")
    # Next to the field: in the same field container as the input.
    same_field = page.locator(".field", has=control).locator(f"#{error_ids[0]}")
    assert same_field.count() == 1, f"error for #{field_id} is not next to it"
    assert error.is_visible()
    return error.inner_text().strip()


def _wait_for_mail(mailbox: Mailbox, address: str, seconds: float = 5.0):
    deadline = time.monotonic() + seconds
    while not mailbox.to(address) and time.monotonic() < deadline:
        time.sleep(0.05)
    return mailbox.last_to(address)


def test_registration_errors_confirmation_login_and_logout(open_tab, smtp_server, live_server):
    mailbox = Mailbox(smtp_server.handler)
    tab = open_tab("en-US")
    page = tab.page
    tab.goto("/register")

    # Wrong input: invalid e-mail, too short password, no consent.
    page.fill("#email", "not-an-e-mail")
    page.fill("#display_name", "Berta Browser")
    page.fill("#password", "short")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Create account").click()
    assert navigation.value.status == 422

    assert "valid e-mail address" in _field_error(page, "email")
    assert "10 characters" in _field_error(page, "password")
    assert "privacy notice" in _field_error(page, "consent")
    assert page.locator("#display_name").get_attribute("aria-invalid") is None
    assert page.input_value("#email") == "not-an-e-mail"
    assert page.input_value("#display_name") == "Berta Browser"
    assert page.input_value("#password") == ""  # never sent back
    assert page.evaluate("() => document.activeElement.classList.contains('error-summary')")
    tab.screenshot("register-errors-en")
    tab.check_axe()

    # Now correctly.
    address = f"berta-{uuid.uuid4().hex[:8]}@example.org"
    page.fill("#email", address)
    page.fill("#password", PASSWORD)
    page.check("#consent")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Create account").click()
    assert navigation.value.status == 200
    assert page.locator("h1").inner_text().strip() == "Please check your e-mail"
    assert address in page.locator("main").inner_text()
    tab.screenshot("check-mail-en")
    tab.check_axe()

    mail = _wait_for_mail(mailbox, address)
    assert mail["To"] == address
    link = mailbox.link(address, "/bestaetigen/")
    assert link.startswith(live_server.base_url + "/")

    tab.goto(link.removeprefix(live_server.base_url))
    # Opening the link shows a button; pressing it confirms (a mail scanner cannot).
    assert page.locator("h1").inner_text().strip() == "Confirm your e-mail address"
    tab.check_axe()
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm e-mail address").click()
    assert page.url == live_server.url("/")
    nav = page.locator("nav.site-nav")
    log_out = nav.get_by_role("button", name="Log out")
    assert log_out.is_visible()
    assert nav.get_by_role("link", name="My account").is_visible()
    assert "confirmed and you are logged in" in page.locator(".flashes").inner_text()
    tab.screenshot("logged-in-en")
    tab.check_axe()

    with page.expect_navigation():
        log_out.click()
    assert page.url == live_server.url("/")
    assert "You are logged out." in page.locator(".flashes").inner_text()
    assert nav.get_by_role("link", name="Log in").is_visible()
    assert nav.get_by_role("button", name="Log out").count() == 0
    tab.assert_csp_held()
