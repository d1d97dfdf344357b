"""Browser fixtures shared by the browser tests: a live server on its own SQLite database,
Debian's chromium driven by Playwright, and a Tab that records console messages and requests
and runs axe-core (WCAG 2.1 AA).

Needs Debian's chromium at /usr/bin/chromium. Without it the tests are skipped, unless
PARTICIPATION_REQUIRE_BROWSER=1 is set (CI), where a missing browser is a failure.
Screenshots land in test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from participation import create_app

from .conftest import MUENSTER, ROOT, free_port, migrate

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = ROOT / "test-artifacts"
AXE_OPTIONS = {
    # WCAG 2.2 AA too: its target size (2.5.8) is what Lighthouse found on item pages.
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    "resultTypes": ["violations"],
}
AXE_WCAG22 = AXE_OPTIONS  # the name the newer tests use
TIMEOUT_MS = 10_000

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
        # Tests write ratings around the services: the analysis checks for changes every time.
        "ANALYSIS_RECHECK_SECONDS": 0,
    })
    with app.app_context():
        from participation import db
        from participation.strategy.services import import_version, parse

        import_version(db.session(), parse(MUENSTER.read_text(encoding="utf-8")))
        db.session().commit()

    server = make_server("127.0.0.1", free_port(), app, threaded=True, request_handler=_QuietHandler)
    app.config["BASE_URL"] = f"http://127.0.0.1:{server.server_port}"  # links in mail lead here
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

    def check_axe(self, options: dict | None = None) -> None:
        from axe_playwright_python.sync_playwright import Axe

        results = Axe().run(self.page, options=options or AXE_OPTIONS)
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
