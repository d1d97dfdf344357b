"""The discussion: writing, replies, edits, deletion, helpful marks, reports, reading, the API.

Visible texts are asserted in English (users with language="en", visitors with
Accept-Language: en); otherwise the tests look at status codes, error codes, the database and
stable markup (ids and classes).
"""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from participation.accounts.models import User
from participation.comments.models import BODY_MAX, Comment, CommentRevision, HelpfulMark, Report
from participation.db import utcnow
from participation.strategy.models import StrategyItem

from .conftest import PASSWORD, Client
from .test_api import schema_validator

ITEM = "mobilitaet-verkehr/zielbild-2"
OTHER_ITEM = "mobilitaet-verkehr/zielbild-3"
EN = {"Accept-Language": "en"}
COMMENT_IDS = re.compile(r'<article class="comment[^"]*" id="beitrag-(\d+)"')


# --- helpers -------------------------------------------------------------------------------------

def stored(db, **filters) -> list[Comment]:
    db.expire_all()
    query = sa.select(Comment).order_by(Comment.id)
    for name, value in filters.items():
        query = query.where(getattr(Comment, name) == value)
    return list(db.scalars(query))


def write(client, round_id, body="Ein **wichtiger** Punkt.", stance="support", key=ITEM, **kwargs):
    data = {"body": body, "stance": stance}
    data = {name: value for name, value in data.items() if value is not None}
    return client.submit(f"/runden/{round_id}/diskussion/{key}", data, **kwargs)


def reply(client, round_id, parent_id, body="Eine Antwort.", stance="question", **fields):
    return client.submit(f"/runden/{round_id}/beitraege/{parent_id}/antworten",
                         {"body": body, "stance": stance, **fields})


def api(client, method, path, payload=None, token=None, **kwargs):
    return client.open(
        path, method=method, data=json.dumps(payload) if payload is not None else None,
        content_type="application/json",
        headers={"X-CSRFToken": token if token is not None else client.csrf_token(), **kwargs.pop("headers", {})},
        **kwargs,
    )


def page(client, round_id, query="", key=ITEM, **kwargs) -> str:
    response = client.get(f"/runden/{round_id}/{key}{query}", **kwargs)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def item_id(db, round_, key=ITEM) -> int:
    return db.scalar(sa.select(StrategyItem.id).where(StrategyItem.version_id == round_.version_id,
                                                      StrategyItem.key == key))


def add_comments(db, round_, author, count, key=ITEM, parent=None, **values) -> list[int]:
    """Comments straight into the database, a minute apart (the test clock stands still)."""
    start = utcnow() - timedelta(days=1)
    rows = [
        {"round_id": round_.id, "item_id": item_id(db, round_, key), "author_id": author.id,
         "parent_id": parent, "stance": ("support", "criticism", "suggestion", "question")[i % 4],
         "body": f"Text {i}", "body_html": f"<p>Text {i}</p>", "state": "visible",
         "created_at": start + timedelta(minutes=i), "helpful_count": i % 5, **values}
        for i in range(count)
    ]
    ids = list(db.scalars(sa.insert(Comment).returning(Comment.id), rows))
    if parent is not None:
        db.execute(sa.update(Comment).where(Comment.id == parent)
                   .values(reply_count=Comment.reply_count + count))
    db.commit()
    return ids


@pytest.fixture
def other(app, make_user):
    """A second person with a browser of their own: Bert, in English."""
    make_user("bert@example.org", name="Bert", language="en")
    client = Client(app.test_client())
    client.submit("/login", {"email": "bert@example.org", "password": PASSWORD})
    return client


@pytest.fixture
def visitor(app):
    return Client(app.test_client())


@pytest.fixture
def anna(make_user, login):
    """Anna, logged in, in English."""
    user = make_user(language="en")
    login()
    return user


# --- writing and reading -------------------------------------------------------------------------

def test_resident_writes_a_comment_and_everybody_reads_it(client, db, frozen, make_round, anna, visitor):
    round_ = make_round()
    response = write(client, round_.id, "Ein **wichtiger** Punkt.\n\n- Radwege\n- Busse", "suggestion")
    [comment] = stored(db)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/runden/{round_.id}/{ITEM}#beitrag-{comment.id}")
    assert (comment.state, comment.stance, comment.author_id) == ("visible", "suggestion", anna.id)
    assert "<strong>wichtiger</strong>" in comment.body_html and "<li>Radwege</li>" in comment.body_html

    mine = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Thank you! Your comment is published." in mine

    html_ = page(visitor, round_.id, headers=EN)
    assert f'id="beitrag-{comment.id}"' in html_
    assert "<strong>wichtiger</strong>" in html_
    assert 'class="badge badge-stance badge-suggestion">Suggestion</span>' in html_
    assert ">Anna</h4>" in html_
    assert f'<time datetime="{comment.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")}">' in html_  # no fraction
    assert "Helpful: <span data-helpful-count>0</span>" in html_
    # Visitors read, and are asked to log in to write.
    assert 'action="/runden/' not in html_.split('id="diskussion"')[1].split("discussion-filter")[0]
    assert "To join the discussion, please log in" in html_


