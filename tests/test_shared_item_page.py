"""The item page shared by logged-in people (page_cache.shared_page): rendered once per viewer
class, each person's own parts filled in per request — and never anybody else's.

Two residents (Anna has rated, marked a comment as helpful, reported one and wrote one; Bert has
done nothing) and a moderator look at the same page in turns.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from participation.accounts.models import User

from .conftest import CSRF_RE, PASSWORD, Client
from .test_comments import EN, ITEM, add_comments, api, write

TOKEN_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def browser(app, email: str) -> Client:
    client = Client(app.test_client())
    assert client.submit("/login", {"email": email, "password": PASSWORD}).status_code == 302
    client.get("/seite/impressum", headers=EN)  # the welcome message is shown here, not kept
    return client


def visit(client, round_, query="") -> str:
    response = client.get(f"/runden/{round_.id}/{ITEM}{query}", headers=EN)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "\x00" not in html
    return html


def article(html: str, cid: int) -> str:
    """One comment's own markup (up to its replies or the next comment)."""
    start = html.index(f'id="beitrag-{cid}"')
    end = html.find("<article", start)
    return html[start:end if end != -1 else len(html)]


def pressed(html: str, cid: int) -> str | None:
    found = re.search(r'<input type="hidden" name="helpful" value="(\d)">\s*'
                      r'<button type="submit" class="toggle-button" aria-pressed="(\w+)"', article(html, cid))
    return found and f"{found.group(1)}/{found.group(2)}"


def links(html: str, cid: int) -> set[str]:
    part = article(html, cid)
    return {name for name, path in (("edit", "bearbeiten"), ("delete", "loeschen"), ("report", "melden"))
            if f"/beitraege/{cid}/{path}\"" in part} | ({"reported"} if "✓ Reported" in part else set()) | (
        {"moderate"} if f"/moderation/beitraege/{cid}\"" in part else set())


def tokens(html: str) -> set[str]:
    return set(CSRF_RE.findall(html)) | set(TOKEN_INPUT.findall(html))


@pytest.fixture
def world(app, db, frozen, make_round, make_user):
    round_ = make_round(results="live", importance=True)
    anna = make_user(language="en")
    make_user("bert@example.org", name="Bert", language="en")
    make_user("mod@example.org", name="Moritz", role="moderator", language="en")
    carla = make_user("carla@example.org", name="Carla", language="en")
    marked, reported, plain = add_comments(db, round_, carla, 3)
    [own] = add_comments(db, round_, anna, 1)
    [reply] = add_comments(db, round_, carla, 1, parent=marked)
    clients = {name: browser(app, f"{name}@example.org") for name in ("anna", "bert", "mod")}
    anna_client = clients["anna"]
    assert anna_client.submit(f"/runden/{round_.id}/beitraege/{marked}/hilfreich", {"helpful": "1"}).status_code == 302
    assert anna_client.submit(f"/runden/{round_.id}/beitraege/{reported}/melden", {"reason": "spam"}).status_code == 302
    saved = api(anna_client, "PUT", f"/api/v1/rounds/{round_.id}/items/{ITEM}/rating", {"question": "agreement", "value": 4})
    assert saved.status_code == 200
    for client in clients.values():  # flashed messages of those actions are shown and gone
        client.get("/seite/impressum", headers=EN)
    ids = {"marked": marked, "reported": reported, "plain": plain, "own": own, "reply": reply}
    return round_, clients, ids


def check_anna(html: str, ids: dict) -> None:
    assert pressed(html, ids["marked"]) == "0/true"
    assert pressed(html, ids["plain"]) == "1/false"
    assert pressed(html, ids["own"]) is None  # nobody marks their own comment
    assert links(html, ids["own"]) == {"edit", "delete"}
    assert links(html, ids["reported"]) == {"reported"}
    assert links(html, ids["plain"]) == {"report"}
    assert 'id="agreement-4" name="agreement" value="4" checked' in html
    assert "Withdraw my rating" in html and "1 of 26 rated" in html


def check_bert(html: str, ids: dict) -> None:
    for name in ("marked", "reported", "plain", "own", "reply"):
        assert pressed(html, ids[name]) == "1/false"
        assert links(html, ids[name]) == {"report"}
    assert " checked>" not in html.split('id="rate"')[1].split("</section>")[0]
    assert "Withdraw my rating" not in html and "0 of 26 rated" in html


def check_moderator(html: str, ids: dict) -> None:
    for name in ("marked", "reported", "plain", "own"):
        assert links(html, ids[name]) == {"report", "moderate"}
    assert 'name="official"' in html  # writes as the city
    assert "Withdraw my rating" not in html


