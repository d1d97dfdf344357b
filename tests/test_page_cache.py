"""Item pages rendered once for visitors (page_cache.py): served again, never personal, never stale.

Whether a page came from the cache is seen by its statements (none), not by time.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from .conftest import CSRF_RE, PASSWORD, Client
from .test_comments import EN, ITEM, add_comments, api, write

TOKEN_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def statements(engine):
    recorded: list[str] = []

    def record(conn, cursor, statement, *rest):
        if "SAVEPOINT" not in statement:
            recorded.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    yield recorded
    sa.event.remove(engine, "before_cursor_execute", record)


def visit(client, round_, query="") -> str:
    response = client.get(f"/runden/{round_.id}/{ITEM}{query}", headers=EN)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def tokens(html: str) -> set[str]:
    return set(CSRF_RE.findall(html)) | set(TOKEN_INPUT.findall(html))


def browser(app, email=None) -> Client:
    client = Client(app.test_client())
    if email:
        assert client.submit("/login", {"email": email, "password": PASSWORD}).status_code == 302
    return client


def test_visitors_share_one_rendering_each_with_their_own_token(app, db, frozen, make_round, make_user, statements):
    round_ = make_round(results="live")
    add_comments(db, round_, make_user(), 3)
    first, second = browser(app), browser(app)
    page_one = visit(first, round_)
    statements.clear()
    page_two = visit(second, round_)
    assert statements == []  # all of it came from the cache
    [token_one], [token_two] = tokens(page_one), tokens(page_two)
    assert token_one != token_two and token_one not in page_two
    assert page_two.replace(token_two, "") == page_one.replace(token_one, "")
    # The token each visitor got is theirs: the same session's next page carries it again.
    assert tokens(visit(second, round_)) == {token_two}
    # Another order of the discussion, another language: rendered for themselves.
    assert visit(second, round_, "?sort=oldest") != page_two
    german = second.get(f"/runden/{round_.id}/{ITEM}", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Diskussion" in german and "Discussion" not in german


def test_nothing_personal_reaches_another_person_or_a_visitor(app, db, frozen, make_round, make_user):
    round_ = make_round(results="live")
    bert = make_user("bert@example.org", name="Bert", language="en")
    make_user("carla@example.org", name="Carla", language="en")
    [cid] = add_comments(db, round_, bert, 1)
    anna = browser(app)
    make_user(language="en")
    anna = browser(app, "anna@example.org")
    visitor = browser(app)
    visit(visitor, round_)  # a visitor's rendering is kept first
    report = anna.submit(f"/runden/{round_.id}/beitraege/{cid}/melden", {"reason": "spam"})
    assert report.status_code == 302
    anna_page = visit(anna, round_)
    assert "✓ Reported" in anna_page and 'class="helpful-form"' in anna_page  # her own page, not the visitor's
    anna_tokens = tokens(anna_page)
    carla = browser(app, "carla@example.org")
    for page in (visit(visitor, round_), visit(browser(app), round_), visit(carla, round_)):
        assert "✓ Reported" not in page
        assert not anna_tokens & tokens(page)
    assert "Log in" in visit(browser(app), round_)
    assert f"/runden/{round_.id}/beitraege/{cid}/melden" in visit(carla, round_)
    # And a visitor's kept page never reaches a logged-in person.
    assert 'class="helpful-form"' in visit(carla, round_)


def test_changes_show_at_once(app, client, db, frozen, make_round, make_user, login):
    round_ = make_round(results="live")
    visitor = browser(app)
    assert "No comments yet." in visit(visitor, round_)
    make_user(language="en")
    make_user("mod@example.org", name="Moritz", role="moderator", language="en")
    login()
    write(client, round_.id, "Mehr Radwege an der Promenade.")
    page = visit(visitor, round_)
    assert "Mehr Radwege an der Promenade." in page
    assert "Helpful: <span data-helpful-count>0</span>" in page

    cid = int(re.search(r'id="beitrag-(\d+)"', page).group(1))
    bert = browser(app)
    make_user("bert@example.org", name="Bert", language="en")
    bert = browser(app, "bert@example.org")
    assert bert.submit(f"/runden/{round_.id}/beitraege/{cid}/hilfreich", {"helpful": "1"}).status_code == 302
    assert "Helpful: <span data-helpful-count>1</span>" in visit(visitor, round_)

    moderator = browser(app, "mod@example.org")
    hidden = moderator.submit(f"/moderation/beitraege/{cid}/ausblenden", {"reason": "insult"})
    assert hidden.status_code == 302
    page = visit(visitor, round_)
    assert "Hidden by the moderation: Insult" in page and "Mehr Radwege an der Promenade." not in page

    # A rating changes the results box of the round's pages.
    before = visit(visitor, round_)
    saved = api(client, "PUT", f"/api/v1/rounds/{round_.id}/items/{ITEM}/rating", {"question": "agreement", "value": 5})
    assert saved.status_code == 200
    assert visit(visitor, round_) != before


def test_conditional_requests_with_etag_and_last_modified(app, frozen, make_round):
    round_ = make_round(results="live")
    visitor = browser(app)
    url = f"/runden/{round_.id}/{ITEM}"
    first = visitor.get(url, headers=EN)
    assert first.status_code == 200 and first.headers["ETag"] and first.headers["Last-Modified"]
    again = visitor.get(url, headers={**EN, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    since = visitor.get(url, headers={**EN, "If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304
    other = browser(app).get(url, headers=EN)  # from the cache: the same validators
    assert (other.headers["ETag"], other.headers["Last-Modified"]) == (first.headers["ETag"], first.headers["Last-Modified"])


def test_a_waiting_message_is_shown_not_kept(app, client, frozen, make_round, make_user, login):
    round_ = make_round(results="live")
    make_user(language="en")
    login()
    logout = client.submit("/logout")
    assert logout.status_code == 302
    flashed = visit(client, round_)
    assert 'class="flash' in flashed
    assert 'class="flash' not in visit(browser(app), round_)
    assert 'class="flash' not in visit(client, round_)


@pytest.mark.parametrize("language", ["de", "en"])
def test_fast_timestamps_read_as_babel_writes_them(app, language):
    from datetime import UTC, datetime, timedelta

    from flask_babel import format_datetime

    from participation.i18n import current_language
    from participation.templating import MINUTE_PATTERNS, local_datetime

    moments = [datetime(2026, 1, 1, 0, 5, tzinfo=UTC) + timedelta(days=days, hours=hours)
               for days in range(0, 365, 17) for hours in (0, 1, 13, 23)]
    moments += [datetime(2026, 3, 29, 0, 59, tzinfo=UTC), datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
                datetime(2026, 10, 25, 0, 59, tzinfo=UTC), datetime(2026, 10, 25, 1, 0, tzinfo=UTC)]
    with app.test_request_context(headers={"Accept-Language": language}):
        assert current_language() == language
        for moment in moments:
            expected = format_datetime(moment, MINUTE_PATTERNS[language])
            assert local_datetime(moment) == expected
            assert local_datetime(moment.replace(tzinfo=None)) == expected  # SQLite gives naive UTC


def test_a_log_in_keeps_the_pages_but_a_new_display_name_renews_them(app, client, db, make_user, login):
    from participation import page_cache

    anna = make_user()
    db.commit()
    before = page_cache.content_generation()
    assert login().status_code == 302  # writes last_login_at: no page shows it
    assert page_cache.content_generation() == before
    anna.display_name = "Anna Neu"  # shown on every comment of hers
    db.commit()
    assert page_cache.content_generation() == before + 1


def test_the_cache_keeps_at_most_its_budget_of_text(app, frozen, make_round, monkeypatch, statements):
    """Pages of generations that are gone are dropped by size too, not only by number."""
    from participation import page_cache

    round_ = make_round(results="live")
    visitor = browser(app)
    first = visit(visitor, round_)
    store = app.extensions["participation_page_cache"]
    assert store.characters >= len(first) * 0.9
    monkeypatch.setattr(page_cache, "MAX_CHARACTERS", int(len(first) * 1.5))
    for query in ("?a=1", "?a=2", "?a=3"):
        visit(visitor, round_, query)
        assert store.characters <= page_cache.MAX_CHARACTERS
        assert store.characters == sum(store.sizes.values()) and set(store.sizes) == set(store)
    statements.clear()
    visit(visitor, round_, "?a=3")  # the newest is kept ...
    assert statements == []
    visit(visitor, round_)  # ... the oldest was dropped
    assert statements