def test_the_form_shows_its_limit_and_the_counter_template(client, frozen, make_round, anna):
    round_ = make_round()
    html_ = page(client, round_.id)
    assert f'maxlength="{BODY_MAX}"' in html_
    assert "At most 3,000 characters." in html_
    assert 'data-counter="{num} characters left"' in html_
    assert '<fieldset class="stances">' in html_ and 'name="stance" value="question"' in html_


def test_markup_is_cleaned_on_save(client, db, frozen, make_round, anna):
    round_ = make_round()
    write(client, round_.id, 'Hallo <script>alert(1)</script> [Link](javascript:alert(2)) [ok](https://example.org)')
    [comment] = stored(db)
    assert "<script" not in comment.body_html and 'href="javascript' not in comment.body_html
    assert 'rel="nofollow ugc noopener"' in comment.body_html
    assert "<script>alert(1)" not in page(client, round_.id)


@pytest.mark.parametrize(
    ("body", "stance", "code_message"),
    [
        ("", "support", "Please write something."),
        ("   \n  ", "support", "Please write something."),
        ("x" * (BODY_MAX + 1), "support", "Use at most 3000 characters."),
        ("Gut so.", "applause", "Choose whether you agree, criticise, suggest or ask."),
        ("Gut so.", None, "Choose whether you agree, criticise, suggest or ask."),
    ],
)
def test_bad_input_is_explained_next_to_the_field_and_nothing_stored(client, db, frozen, make_round, anna,
                                                                     body, stance, code_message):
    round_ = make_round()
    response = write(client, round_.id, body, stance)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert code_message in text
    assert 'class="error"' in text
    assert stored(db) == []
    if stance == "applause":  # the form comes back refilled
        assert "Gut so.</textarea>" in text


def test_the_limit_counts_characters_and_newlines_as_typed(client, db, frozen, make_round, anna):
    round_ = make_round()
    body = ("a" * 99 + "\r\n") * 29 + "a" * 100  # 3000 characters once \r\n counts as one
    assert write(client, round_.id, body).status_code == 302
    assert len(stored(db)[0].body) == BODY_MAX


def test_the_same_text_twice_in_a_row_is_refused(client, db, frozen, make_round, anna):
    round_ = make_round()
    assert write(client, round_.id, "Mehr Bäume!").status_code == 302
    response = write(client, round_.id, "Mehr Bäume!", "criticism")
    assert response.status_code == 422
    assert "You have just posted exactly this text." in response.get_data(as_text=True)
    assert len(stored(db)) == 1


@pytest.mark.parametrize("state", ["closed", "consolidation", "draft"])
def test_comments_are_refused_outside_the_open_window(client, db, frozen, make_round, make_user, login, state):
    round_ = make_round(state=state)
    make_user(language="en", role="admin")  # admins see draft rounds, but cannot comment either
    login()
    response = write(client, round_.id)
    assert response.status_code == 403
    assert "This round is not open for comments." in response.get_data(as_text=True)
    assert stored(db) == []
    html_ = page(client, round_.id)
    assert 'id="comment-form"' not in html_
    api_response = api(client, "POST", f"/api/v1/rounds/{round_.id}/items/{ITEM}/comments",
                       {"body": "Hallo", "stance": "support"})
    assert api_response.status_code == 403 and api_response.get_json()["error"]["code"] == "round_not_open"
    assert stored(db) == []


def test_closed_round_shows_the_discussion_without_forms(client, db, frozen, make_round, make_user, visitor):
    round_ = make_round(state="closed")
    author = make_user()
    add_comments(db, round_, author, 2)
    html_ = page(visitor, round_.id, headers=EN)
    assert len(COMMENT_IDS.findall(html_)) == 2
    assert "the discussion can be read, but no longer continued" in html_
    assert "<form method=\"post\" class=\"comment-form" not in html_


