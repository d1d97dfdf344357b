"""The app in a real browser: accessibility (axe, WCAG 2.1 AA), language, keyboard, layout,
CSP and the registration round trip, against a live server with its own SQLite database.

Needs Debian's chromium at /usr/bin/chromium. Without it the tests are skipped, unless
PARTICIPATION_REQUIRE_BROWSER=1 is set (CI), where a missing browser is a failure.
Screenshots of every page land in test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from participation import create_app

from .conftest import MUENSTER, PASSWORD, ROOT, Mailbox, free_port, migrate

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = ROOT / "test-artifacts"
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
TIMEOUT_MS = 10_000

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


# --- live server -------------------------------------------------------------------------------

class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code="-", size="-") -> None:  # keep errors, drop the access log
        pass


class LiveServer:
    def __init__(self, app, base_url: str) -> None:
        self.app = app
        self.base_url = base_url

    def url(self, path: str) -> str:
        return self.base_url + path


@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's chromium, or a skip (a failure with PARTICIPATION_REQUIRE_BROWSER=1)."""
    if not (CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK)):
        reason = f"{CHROMIUM} not found: install Debian's chromium to run the browser tests"
        if os.environ.get("PARTICIPATION_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " (PARTICIPATION_REQUIRE_BROWSER=1 is set)")
        pytest.skip(reason)
    return str(CHROMIUM)


@pytest.fixture(scope="module")
def live_server(chromium, tmp_path_factory, smtp_server):
    """The app served over HTTP from its own fresh SQLite database holding strategy 1.0."""
    tmp = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{tmp / 'browser.db'}"
    migrate(url)
    app = create_app({
        "DATABASE_URL": url,
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": smtp_server.hostname,
        "MAIL_PORT": smtp_server.port,
        "MAIL_DELIVER_INLINE": True,
        "MAIL_DIR": str(tmp / "mail"),
        "RATELIMIT_ENABLED": False,
    })
    with app.app_context():
        from participation import db
        from participation.strategy.services import import_version, parse

        import_version(db.session(), parse(MUENSTER.read_text(encoding="utf-8")))
        db.session().commit()

    server = make_server("127.0.0.1", free_port(), app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        app.extensions["db_engine"].dispose()


# --- browser -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser(chromium, live_server):
    """Chromium driven by Playwright; set up after the live server, so closed before it stops."""
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


class Tab:
    """A page in a fresh browser context that records console messages and requests."""

    def __init__(self, context, base_url: str) -> None:
        self.context = context
        self.base_url = base_url
        self.page = context.new_page()
        self.console: list[str] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda msg: self.console.append(f"{msg.type}: {msg.text}"))
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("request", lambda request: self.requests.append(request.url))

    def goto(self, path: str, status: int = 200):
        response = self.page.goto(self.base_url + path)
        assert response is not None and response.status == status, (
            f"GET {path}: {response and response.status}, expected {status}"
        )
        return response

    def lang(self) -> str | None:
        return self.page.locator("html").get_attribute("lang")

    def nav_text(self) -> str:
        return self.page.locator("nav.site-nav").inner_text()

    def assert_csp_held(self) -> None:
        """No CSP report on the console, no script errors, no request to another host."""
        csp = [m for m in self.console if "content security policy" in m.lower()]
        assert not csp, "CSP violations:\n" + "\n".join(csp)
        assert not self.errors, "JavaScript errors:\n" + "\n".join(self.errors)
        foreign = [u for u in self.requests if not u.startswith(self.base_url + "/")]
        assert not foreign, "requests to other hosts:\n" + "\n".join(foreign)

    def check_axe(self) -> None:
        from axe_playwright_python.sync_playwright import Axe

        results = Axe().run(self.page, options=AXE_OPTIONS)
        violations = results.response["violations"]
        lines = []
        for violation in violations:
            lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
            for node in violation["nodes"]:
                lines.append(f"    {', '.join(map(str, node['target']))}")
        assert not violations, f"axe on {self.page.url}:\n" + "\n".join(lines)

    def screenshot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def open_tab(browser, live_server):
    """open_tab(locale, **context options) -> Tab; every context is closed afterwards."""
    contexts = []

    def open_(locale: str = "de-DE", **options) -> Tab:
        context = browser.new_context(locale=locale, **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return Tab(context, live_server.base_url)

    yield open_
    for context in contexts:
        context.close()


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