CHECKS = {"anna": check_anna, "bert": check_bert, "mod": check_moderator}


@pytest.mark.parametrize("order", [("anna", "bert", "mod"), ("bert", "anna", "mod"), ("mod", "bert", "anna")])
def test_each_sees_exactly_their_own_state(world, order):
    round_, clients, ids = world
    pages = {}
    for name in order:
        pages[name] = visit(clients[name], round_)
        CHECKS[name](pages[name], ids)
    for name in order:  # and again, now every page comes from what the others left behind
        again = visit(clients[name], round_)
        CHECKS[name](again, ids)
        assert not tokens(again) & set().union(*(tokens(pages[other]) for other in order if other != name))
    # Bert's page is Anna's page but for their own parts.
    assert pages["anna"].count('class="comment ') == pages["bert"].count('class="comment ') == 5


def test_same_page_as_rendered_just_for_the_person(app, world):
    """What the shared page gives each viewer is what rendering the page for them alone gives."""
    from flask_login import login_user

    from participation import db as database
    from participation.rounds.views import _round_or_404, render_item

    round_, clients, ids = world
    for name in ("anna", "bert", "mod", "anna"):
        for query in ("", "?sort=helpful", f"?antwort={ids['plain']}"):
            served = visit(clients[name], round_, query)
            path = f"/runden/{round_.id}/{ITEM}{query}"
            with app.test_request_context(path, headers=EN):
                user = database.session().scalar(sa.select(User).where(User.email == f"{name}@example.org"))
                login_user(user)
                alone = render_item(_round_or_404(round_.id), ITEM)[0]
            assert normal(served) == normal(alone), name + query


def normal(html: str) -> str:
    for token in tokens(html):
        html = html.replace(token, "TOKEN")
    return re.sub(r"\s+", " ", html)


def test_changes_show_at_once(app, db, world):
    round_, clients, ids = world
    anna, bert = clients["anna"], clients["bert"]
    visit(anna, round_), visit(bert, round_)
    assert anna.submit(f"/runden/{round_.id}/beitraege/{ids['plain']}/hilfreich", {"helpful": "1"}).status_code == 302
    anna.get("/seite/impressum")
    assert pressed(visit(anna, round_), ids["plain"]) == "0/true"
    assert pressed(visit(bert, round_), ids["plain"]) == "1/false"
    assert "Helpful: <span data-helpful-count>3</span>" in article(visit(bert, round_), ids["plain"])
    withdrawn = anna.submit(f"/runden/{round_.id}/bewertung/{ITEM}", {"action": "withdraw"})
    assert withdrawn.status_code == 302
    anna.get("/seite/impressum")
    page = visit(anna, round_)
    assert "Withdraw my rating" not in page and "0 of 26 rated" in page
    # A comment waiting for approval is its author's alone.
    round_.moderation = "pre"
    db.commit()
    assert write(anna, round_.id, "Noch nicht freigegeben.").status_code == 302
    anna.get("/seite/impressum")
    assert "Noch nicht freigegeben." in visit(anna, round_)
    assert "Noch nicht freigegeben." not in visit(bert, round_)
    assert "Noch nicht freigegeben." not in visit(clients["mod"], round_)


def test_markers_cannot_be_written(app, db, world):
    """A comment with what looks like a marker stays text: markers carry a secret and NUL is refused."""
    from participation import page_cache

    round_, clients, ids = world
    fake = "\x00x:own:1\x00"
    refused = write(clients["bert"], round_.id, f"Vorsicht {fake} hier")
    assert refused.status_code == 422
    marker = str(page_cache.Personal(1).value("rating"))
    assert marker.startswith("\x00") and len(marker) > 20
    html = visit(clients["bert"], round_)
    assert fake not in html


def results_box(html: str) -> str:
    return html.split('<div id="live-results" data-refresh>')[1].split("</div>\n\n")[0]


def test_a_rating_renews_the_results_box_not_the_page(world, engine):
    round_, clients, ids = world
    bert = clients["bert"]
    before = visit(bert, round_)
    assert "Results so far" in results_box(before)
    saved = api(clients["anna"], "PUT", f"/api/v1/rounds/{round_.id}/items/{ITEM}/rating",
                {"question": "agreement", "value": 1})
    assert saved.status_code == 200
    statements: list[str] = []

    def record(conn, cursor, statement, *rest):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        after = visit(bert, round_)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert results_box(after) != results_box(before)  # the new count shows at once
    assert not any("FROM comment " in s and "comment.body_html" in s for s in statements)  # the page was kept
    assert after.replace(results_box(after), "") == before.replace(results_box(before), "")