def test_blocked_people_read_but_cannot_write(client, db, frozen, make_round, anna, other):
    round_ = make_round()
    bert = db.scalar(sa.select(User).where(User.email == "bert@example.org"))
    [bert_comment] = add_comments(db, round_, bert, 1)
    db.get(User, anna.id).blocked_until = utcnow() + timedelta(days=7)
    db.commit()
    html_ = page(client, round_.id)
    assert "Your account is blocked until" in html_ and 'id="comment-form"' not in html_
    assert 'class="helpful-form"' not in html_
    assert write(client, round_.id).status_code == 403
    assert reply(client, round_.id, bert_comment).status_code == 403
    response = api(client, "POST", f"/api/v1/rounds/{round_.id}/items/{ITEM}/comments",
                   {"body": "Hallo", "stance": "support"})
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "not_allowed"
    response = api(client, "POST", f"/api/v1/comments/{bert_comment}/helpful")
    assert response.status_code == 403
    response = api(client, "POST", f"/api/v1/comments/{bert_comment}/reports", {"reason": "spam"})
    assert response.status_code == 403
    assert len(stored(db)) == 1
    assert db.scalar(sa.select(sa.func.count()).select_from(Report)) == 0


# --- replies -------------------------------------------------------------------------------------

def test_replies_two_levels_deep(client, db, frozen, make_round, anna, other):
    round_ = make_round()
    write(client, round_.id, "Die Frage ist offen.")
    [top] = stored(db)
    response = reply(other, round_.id, top.id, "Ich antworte.", next=f"/runden/{round_.id}/{ITEM}")
    assert response.status_code == 302
    answer = stored(db, parent_id=top.id)[0]
    assert (answer.author.display_name, answer.item_id, answer.stance) == ("Bert", top.item_id, "question")
    assert stored(db, id=top.id)[0].reply_count == 1

    html_ = page(client, round_.id)
    replies = html_.split(f'id="beitrag-{top.id}"')[1].split('<ol class="replies">')[1]
    assert f'id="beitrag-{answer.id}"' in replies
    assert "Ich antworte." in replies
    # A reply cannot be replied to: no form under it, and the server refuses.
    assert f"/beitraege/{answer.id}/antworten" not in html_
    response = reply(client, round_.id, answer.id, "Antwort auf Antwort")
    assert response.status_code == 422
    assert "Replies to replies are not possible" in response.get_data(as_text=True)
    assert len(stored(db)) == 2


def test_reply_page_works_without_javascript(client, db, frozen, make_round, anna, other):
    round_ = make_round()
    write(other, round_.id, "Oben.")
    [top] = stored(db)
    response = client.get(f"/runden/{round_.id}/beitraege/{top.id}/antworten")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Reply to Bert" in text and 'name="body"' in text
    bad = reply(client, round_.id, top.id, "", "question")
    assert bad.status_code == 422 and "Please write something." in bad.get_data(as_text=True)
    assert len(stored(db)) == 1


def test_reply_to_a_comment_of_another_item_is_refused(client, db, frozen, make_round, anna, other):
    round_ = make_round()
    write(other, round_.id, "Anderswo.", key=OTHER_ITEM)
    [elsewhere] = stored(db)
    response = api(client, "POST", f"/api/v1/rounds/{round_.id}/items/{ITEM}/comments",
                   {"body": "Hierher?", "stance": "question", "parent_id": elsewhere.id}, headers=EN)
    assert response.status_code == 422
    assert response.get_json()["error"] == {
        "code": "parent_elsewhere", "message": "You can only reply to a comment on the same item."}
    assert len(stored(db)) == 1


def test_reply_to_a_reply_is_refused_in_the_api(client, db, frozen, make_round, anna, other):
    round_ = make_round()
    write(other, round_.id, "Oben.")
    [top] = stored(db)
    reply(client, round_.id, top.id)
    answer = stored(db, parent_id=top.id)[0]
    response = api(client, "POST", f"/api/v1/rounds/{round_.id}/items/{ITEM}/comments",
                   {"body": "Tiefer", "stance": "question", "parent_id": answer.id})
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "reply_too_deep"
    assert len(stored(db)) == 2


def test_a_long_thread_links_to_its_page_which_pages_through_every_reply(client, db, frozen, make_round, anna,
                                                                         visitor):
    round_ = make_round()
    [top] = add_comments(db, round_, anna, 1)
    reply_ids = add_comments(db, round_, anna, 55, parent=top)
    html_ = page(visitor, round_.id, headers=EN)
    assert len(COMMENT_IDS.findall(html_)) == 1 + 20
    assert f'href="/runden/{round_.id}/beitraege/{top}">Show all 55 replies</a>' in html_

    seen, url = [], f"/runden/{round_.id}/beitraege/{top}"
    while url:
        text = visitor.get(url, headers=EN).get_data(as_text=True)
        found = [int(i) for i in COMMENT_IDS.findall(text)]
        assert found[0] == top
        seen += found[1:]
        more = re.search(r'<a rel="next" href="([^"]+)">More replies</a>', text)
        url = html.unescape(more.group(1)) if more else None
    assert seen == reply_ids


def test_the_thread_link_of_a_reply_leads_to_its_comment(client, db, frozen, make_round, anna):
    round_ = make_round()
    [top] = add_comments(db, round_, anna, 1)
    [answer] = add_comments(db, round_, anna, 1, parent=top)
    response = client.get(f"/runden/{round_.id}/beitraege/{answer}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/runden/{round_.id}/beitraege/{top}#beitrag-{answer}")


# --- editing and deleting --------------------------------------------------------------------------

def test_author_edits_and_the_page_says_edited(client, db, frozen, make_round, anna, other):
    round_ = make_round()
    write(client, round_.id, "Erste Fassung")
    [comment] = stored(db)
    form = client.get(f"/runden/{round_.id}/beitraege/{comment.id}/bearbeiten")
    assert form.status_code == 200 and "Erste Fassung</textarea>" in form.get_data(as_text=True)

    frozen.move_to("2026-12-10 13:30:00+00:00", tick=False)
    response = client.submit(f"/runden/{round_.id}/beitraege/{comment.id}/bearbeiten", {"body": "Zweite *Fassung*"})
    assert response.status_code == 302
    [comment] = stored(db)
    assert comment.body == "Zweite *Fassung*" and "<em>Fassung</em>" in comment.body_html
    assert comment.edited_at.isoformat() == "2026-12-10T13:30:00+00:00"
    revisions = list(db.scalars(sa.select(CommentRevision).where(CommentRevision.comment_id == comment.id)))
    assert [r.body for r in revisions] == ["Erste Fassung"]
    html_ = page(client, round_.id)
    assert 'edited <time datetime="2026-12-10T13:30:00Z">10 Dec 2026, 14:30</time>' in html_

    # Too long: explained, nothing changed.
    bad = client.submit(f"/runden/{round_.id}/beitraege/{comment.id}/bearbeiten", {"body": "x" * (BODY_MAX + 1)})
    assert bad.status_code == 422 and "Use at most 3000 characters." in bad.get_data(as_text=True)
    assert stored(db)[0].body == "Zweite *Fassung*"
    # Somebody else cannot edit it.
    assert other.get(f"/runden/{round_.id}/beitraege/{comment.id}/bearbeiten").status_code == 302
    other.submit(f"/runden/{round_.id}/beitraege/{comment.id}/bearbeiten", {"body": "Übernommen"})
    assert stored(db)[0].body == "Zweite *Fassung*"
    assert f"/beitraege/{comment.id}/bearbeiten" not in page(other, round_.id)


def test_author_deletes_after_confirming_and_replies_stay(client, db, frozen, make_round, anna, other, visitor):
    round_ = make_round()
    write(client, round_.id, "Wird gelöscht")
    [top] = stored(db)
    reply(other, round_.id, top.id, "Bleibt stehen")
    confirm = client.get(f"/runden/{round_.id}/beitraege/{top.id}/loeschen")
    assert confirm.status_code == 200
    assert f'action="/runden/{round_.id}/beitraege/{top.id}/loeschen"' in confirm.get_data(as_text=True)
    # Somebody else cannot delete it.
    other.submit(f"/runden/{round_.id}/beitraege/{top.id}/loeschen")
    assert stored(db, id=top.id)[0].state == "visible"

    response = client.submit(f"/runden/{round_.id}/beitraege/{top.id}/loeschen")
    assert response.status_code == 302
    top = stored(db, id=top.id)[0]
    assert (top.state, top.body, top.body_html) == ("deleted", "", "")
    assert stored(db, parent_id=top.id)[0].state == "visible"

    html_ = page(visitor, round_.id, headers=EN)
    assert "This comment was deleted by its author." in html_
    assert "Wird gelöscht" not in html_ and "Bleibt stehen" in html_
    # Deleting again: the comment no longer exists.
    again = client.submit(f"/runden/{round_.id}/beitraege/{top.id}/loeschen")
    assert again.status_code == 404 and "This comment no longer exists." in again.get_data(as_text=True)


# --- helpful -------------------------------------------------------------------------------------------

def test_helpful_once_take_back_and_not_ones_own(client, db, frozen, make_round, anna, other):
    round_ = make_round()
    write(client, round_.id, "Hilfreich?")
    [comment] = stored(db)
    url = f"/runden/{round_.id}/beitraege/{comment.id}/hilfreich"
    back = f"/runden/{round_.id}/{ITEM}?sort=helpful"
    response = other.submit(url, {"helpful": "1", "next": back})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{back}#beitrag-{comment.id}")
    other.submit(url, {"helpful": "1"})
    assert stored(db)[0].helpful_count == 1
    html_ = page(other, round_.id)
    assert 'aria-pressed="true"' in html_ and 'name="helpful" value="0"' in html_
    assert "Helpful: <span data-helpful-count>1</span>" in html_

    other.submit(url, {"helpful": "0"})
    assert stored(db)[0].helpful_count == 0
    assert 'aria-pressed="false"' in page(other, round_.id)

    # Not one's own: no button, and the server refuses with a message.
    assert 'class="helpful-form"' not in page(client, round_.id)
    refused = client.submit(url, {"helpful": "1"}, follow_redirects=True)
    assert "You cannot mark this comment as helpful." in refused.get_data(as_text=True)
    assert stored(db)[0].helpful_count == 0
    assert db.scalar(sa.select(sa.func.count()).select_from(HelpfulMark)) == 0


def test_next_must_stay_on_the_site(client, db, frozen, make_round, anna, other):
    round_ = make_round()
    write(client, round_.id)
    [comment] = stored(db)
    response = other.submit(f"/runden/{round_.id}/beitraege/{comment.id}/hilfreich",
                            {"helpful": "1", "next": "https://evil.example/"})
    assert response.headers["Location"].endswith(f"/runden/{round_.id}/{ITEM}#beitrag-{comment.id}")


def test_actions_on_a_comment_that_does_not_exist(client, db, frozen, make_round, anna):
    round_ = make_round()
    for path in ("hilfreich", "melden", "loeschen", "bearbeiten", "antworten"):
        response = client.submit(f"/runden/{round_.id}/beitraege/987654/{path}", {"helpful": "1", "reason": "spam"})
        assert response.status_code == 404, path
        assert "This comment no longer exists." in response.get_data(as_text=True)
    assert client.get(f"/runden/{round_.id}/beitraege/987654").status_code == 404
    for method, path, payload in [("POST", "helpful", None), ("DELETE", "helpful", None),
                                  ("POST", "reports", {"reason": "spam"})]:
        response = api(client, method, f"/api/v1/comments/987654/{path}", payload)
        assert response.status_code == 404
        assert response.get_json()["error"] == {"code": "comment_not_found",
                                                "message": "This comment no longer exists."}


# --- reports -----------------------------------------------------------------------------------------

def test_reports_with_reasons_once_and_not_ones_own(client, db, frozen, make_round, anna, other):
    round_ = make_round()
    write(client, round_.id, "Strittig")
    [comment] = stored(db)
    url = f"/runden/{round_.id}/beitraege/{comment.id}/melden"
    form = other.get(url).get_data(as_text=True)
    for reason in ("insult", "spam", "misinformation", "privacy", "other"):
        assert f'name="reason" value="{reason}"' in form
    assert "False information" in form

    for data, message in [({"reason": "other", "text": " "}, "Please describe the problem."),
                          ({"reason": "rude"}, "Please choose a reason."),
                          ({}, "Please choose a reason."),
                          ({"reason": "spam", "text": "x" * 1001}, "Use at most 1000 characters.")]:
        bad = other.submit(url, data)
        assert bad.status_code == 422 and message in bad.get_data(as_text=True), data
    assert db.scalar(sa.select(sa.func.count()).select_from(Report)) == 0

    response = other.submit(url, {"reason": "other", "text": "Persönliche Daten"})
    assert response.status_code == 302
    [report] = db.scalars(sa.select(Report))
    assert (report.reason, report.text, report.reporter.display_name) == ("other", "Persönliche Daten", "Bert")
    assert stored(db)[0].report_count == 1

    again = other.submit(url, {"reason": "spam"}, follow_redirects=True)
    assert "You have already reported this comment." in again.get_data(as_text=True)
    own = client.submit(url, {"reason": "spam"}, follow_redirects=True)
    assert "You cannot report your own comment." in own.get_data(as_text=True)
    assert db.scalar(sa.select(sa.func.count()).select_from(Report)) == 1
    assert f"/beitraege/{comment.id}/melden" not in page(client, round_.id)


# --- moderation states as the public sees them ------------------------------------------------------------

def test_pre_moderation_shows_the_comment_to_its_author_only(client, db, frozen, make_round, anna, other, visitor):
    round_ = make_round()
    round_.moderation = "pre"
    db.merge(round_)
    db.commit()
    response = write(client, round_.id, "Wartet noch")
    [comment] = stored(db)
    assert comment.state == "pending"
    mine = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "will be shown once a moderator has approved it" in mine
    assert "Waiting for approval:" in mine and "Wartet noch" in mine
    for somebody in (other, visitor):
        html_ = page(somebody, round_.id)
        assert "Wartet noch" not in html_ and f'id="beitrag-{comment.id}"' not in html_
        assert somebody.get(f"/runden/{round_.id}/beitraege/{comment.id}").status_code == 404
    listed = visitor.get(f"/api/v1/rounds/{round_.id}/items/{ITEM}/comments").get_json()
    assert listed["comments"] == []


def test_hidden_comments_show_the_reason_not_the_text(client, db, frozen, make_round, make_user, visitor):
    round_ = make_round()
    author = make_user()
    [cid] = add_comments(db, round_, author, 1, state="hidden", moderation_reason="insult")
    html_ = page(visitor, round_.id, headers=EN)
    assert "Hidden by the moderation: Insult" in html_
    assert "Text 0" not in html_
    data = visitor.get(f"/api/v1/rounds/{round_.id}/items/{ITEM}/comments").get_json()
    [shown] = data["comments"]
    assert (shown["id"], shown["state"], shown["body_html"], shown["moderation_reason"]) == (cid, "hidden", "", "insult")


def test_official_replies_and_deleted_accounts(client, db, frozen, make_round, make_user, visitor):
    round_ = make_round()
    author = make_user()
    add_comments(db, round_, author, 1, is_official=True)
    html_ = page(visitor, round_.id, headers=EN)
    assert "Reply from the city" in html_ and ">Anna</h4>" in html_
    db.get(User, author.id).deleted_at = utcnow()
    db.get(User, author.id).display_name = None
    db.commit()
    html_ = page(visitor, round_.id, headers=EN)
    assert ">Deleted account</h4>" in html_
    data = visitor.get(f"/api/v1/rounds/{round_.id}/items/{ITEM}/comments", headers=EN).get_json()
    assert data["comments"][0]["author"] == "Deleted account"
    assert data["comments"][0]["author_deleted"] is True


# --- sorting, filtering, paging ---------------------------------------------------------------------------

def _walk(client, url: str) -> list[list[int]]:
    """Follow the "next page" links from url; the ids of the top-level comments of each page."""
    pages = []
    while url:
        text = client.get(url).get_data(as_text=True)
        pages.append([int(i) for i in COMMENT_IDS.findall(text)])
        pager = text.split('class="pager discussion-pager"')[1].split("</nav>")[0] if "discussion-pager" in text else ""
        link = re.search(r'<a rel="next" href="([^"]+)">', pager)
        url = html.unescape(link.group(1)) if link else None
    return pages


@pytest.mark.parametrize("sort", ["newest", "oldest", "helpful"])
def test_45_comments_make_3_pages_without_gaps_or_doubles(client, db, frozen, make_round, make_user, sort):
    round_ = make_round()
    ids = add_comments(db, round_, make_user(), 45)
    pages = _walk(client, f"/runden/{round_.id}/{ITEM}?sort={sort}")
    assert [len(p) for p in pages] == [20, 20, 5]
    flat = [i for p in pages for i in p]
    assert sorted(flat) == sorted(ids)
    if sort == "newest":
        assert flat == ids[::-1]
    elif sort == "oldest":
        assert flat == ids
    else:
        helpful = {cid: i % 5 for i, cid in enumerate(ids)}
        assert flat == sorted(ids, key=lambda cid: (-helpful[cid], -cid))


def test_stance_filter_keeps_to_its_stance_across_pages(client, db, frozen, make_round, make_user):
    round_ = make_round()
    ids = add_comments(db, round_, make_user(), 90)  # stances cycle: 23 of them are support
    supporting = [cid for i, cid in enumerate(ids) if i % 4 == 0]
    pages = _walk(client, f"/runden/{round_.id}/{ITEM}?sort=oldest&stance=support")
    assert [len(p) for p in pages] == [20, 3]
    assert [i for p in pages for i in p] == supporting
    first = client.get(f"/runden/{round_.id}/{ITEM}?sort=oldest&stance=support",
                       headers={"Accept-Language": "en"}).get_data(as_text=True)
    link = html.unescape(re.search(r'<a rel="next" href="([^"]+)">\s*Newer comments', first).group(1))
    assert "sort=oldest" in link and "stance=support" in link and "cursor=" in link
    assert '<option value="support" selected>' in first


def test_a_broken_cursor_shows_the_first_page(client, db, frozen, make_round, make_user):
    round_ = make_round()
    add_comments(db, round_, make_user(), 3)
    text = page(client, round_.id, "?cursor=kaputt!!", headers=EN)
    assert "This page link is not valid." in text
    assert len(COMMENT_IDS.findall(text)) == 3
    response = client.get(f"/api/v1/rounds/{round_.id}/items/{ITEM}/comments?cursor=kaputt")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_cursor"


def _cursor(values) -> str:
    import base64

    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize("sort", ["newest", "oldest", "helpful"])
@pytest.mark.parametrize("values", [["2026-12-10T12:00:00", 5], ["2026-12-10T12:00:00+00:00", 2**70], [10**30, 5],
                                    ["gestern", 1], [1, "x"], {"a": 1}])
def test_forged_cursors_are_refused_not_a_server_error(client, db, frozen, make_round, make_user, sort, values):
    round_ = make_round()
    [top] = add_comments(db, round_, make_user(), 1)
    cursor = _cursor(values)
    response = client.get(f"/api/v1/rounds/{round_.id}/items/{ITEM}/comments?sort={sort}&cursor={cursor}")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_cursor"
    assert len(COMMENT_IDS.findall(page(client, round_.id, f"?sort={sort}&cursor={cursor}"))) == 1
    assert client.get(f"/runden/{round_.id}/beitraege/{top}?cursor={cursor}").status_code == 200


def test_ids_beyond_64_bits_are_not_found(client, frozen, make_round, anna):
    round_ = make_round()
    big = 2**70
    assert client.get(f"/runden/{round_.id}/beitraege/{big}").status_code == 404
    assert client.get(f"/runden/{big}/{ITEM}").status_code == 404
    assert api(client, "POST", f"/api/v1/comments/{big}/helpful").status_code == 404


# --- the JSON API ------------------------------------------------------------------------------------------

def test_api_round_trip(client, db, frozen, make_round, make_user, login, other):
    round_ = make_round()
    base = f"/api/v1/rounds/{round_.id}/items/{ITEM}/comments"
    listed = client.get(base)
    assert listed.status_code == 200
    schema_validator("CommentPage").validate(listed.get_json())

    # Writing needs a log-in and the CSRF token.
    response = api(client, "POST", base, {"body": "Hallo", "stance": "support"}, headers=EN)
    assert response.status_code == 401
    assert response.get_json()["error"] == {"code": "not_logged_in", "message": "Please log in first."}
    make_user(language="en")
    login()
    response = api(client, "POST", base, {"body": "Hallo", "stance": "support"}, token="forged")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "csrf_failed"
    assert stored(db) == []

    response = api(client, "POST", base, {"body": "Hallo *Welt*", "stance": "support", "parent_id": None})
    assert response.status_code == 201
    created = response.get_json()
    schema_validator("Comment").validate(created)
    assert (created["state"], created["body_html"], created["author"]) == ("visible", "<p>Hallo <em>Welt</em></p>",
                                                                          "Anna")
    answer = api(other, "POST", base, {"body": "Antwort", "stance": "question", "parent_id": created["id"]})
    assert answer.status_code == 201 and answer.get_json()["parent_id"] == created["id"]

    marked = api(other, "POST", f"/api/v1/comments/{created['id']}/helpful")
    assert marked.status_code == 200
    schema_validator("HelpfulState").validate(marked.get_json())
    assert marked.get_json() == {"comment_id": created["id"], "helpful_count": 1, "marked": True}
    assert api(other, "POST", f"/api/v1/comments/{created['id']}/helpful").get_json()["helpful_count"] == 1
    own = api(client, "POST", f"/api/v1/comments/{created['id']}/helpful")
    assert own.status_code == 403 and own.get_json()["error"]["code"] == "not_allowed"

    data = other.get(base).get_json()
    schema_validator("CommentPage").validate(data)
    [thread] = data["comments"]
    assert thread["reply_count"] == 1 and thread["marked_helpful"] is True
    assert [r["body_html"] for r in thread["replies"]] == ["<p>Antwort</p>"]
    assert data["next_cursor"] is None

    unmarked = api(other, "DELETE", f"/api/v1/comments/{created['id']}/helpful")
    assert unmarked.get_json() == {"comment_id": created["id"], "helpful_count": 0, "marked": False}

    report = api(other, "POST", f"/api/v1/comments/{created['id']}/reports", {"reason": "spam", "text": None})
    assert report.status_code == 201
    schema_validator("StoredReport").validate(report.get_json())
    again = api(other, "POST", f"/api/v1/comments/{created['id']}/reports", {"reason": "spam"})
    assert again.status_code == 422 and again.get_json()["error"]["code"] == "already_reported"
    own = api(client, "POST", f"/api/v1/comments/{created['id']}/reports", {"reason": "spam"})
    assert own.status_code == 422 and own.get_json()["error"]["code"] == "own_comment"
    assert db.scalar(sa.select(sa.func.count()).select_from(Report)) == 1


def test_api_pre_moderation_answers_pending(client, db, frozen, make_round, anna):
    round_ = make_round()
    round_.moderation = "pre"
    db.merge(round_)
    db.commit()
    response = api(client, "POST", f"/api/v1/rounds/{round_.id}/items/{ITEM}/comments",
                   {"body": "Bitte prüfen", "stance": "question"})
    assert response.status_code == 201 and response.get_json()["state"] == "pending"
    mine = client.get(f"/api/v1/rounds/{round_.id}/items/{ITEM}/comments").get_json()
    assert [c["state"] for c in mine["comments"]] == ["pending"]


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ("not json", 400, "invalid_json"),
        ({"body": "Hallo"}, 400, "invalid_json"),
        ({"body": 7, "stance": "support"}, 400, "invalid_json"),
        ({"body": "Hallo", "stance": "support", "parent_id": "1"}, 400, "invalid_json"),
        ({"body": "Hallo", "stance": "support", "parent_id": True}, 400, "invalid_json"),
        ({"body": "", "stance": "support"}, 422, "empty_body"),
        ({"body": "x" * (BODY_MAX + 1), "stance": "support"}, 422, "body_too_long"),
        ({"body": "Hallo", "stance": "jubel"}, 422, "unknown_stance"),
        ({"body": "Hallo", "stance": "support", "parent_id": 987654}, 404, "parent_not_found"),
    ],
)
def test_api_bad_input(client, db, frozen, make_round, anna, payload, status, code):
    round_ = make_round()
    response = client.post(f"/api/v1/rounds/{round_.id}/items/{ITEM}/comments",
                           data=payload if isinstance(payload, str) else json.dumps(payload),
                           content_type="application/json", headers={"X-CSRFToken": client.csrf_token()})
    assert response.status_code == status
    body = response.get_json()
    schema_validator("Error").validate(body)
    assert body["error"]["code"] == code
    assert stored(db) == []


def test_api_unknown_item_and_round(client, frozen, make_round, anna):
    round_ = make_round(keys=[ITEM])
    response = client.get(f"/api/v1/rounds/{round_.id}/items/{OTHER_ITEM}/comments")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "item_not_in_round"
    response = api(client, "POST", f"/api/v1/rounds/{round_.id}/items/{OTHER_ITEM}/comments",
                   {"body": "Hallo", "stance": "support"})
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "item_not_in_round"
    assert client.get(f"/api/v1/rounds/987654/items/{ITEM}/comments").status_code == 404


def test_api_report_bad_input(client, db, frozen, make_round, anna, other):
    round_ = make_round()
    write(other, round_.id)
    [comment] = stored(db)
    url = f"/api/v1/comments/{comment.id}/reports"
    for payload, status, code in [({}, 400, "invalid_json"), ({"reason": "spam", "text": 5}, 400, "invalid_json"),
                                  ({"reason": "laut"}, 422, "unknown_reason"),
                                  ({"reason": "other"}, 422, "text_required")]:
        response = api(client, "POST", url, payload)
        assert (response.status_code, response.get_json()["error"]["code"]) == (status, code), payload
    assert db.scalar(sa.select(sa.func.count()).select_from(Report)) == 0


# --- rate limits -------------------------------------------------------------------------------------------

@pytest.fixture
def limited(app):
    from participation.extensions import limiter

    app.config["RATELIMIT_ENABLED"] = True
    limiter.enabled = True
    limiter.reset()
    yield app.config
    limiter.reset()
    limiter.enabled = False


def test_writing_is_rate_limited_per_account(client, db, frozen, make_round, anna, other, limited):
    limited["RATELIMIT_COMMENTS"] = "2 per minute"
    round_ = make_round()
    assert write(client, round_.id, "Eins").status_code == 302
    assert write(client, round_.id, "Zwei").status_code == 302
    response = write(client, round_.id, "Drei")
    assert response.status_code == 429
    assert "Too many attempts. Please wait a moment and try again." in response.get_data(as_text=True)
    # The API counts with the forms.
    response = api(client, "POST", f"/api/v1/rounds/{round_.id}/items/{ITEM}/comments",
                   {"body": "Vier", "stance": "support"}, headers=EN)
    assert response.status_code == 429 and response.get_json()["error"]["code"] == "rate_limited"
    assert len(stored(db)) == 2
    # Per account: somebody else (from the same address) still writes.
    assert write(other, round_.id, "Von Bert").status_code == 302


def test_reports_and_helpful_marks_are_rate_limited(client, db, frozen, make_round, anna, other, limited):
    limited["RATELIMIT_REPORTS"] = "1 per hour"
    limited["RATELIMIT_HELPFUL"] = "2 per minute"
    round_ = make_round()
    ids = add_comments(db, round_, anna, 3)
    assert other.submit(f"/runden/{round_.id}/beitraege/{ids[0]}/melden", {"reason": "spam"}).status_code == 302
    assert other.submit(f"/runden/{round_.id}/beitraege/{ids[1]}/melden", {"reason": "spam"}).status_code == 429
    assert api(other, "POST", f"/api/v1/comments/{ids[2]}/reports", {"reason": "spam"}).status_code == 429
    assert api(other, "POST", f"/api/v1/comments/{ids[0]}/helpful").status_code == 200
    assert other.submit(f"/runden/{round_.id}/beitraege/{ids[1]}/hilfreich", {"helpful": "1"}).status_code == 302
    assert api(other, "DELETE", f"/api/v1/comments/{ids[0]}/helpful").status_code == 429
    assert db.scalar(sa.select(sa.func.count()).select_from(Report)) == 1
