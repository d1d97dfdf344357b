"""Moderation: the queue, decisions through the web (with the database, the audit log and the
mail that reaches the SMTP server), automatic hiding, blocks, the audit log, the transparency page,
who may do what, bad input, and the round settings. The clock is frozen (conftest.NOW).

Comments are created with the services, not through the discussion pages, so these tests do not
depend on them. Visible texts are compared in English (the msgids).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from participation import permissions
from participation.accounts.models import User
from participation.comments import services as comments
from participation.comments.models import Comment, CommentRevision, Report
from participation.moderation import services as moderation
from participation.moderation.models import AuditEntry, UserBlock
from participation.rounds.models import Round
from participation.rounds.services import scope_item

ITEM = "mobilitaet-verkehr/zielbild-2"
OTHER_ITEM = "teilhabe-kultur/zielbild-1"
NOW = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
MOD, ADMIN = "mod@example.org", "admin@example.org"


# --- helpers -------------------------------------------------------------------------------------

def post(app, db, round_, author, body, stance="criticism", key=ITEM, parent_id=None) -> Comment:
    with app.test_request_context(method="POST"):
        comment = comments.post_comment(db, round_, scope_item(db, round_, key), author, body, stance, parent_id)
    db.commit()
    return comment


def report(app, db, round_, comment, reporter, reason="insult", text=None) -> Report:
    with app.test_request_context(method="POST"):
        made = comments.report_comment(db, comment, reporter, reason, text, round_)
    db.commit()
    return made


def fresh(db, obj):
    db.expire_all()
    return db.get(type(obj), obj.id)


def audit(db, **filters) -> list[AuditEntry]:
    """The moderation's entries (setting up the round is audited too, but not asked about here)."""
    db.expire_all()
    query = sa.select(AuditEntry).where(AuditEntry.object_type != "round").order_by(AuditEntry.id)
    for name, value in filters.items():
        query = query.where(getattr(AuditEntry, name) == value)
    return list(db.scalars(query))


def count(db, model) -> int:
    return db.scalar(sa.select(sa.func.count()).select_from(model))


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def people(make_user):
    """An author, three possible reporters, a moderator and an admin (all in English)."""
    return {
        "anna": make_user("anna@example.org", "Anna", language="en"),
        "bert": make_user("bert@example.org", "Bert", language="en"),
        "carla": make_user("carla@example.org", "Carla", language="en"),
        "dora": make_user("dora@example.org", "Dora", language="en"),
        "mod": make_user(MOD, "Moritz", role="moderator", language="en"),
        "admin": make_user(ADMIN, "Amt", role="admin", language="en"),
    }


@pytest.fixture
def round_(frozen, make_round):
    return make_round()


@pytest.fixture
def as_moderator(login, people):
    assert login(MOD).status_code == 302
    return people["mod"]


@pytest.fixture
def as_admin(login, people):
    assert login(ADMIN).status_code == 302
    return people["admin"]


# --- the queue -------------------------------------------------------------------------------------

def test_queue_lists_waiting_and_reported_comments_with_their_reports(
        app, client, db, frozen, make_round, people, as_moderator):
    post_round = make_round(title="Offene Runde")
    pre_round = make_round(title="Vorab geprüft")
    pre_round.moderation = "pre"
    db.commit()
    fine = post(app, db, post_round, people["anna"], "A calm and useful comment.")
    reported = post(app, db, post_round, people["anna"], "You are all *idiots*.")
    report(app, db, post_round, reported, people["bert"], "insult", "Calls people names")
    report(app, db, post_round, reported, people["carla"], "spam")
    waiting = post(app, db, pre_round, people["bert"], "First wording", stance="suggestion")
    with app.test_request_context(method="POST"):
        comments.edit_comment(db, waiting, people["bert"], "Second wording", pre_round)
    db.commit()
    assert fine.state == "visible" and waiting.state == "pending"

    response = client.get("/moderation")
    assert response.status_code == 200
    html = text(response)
    assert "2 comments need a decision." in html
    assert "A calm and useful comment." not in html
    # The reported comment with both open reports: reason, text, reporter.
    assert "You are all <em>idiots</em>." in html
    assert "Insult</strong>: Calls people names" in html and "Bert" in html
    assert "Spam</strong>" in html and "Carla" in html
    assert "2 open reports" in html
    assert f'href="/runden/{post_round.id}/{ITEM}#beitrag-{reported.id}"' in html
    assert "Offene Runde" in html and "Vorab geprüft" in html
    # The waiting comment with its earlier wording.
    assert "Second wording" in html and "1 earlier version" in html and "First wording" in html
    assert "Waiting for a moderator" in html and "Suggestion" in html
    for comment in (reported, waiting):
        for action in ("freigeben", "ausblenden"):
            assert f'action="/moderation/beitraege/{comment.id}/{action}"' in html
    assert "antwort-der-stadt" not in html  # residents' comments are never the city's reply
    assert f'action="/moderation/nutzer/{people["anna"].id}/sperren"' in html
    # The oldest first.
    assert html.index("You are all") < html.index("Second wording")


def test_queue_filters_by_round_item_and_reason(app, client, db, frozen, make_round, people, as_moderator):
    first, second = make_round(title="Erste"), make_round(title="Zweite")
    for round_, key, body in ((first, ITEM, "first-item"), (first, OTHER_ITEM, "first-other"),
                              (second, ITEM, "second-item")):
        comment = post(app, db, round_, people["anna"], body, key=key)
        report(app, db, round_, comment, people["bert"], "spam" if body == "second-item" else "insult")

    def shown(query: str) -> set[str]:
        html = text(client.get("/moderation" + query))
        return {body for body in ("first-item", "first-other", "second-item") if body in html}

    assert shown("") == {"first-item", "first-other", "second-item"}
    assert shown(f"?round={first.id}") == {"first-item", "first-other"}
    assert shown(f"?round={first.id}&item={OTHER_ITEM}") == {"first-other"}
    assert shown(f"?item={ITEM}") == {"first-item", "second-item"}  # a key without a round: all rounds
    assert shown("?reason=spam") == {"second-item"}
    assert shown(f"?round={second.id}&reason=insult") == set()
    # The item is always picked from a list: the round's items, or without a round the current strategy's.
    html = text(client.get(f"/moderation?round={first.id}"))
    assert '<select id="filter-item" name="item">' in html and f'<option value="{ITEM}">' in html
    html = text(client.get(f"/moderation?item={ITEM}"))
    assert '<input type="text" id="filter-item"' not in html
    assert f'<option value="{ITEM}" selected>Mobilität und Verkehr: ' in html or f'<option value="{ITEM}" selected>' in html
    # Nonsense in the address is ignored, never a 500; a reason outside the list is a 400 naming them.
    for query in ("?round=abc", "?round=999999", "?reason=", "?page=-3", "?page=x", "?item=" + "x" * 500):
        assert client.get("/moderation" + query).status_code == 200
    rude = client.get("/moderation?reason=rude")
    assert rude.status_code == 400 and "insult, spam, misinformation, privacy, other" in text(rude)


def test_queue_is_paginated(app, client, db, frozen, round_, people, as_moderator, monkeypatch):
    monkeypatch.setattr(moderation, "QUEUE_PAGE", 2)
    round_.moderation = "pre"
    db.commit()
    for number in range(5):
        post(app, db, round_, people["anna"], f"Waiting comment number {number}")
    html = text(client.get("/moderation"))
    assert "5 comments need a decision. Page 1 of 3." in html
    assert "number 0" in html and "number 1" in html and "number 2" not in html
    assert 'href="/moderation?page=2" rel="next"' in html
    assert 'href="/moderation?page=3"' in html
    last = text(client.get("/moderation?page=3"))
    assert "number 4" in last and "number 3" not in last and 'rel="prev"' in last
    assert "number 4" in text(client.get("/moderation?page=99"))  # past the end: the last page
    filtered = text(client.get(f"/moderation?round={round_.id}"))
    assert f'href="/moderation?page=2&amp;round={round_.id}"' in filtered


def test_queue_runs_a_fixed_number_of_queries(app, client, db, engine, frozen, round_, people, as_moderator):
    from .test_ratings import QueryCounter

    def queries() -> int:
        with QueryCounter(engine) as counter:
            assert client.get("/moderation").status_code == 200
        return counter.count

    comment = post(app, db, round_, people["anna"], "one")
    report(app, db, round_, comment, people["bert"])
    few = queries()
    for number, reporter in enumerate(("carla", "dora", "mod", "admin")):
        comment = post(app, db, round_, people["bert"], f"more {number}", key=OTHER_ITEM if number % 2 else ITEM)
        report(app, db, round_, comment, people[reporter])
    assert queries() == few


# --- decisions through the web -------------------------------------------------------------------------

def test_approve_a_waiting_comment(app, client, db, frozen, round_, people, as_moderator):
    round_.moderation = "pre"
    db.commit()
    comment = post(app, db, round_, people["anna"], "Please check me first.")
    response = client.submit(f"/moderation/beitraege/{comment.id}/freigeben", {"next": "/moderation"})
    assert response.status_code == 302 and response.headers["Location"] == "/moderation"
    assert "The comment is visible now." in text(client.get("/moderation"))
    comment = fresh(db, comment)
    assert comment.state == "visible" and comment.moderated_by_id == people["mod"].id
    [entry] = audit(db)
    assert (entry.actor_id, entry.action, entry.object_type, entry.object_id) == (
        people["mod"].id, "comment.approved", "comment", comment.id)
    assert "Please check me first." not in text(client.get("/moderation"))


def test_keeping_a_reported_comment_dismisses_the_reports(app, client, db, frozen, round_, people, as_moderator):
    comment = post(app, db, round_, people["anna"], "Controversial but fair.")
    report(app, db, round_, comment, people["bert"], "misinformation")
    response = client.submit(f"/moderation/beitraege/{comment.id}/freigeben")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/moderation/beitraege/{comment.id}"
    assert "The reports have been dismissed; the comment stays visible." in text(client.get(response.headers["Location"]))
    comment = fresh(db, comment)
    assert comment.state == "visible" and comment.report_count == 0
    assert db.scalar(sa.select(Report.resolved_by_id)) == people["mod"].id


def test_hide_tells_the_author_by_mail(app, client, db, frozen, round_, people, as_moderator, mailbox):
    comment = post(app, db, round_, people["anna"], "You are all idiots.")
    report(app, db, round_, comment, people["bert"])
    response = client.submit(f"/moderation/beitraege/{comment.id}/ausblenden",
                             {"reason": "insult", "note": "Please argue without insults.", "next": "/moderation"})
    assert response.status_code == 302
    assert "The comment has been hidden. Its author has been told why by e-mail." in text(client.get("/moderation"))

    comment = fresh(db, comment)
    assert (comment.state, comment.moderation_reason, comment.moderation_note) == (
        "hidden", "insult", "Please argue without insults.")
    assert comment.report_count == 0 and db.scalar(sa.select(Report.resolved_at)) is not None
    [entry] = audit(db, action="comment.hidden")
    assert (entry.actor_id, entry.object_type, entry.object_id, entry.reason) == (
        people["mod"].id, "comment", comment.id, "insult")
    assert entry.details == {"note": "Please argue without insults."}

    mail = mailbox.last_to("anna@example.org")
    body = mail.get_content()
    assert mail["Subject"] == "Your comment was hidden by the moderation"
    assert "Reason: Insult." in body
    assert "Please argue without insults." in body and "You are all idiots." in body
    assert "reply to this e-mail within four weeks" in body
    assert f"http://localhost/runden/{round_.id}/{ITEM}#beitrag-{comment.id}" in body
    assert "http://localhost/seite/netiquette" in body
    assert len(mailbox.messages) == 1


def test_restore_a_hidden_comment_from_its_page(app, client, db, frozen, round_, people, as_moderator):
    comment = post(app, db, round_, people["anna"], "Hidden by mistake.")
    client.submit(f"/moderation/beitraege/{comment.id}/ausblenden", {"reason": "spam", "note": "Looks like spam"})
    page = text(client.get(f"/moderation/beitraege/{comment.id}"))
    assert "Hidden by the moderation" in page and "Spam" in page and "Looks like spam" in page
    assert f'action="/moderation/beitraege/{comment.id}/wiederherstellen"' in page
    assert f'action="/moderation/beitraege/{comment.id}/ausblenden"' not in page

    response = client.submit(f"/moderation/beitraege/{comment.id}/wiederherstellen", {"note": "Not spam after all"})
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "The comment is visible again." in page
    comment = fresh(db, comment)
    assert (comment.state, comment.moderation_reason, comment.moderation_note) == ("visible", None, None)
    [entry] = audit(db, action="comment.restored")
    assert (entry.actor_id, entry.object_id, entry.reason) == (people["mod"].id, comment.id, "Not spam after all")
    # The page shows the history of decisions.
    assert "Comment hidden" in page and "Comment restored" in page and "Not spam after all" in page


def test_mark_and_unmark_a_reply_of_the_city(app, client, db, frozen, round_, people, as_moderator):
    answer = post(app, db, round_, people["mod"], "The city plans a second bus line.", stance="question")
    response = client.submit(f"/moderation/beitraege/{answer.id}/antwort-der-stadt", {"official": "1"})
    assert response.status_code == 302
    assert "The comment is marked as a reply of the city." in text(client.get(response.headers["Location"]))
    assert fresh(db, answer).is_official is True
    client.submit(f"/moderation/beitraege/{answer.id}/antwort-der-stadt", {"official": "0"})
    assert fresh(db, answer).is_official is False
    assert [(e.actor_id, e.action, e.object_id) for e in audit(db)] == [
        (people["mod"].id, "comment.official", answer.id), (people["mod"].id, "comment.unofficial", answer.id)]


def test_a_residents_comment_is_never_the_citys_reply(app, client, db, frozen, round_, people, as_moderator):
    comment = post(app, db, round_, people["anna"], "I speak for myself.")
    page = text(client.get(f"/moderation/beitraege/{comment.id}"))
    assert "Mark as reply of the city" not in page
    response = client.submit(f"/moderation/beitraege/{comment.id}/antwort-der-stadt", {"official": "1"})
    assert response.status_code == 422
    assert "Only comments by moderators or administrators can be marked as a reply of the city." in text(response)
    assert fresh(db, comment).is_official is False and audit(db) == []


@pytest.mark.parametrize(("duration", "days"), [("7", 7), ("30", 30), ("forever", None)])
def test_block_the_author_from_the_queue(app, client, db, frozen, round_, people, as_moderator, duration, days):
    comment = post(app, db, round_, people["anna"], "Spam spam spam")
    report(app, db, round_, comment, people["bert"], "spam")
    response = client.submit(f"/moderation/nutzer/{people['anna'].id}/sperren",
                             {"duration": duration, "reason": "Repeated spam", "next": "/moderation"})
    assert response.status_code == 302 and response.headers["Location"] == "/moderation"
    html = text(client.get("/moderation"))
    anna = fresh(db, people["anna"])
    if days:
        assert anna.blocked_until == NOW + timedelta(days=days)
        assert "Anna is blocked until" in html
    else:
        assert anna.blocked_until == moderation.FOR_GOOD
        assert "Anna is blocked for good." in html
    block = db.scalars(sa.select(UserBlock)).one()
    assert (block.user_id, block.created_by_id, block.reason) == (anna.id, people["mod"].id, "Repeated spam")
    assert block.until == (NOW + timedelta(days=days) if days else None)
    [entry] = audit(db, action="user.blocked")
    assert (entry.actor_id, entry.object_type, entry.object_id, entry.reason) == (
        people["mod"].id, "user", anna.id, "Repeated spam")


def test_blocked_people_read_but_cannot_write(app, client, db, frozen, round_, people, login):
    from participation.ratings.services import rate
    from participation.rounds.services import RoundError

    comment = post(app, db, round_, people["bert"], "Something to report")
    with app.test_request_context(method="POST"):
        moderation.block(db, people["anna"], people["mod"], NOW + timedelta(days=7), "Insults")
    db.commit()
    anna = fresh(db, people["anna"])
    assert not permissions.can_comment(anna, round_)
    assert not permissions.can_rate(anna, round_)
    assert not permissions.can_report(anna, fresh(db, comment))
    with app.test_request_context(method="POST"), pytest.raises(comments.CommentError) as refused:
        comments.post_comment(db, round_, scope_item(db, round_, ITEM), anna, "Let me in", "support")
    assert refused.value.code == "not_allowed" and refused.value.status == 403
    with app.test_request_context(method="POST"), pytest.raises(comments.CommentError):
        comments.report_comment(db, comment, anna, "spam", None, round_)
    with app.test_request_context(method="POST"), pytest.raises(RoundError):
        rate(db, round_, scope_item(db, round_, ITEM), anna, "agreement", 4)
    db.rollback()
    assert count(db, Report) == 0
    # Reading still works.
    login("anna@example.org")
    for path in ("/strategie", f"/runden/{round_.id}", f"/runden/{round_.id}/{ITEM}",
                 f"/runden/{round_.id}/transparenz"):
        assert client.get(path).status_code == 200, path
    # A block for a time ends by itself.
    frozen.move_to(NOW + timedelta(days=7, seconds=1), tick=False)
    assert permissions.can_comment(fresh(db, people["anna"]), round_)


def test_unblock_on_the_user_page(app, client, db, frozen, round_, people, as_moderator):
    with app.test_request_context(method="POST"):
        moderation.block(db, people["anna"], people["mod"], None, "Threats")
    db.commit()
    page = text(client.get(f"/moderation/nutzer/{people['anna'].id}"))
    assert "Blocked for good" in page and "Threats" in page and "Moritz" in page
    response = client.submit(f"/moderation/nutzer/{people['anna'].id}/entsperren", {"reason": "Apologised"})
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "Anna is no longer blocked." in page
    assert fresh(db, people["anna"]).blocked_until is None
    assert db.scalars(sa.select(UserBlock)).one().lifted_at == NOW
    [entry] = audit(db, action="user.unblocked")
    assert (entry.actor_id, entry.object_id, entry.reason) == (people["mod"].id, people["anna"].id, "Apologised")
    # Unblocking again changes nothing.
    again = client.submit(f"/moderation/nutzer/{people['anna'].id}/entsperren")
    assert again.status_code == 422 and "This account is not blocked." in text(again)
    assert len(audit(db, action="user.unblocked")) == 1


def test_user_page_shows_comments_and_the_address_only_to_admins(
        app, client, db, frozen, round_, people, login):
    post(app, db, round_, people["anna"], "My first comment")
    login(MOD)
    page = text(client.get(f"/moderation/nutzer/{people['anna'].id}"))
    assert "Anna" in page and "Participant" in page and "Not blocked" in page
    assert "anna@example.org" not in page
    assert "Comment " in page and "Visible" in page
    assert f'action="/moderation/nutzer/{people["anna"].id}/sperren"' in page
    # Staff cannot be blocked: no form on their page.
    assert "/sperren" not in text(client.get(f"/moderation/nutzer/{people['admin'].id}"))
    client.submit("/logout")
    login(ADMIN)
    assert "anna@example.org" in text(client.get(f"/moderation/nutzer/{people['anna'].id}"))


# --- automatic hiding -------------------------------------------------------------------------------

def test_enough_reports_from_different_people_hide_a_comment(app, client, db, frozen, round_, people, login):
    round_.report_threshold = 2
    db.commit()
    parent = post(app, db, round_, people["dora"], "A question")
    comment = post(app, db, round_, people["anna"], "Rude reply", parent_id=parent.id)
    assert fresh(db, parent).reply_count == 1
    report(app, db, round_, comment, people["bert"], "insult")
    with app.test_request_context(method="POST"), pytest.raises(comments.CommentError) as twice:
        comments.report_comment(db, fresh(db, comment), people["bert"], "insult", None, round_)
    assert twice.value.code == "already_reported"
    db.rollback()
    assert fresh(db, comment).state == "visible"  # one person counts once
    report(app, db, round_, fresh(db, comment), people["carla"], "other", "Off topic and rude")
    comment = fresh(db, comment)
    assert comment.state == "pending" and comment.report_count == 2
    assert fresh(db, parent).reply_count == 0
    [entry] = audit(db, action="comment.auto_hidden")
    assert entry.actor_id is None and entry.object_id == comment.id

    # A second hiding at the same moment (two reports at once) changes nothing more.
    with app.test_request_context(method="POST"):
        moderation.hide_automatically(db, comment)
    db.commit()
    assert len(audit(db, action="comment.auto_hidden")) == 1 and fresh(db, parent).reply_count == 0

    login(MOD)
    html = text(client.get("/moderation"))
    assert "Rude reply" in html and "Hidden after reports" in html and "Off topic and rude" in html
    client.submit(f"/moderation/beitraege/{comment.id}/freigeben")
    assert fresh(db, comment).state == "visible" and fresh(db, parent).reply_count == 1


# --- the audit log --------------------------------------------------------------------------------------

@pytest.fixture
def history(app, db, round_, people):
    """An automatic hiding, a hiding and a block."""
    round_.report_threshold = 1
    db.commit()
    auto = post(app, db, round_, people["anna"], "Reported once")
    report(app, db, round_, auto, people["bert"])
    hidden = post(app, db, round_, people["bert"], "Hidden by the admin")
    with app.test_request_context(method="POST"):
        moderation.hide(db, hidden, people["admin"], "off_topic", "Not about this item")
        moderation.block(db, people["anna"], people["mod"], NOW + timedelta(days=30), "Insults again")
    db.commit()
    return {"auto": auto, "hidden": hidden}


def test_admins_read_and_filter_the_audit_log(client, db, history, people, as_admin):
    response = client.get("/verwaltung/protokoll")
    assert response.status_code == 200
    html = text(response)
    assert "4 entries." in html  # the round's creation (by the fixture) is logged too
    rows = re.findall(r"<tr>\s*<td><time.*?</tr>", html, re.S)
    assert len(rows) == 4
    blocked, hidden, auto, created = rows  # newest first
    assert "Round created" in created
    assert "Moritz" in blocked and "Account blocked" in blocked and "Insults again" in blocked
    assert f'href="/moderation/nutzer/{people["anna"].id}"' in blocked and "Account: Anna" in blocked
    assert "until" in blocked
    assert "Amt" in hidden and "Comment hidden" in hidden and "Off topic" in hidden and "Not about this item" in hidden
    assert f'href="/moderation/beitraege/{history["hidden"].id}"' in hidden
    assert "automatic" in auto and "Comment hidden after reports" in auto and "1 report" in auto

    def actions(query: str) -> list[str]:
        page = text(client.get("/verwaltung/protokoll" + query))
        return re.findall(r"<td>(Account blocked|Comment hidden after reports|Comment hidden)</td>", page)

    assert actions("?action=comment.hidden") == ["Comment hidden"]
    assert actions(f"?actor={people['mod'].id}") == ["Account blocked"]
    assert actions("?actor=automatic") == ["Comment hidden after reports"]
    assert actions("?object_type=comment") == ["Comment hidden", "Comment hidden after reports"]
    assert actions("?object_type=user&action=comment.hidden") == []
    for query in ("?action=", "?actor=abc", "?object_type=", "?page=0", "?page=abc", "?page=1000"):
        assert client.get("/verwaltung/protokoll" + query).status_code == 200
    # Values outside a fixed list: one rule everywhere, 400 naming the allowed values.
    for query, allowed in (("?action=drop", "comment.hidden"), ("?object_type=x", "comment, user")):
        refused = client.get("/verwaltung/protokoll" + query)
        assert refused.status_code == 400 and allowed in text(refused)


def test_audit_log_is_paginated(app, client, db, frozen, round_, people, as_admin, monkeypatch):
    from participation.moderation import views

    monkeypatch.setattr(views, "AUDIT_PAGE", 2)
    with app.test_request_context(method="POST"):
        for number in range(5):
            moderation.audit(db, people["mod"], "comment.approved", "comment", number + 1000)
    db.commit()
    html = text(client.get("/verwaltung/protokoll?action=comment.approved"))
    assert "5 entries. Page 1 of 3." in html
    assert 'href="/verwaltung/protokoll?page=2&amp;action=comment.approved" rel="next"' in html
    assert "Comment 1004" in html and "Comment 1002" not in html


@pytest.mark.parametrize("role", ["moderator", "resident"])
def test_only_admins_read_the_audit_log(client, db, history, make_user, login, role):
    make_user("someone@example.org", "Someone", role=role)
    login("someone@example.org")
    assert client.get("/verwaltung/protokoll").status_code == 403


# --- transparency ---------------------------------------------------------------------------------------

def test_transparency_page_counts_by_state_and_reason(app, client, db, frozen, make_round, people):
    round_ = make_round()
    other = make_round(title="Andere")
    post(app, db, other, people["anna"], "Not counted here")
    shown = [post(app, db, round_, people["anna"], f"shown {n}") for n in range(3)]
    hidden = [post(app, db, round_, people["bert"], f"hidden {n}") for n in range(3)]
    with app.test_request_context(method="POST"):
        moderation.hide(db, hidden[0], people["mod"], "insult", None)
        moderation.hide(db, hidden[1], people["mod"], "insult", None)
        moderation.hide(db, hidden[2], people["mod"], "spam", None)
        comments.delete_comment(db, shown[2], people["anna"])
    db.commit()
    round_.moderation = "pre"
    db.commit()
    post(app, db, round_, people["carla"], "waiting")

    response = client.get(f"/runden/{round_.id}/transparenz", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    html = re.sub(r">\s+<", "><", " ".join(text(response).split()))
    for label, number in (("Written", 7), ("Shown", 2), ("Waiting for a moderator", 1),
                          ("Hidden by the moderation", 3), ("Deleted by their authors", 1),
                          ("Insult", 2), ("Spam", 1), ("Privacy", 0), ("Off topic", 0)):
        assert f'<th scope="row">{label}</th><td class="num">{number}</td>' in html, label
    assert "moderators read every comment before it is shown" in html
    assert "Once 3 different people have reported it" in html
    assert 'href="/seite/netiquette"' in html
    # The round's page links to it.
    assert f'href="/runden/{round_.id}/transparenz"' in text(client.get(f"/runden/{round_.id}"))


def test_transparency_of_a_draft_round_is_for_the_administration(client, frozen, make_round, people, login):
    draft = make_round("draft")
    assert client.get(f"/runden/{draft.id}/transparenz").status_code == 404
    assert client.get("/runden/999999/transparenz").status_code == 404
    login(MOD)
    assert client.get(f"/runden/{draft.id}/transparenz").status_code == 200


# --- who may do what ---------------------------------------------------------------------------------------

MATRIX_ROLES = ["visitor", "resident", "blocked", "author", "moderator", "admin"]
EXPECTED = {  # (GET queue, POST hide, GET audit log)
    "visitor": (302, 302, 302),  # to the log-in page
    "resident": (403, 403, 403),
    "blocked": (403, 403, 403),
    "author": (403, 403, 403),
    "moderator": (200, 302, 403),
    "admin": (200, 302, 200),
}


@pytest.mark.parametrize("role", MATRIX_ROLES)
def test_permission_matrix(app, client, db, frozen, round_, people, login, role):
    comment = post(app, db, round_, people["anna"], "A comment to hide")
    if role == "blocked":
        with app.test_request_context(method="POST"):
            moderation.block(db, people["bert"], people["mod"], None, "Spam")
        db.commit()
    email = {"resident": "carla@example.org", "blocked": "bert@example.org", "author": "anna@example.org",
             "moderator": MOD, "admin": ADMIN}.get(role)
    if email:
        assert login(email).status_code == 302
    queue, hide, log = EXPECTED[role]
    got_queue = client.get("/moderation")
    got_hide = client.submit(f"/moderation/beitraege/{comment.id}/ausblenden", {"reason": "spam"})
    got_log = client.get("/verwaltung/protokoll")
    assert (got_queue.status_code, got_hide.status_code, got_log.status_code) == (queue, hide, log)
    if role == "visitor":
        assert all("/login" in r.headers["Location"] for r in (got_queue, got_hide, got_log))
    assert fresh(db, comment).state == ("hidden" if hide == 302 and role != "visitor" else "visible")
    if role in ("resident", "blocked", "author"):
        for path in (f"/moderation/beitraege/{comment.id}", f"/moderation/nutzer/{people['anna'].id}"):
            assert client.get(path).status_code == 403
        assert client.submit(f"/moderation/nutzer/{people['dora'].id}/sperren",
                             {"duration": "7", "reason": "x"}).status_code == 403
        assert fresh(db, people["dora"]).blocked_until is None


def test_the_moderation_link_is_only_for_moderators_and_admins(client, db, people, login):
    assert 'href="/moderation"' not in text(client.get("/strategie"))
    login("anna@example.org")
    assert 'href="/moderation"' not in text(client.get("/strategie"))
    client.submit("/logout")
    login(MOD)
    assert 'href="/moderation"' in text(client.get("/strategie"))


# --- bad input ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("reason", ["", "rude", "insult'; DROP TABLE comment;--"])
def test_hide_with_an_unknown_reason_is_refused(app, client, db, frozen, round_, people, as_moderator, reason):
    comment = post(app, db, round_, people["anna"], "Still here")
    response = client.submit(f"/moderation/beitraege/{comment.id}/ausblenden", {"reason": reason, "note": "kept"})
    assert response.status_code == 422
    html = text(response)
    assert "Please choose a reason." in html and 'id="hide-reason-error"' in html
    assert '<details class="action-panel" open>' in html and "kept</textarea>" in html
    assert fresh(db, comment).state == "visible" and audit(db) == []


def test_hide_a_deleted_comment_is_refused(app, client, db, frozen, round_, people, as_moderator, mailbox):
    comment = post(app, db, round_, people["anna"], "Soon gone")
    with app.test_request_context(method="POST"):
        comments.delete_comment(db, comment, people["anna"])
    db.commit()
    response = client.submit(f"/moderation/beitraege/{comment.id}/ausblenden", {"reason": "spam"})
    assert response.status_code == 422 and "This comment is not shown anyway." in text(response)
    assert fresh(db, comment).state == "deleted" and audit(db) == [] and mailbox.messages == []
    page = text(client.get(f"/moderation/beitraege/{comment.id}"))
    assert "A deleted comment needs no decision." in page and "Soon gone" in page  # the kept wording


def test_approving_a_hidden_comment_is_refused(app, client, db, frozen, round_, people, as_moderator):
    comment = post(app, db, round_, people["anna"], "Hidden")
    with app.test_request_context(method="POST"):
        moderation.hide(db, comment, people["mod"], "spam", None)
    db.commit()
    response = client.submit(f"/moderation/beitraege/{comment.id}/freigeben")
    assert response.status_code == 422 and "Only waiting or visible comments can be approved." in text(response)
    assert fresh(db, comment).state == "hidden"


@pytest.mark.parametrize("action", ["freigeben", "ausblenden", "wiederherstellen", "antwort-der-stadt"])
def test_actions_on_a_comment_that_does_not_exist(client, as_moderator, action):
    assert client.submit(f"/moderation/beitraege/999999/{action}", {"reason": "spam"}).status_code == 404


def test_unknown_pages_are_404(client, as_moderator):
    assert client.get("/moderation/beitraege/999999").status_code == 404
    assert client.get("/moderation/nutzer/999999").status_code == 404
    assert client.submit("/moderation/nutzer/999999/sperren", {"duration": "7", "reason": "x"}).status_code == 404


def test_block_without_reason_is_refused(client, db, people, as_moderator):
    response = client.submit(f"/moderation/nutzer/{people['anna'].id}/sperren", {"duration": "7", "reason": "  "})
    assert response.status_code == 422
    html = text(response)
    assert "Please give a reason." in html and 'id="block-reason-error"' in html
    assert fresh(db, people["anna"]).blocked_until is None and count(db, UserBlock) == 0 and audit(db) == []


def test_block_with_an_unknown_duration_is_refused(client, db, people, as_moderator):
    response = client.submit(f"/moderation/nutzer/{people['anna'].id}/sperren", {"duration": "365", "reason": "x"})
    assert response.status_code == 422 and "Please choose how long the block lasts." in text(response)
    assert count(db, UserBlock) == 0


@pytest.mark.parametrize("target", ["mod", "admin"])
def test_staff_cannot_be_blocked(client, db, people, as_moderator, target):
    response = client.submit(f"/moderation/nutzer/{people[target].id}/sperren",
                             {"duration": "forever", "reason": "Disagreement"})
    assert response.status_code == 422
    html = text(response)
    assert ("You cannot block yourself." if target == "mod" else
            "Moderators and administrators cannot be blocked.") in html
    assert count(db, UserBlock) == 0 and audit(db) == []
    assert fresh(db, people[target]).blocked_until is None


def test_errors_come_in_the_moderators_language(client, db, make_user, login, people):
    make_user("moderatorin@example.org", "Mona", role="moderator", language="de")
    login("moderatorin@example.org")
    response = client.submit(f"/moderation/nutzer/{people['mod'].id}/sperren", {"duration": "7", "reason": "x"})
    assert response.status_code == 422
    assert '<html lang="de">' in text(response)


def test_decisions_need_a_csrf_token_and_post(app, client, db, frozen, round_, people, as_moderator):
    comment = post(app, db, round_, people["anna"], "Protected")
    assert client.post(f"/moderation/beitraege/{comment.id}/ausblenden", data={"reason": "spam"}).status_code == 400
    assert client.get(f"/moderation/beitraege/{comment.id}/ausblenden").status_code == 405
    assert fresh(db, comment).state == "visible"


def test_next_only_leads_to_this_site(app, client, db, frozen, round_, people, as_moderator):
    comment = post(app, db, round_, people["anna"], "Somewhere")
    report(app, db, round_, comment, people["bert"])
    response = client.submit(f"/moderation/beitraege/{comment.id}/freigeben", {"next": "//evil.example/x"})
    assert response.headers["Location"] == f"/moderation/beitraege/{comment.id}"


def test_moderation_pages_are_valid_for_the_csp(app, client, db, frozen, round_, people, as_admin, history):
    for path in ("/moderation", f"/moderation/beitraege/{history['hidden'].id}",
                 f"/moderation/nutzer/{people['anna'].id}", "/verwaltung/protokoll", f"/runden/{round_.id}/transparenz"):
        html = text(client.get(path))
        assert "<script>" not in html and "style=" not in html and "<style" not in html, path
        ids = re.findall(r'\sid="([^"]+)"', html)
        assert len(ids) == len(set(ids)), (path, sorted({i for i in ids if ids.count(i) > 1}))
        for target in re.findall(r'<label for="([^"]+)"', html):
            assert f'id="{target}"' in html, (path, target)


# --- round settings -------------------------------------------------------------------------------------

def _round_form(db, **overrides) -> dict:
    from participation.rounds.services import rateable_items
    from participation.strategy.services import version_by_number

    version = version_by_number(db, "1.0")
    data = {
        "version": str(version.id), "title_de": "Runde mit Moderation", "title_en": "", "description_de": "",
        "description_en": "", "opens": "2026-12-20T09:00", "closes": "2027-01-31T18:00",
        "items": [str(item.id) for item in rateable_items(db, version)],
        "results_visibility": "after_close", "participation": "accounts",
        "moderation": "pre", "report_threshold": "5",
    }
    data.update(overrides)
    return data


def test_admin_sets_moderation_and_report_threshold(client, db, frozen, people, as_admin):
    form = text(client.get("/verwaltung/runden/neu"))
    assert 'name="moderation" type="radio" value="post" checked' in form or (
        'value="post"' in form and "checked" in form)
    assert 'name="report_threshold"' in form and 'value="3"' in form
    response = client.submit("/verwaltung/runden/neu", _round_form(db))
    assert response.status_code == 302
    round_ = db.scalars(sa.select(Round).where(Round.title_de == "Runde mit Moderation")).one()
    assert (round_.moderation, round_.report_threshold) == ("pre", 5)
    page = text(client.get(f"/verwaltung/runden/{round_.id}"))
    assert "Only after a moderator approved them (pre-moderation)" in page
    edit = text(client.get(f"/verwaltung/runden/{round_.id}/bearbeiten"))
    assert 'value="5"' in edit
    response = client.submit(f"/verwaltung/runden/{round_.id}/bearbeiten",
                             _round_form(db, moderation="post", report_threshold="1"))
    assert response.status_code == 302
    round_ = fresh(db, round_)
    assert (round_.moderation, round_.report_threshold) == ("post", 1)


def test_round_settings_default_to_post_moderation_and_three_reports(client, db, frozen, people, as_admin):
    data = _round_form(db)
    del data["moderation"], data["report_threshold"]
    assert client.submit("/verwaltung/runden/neu", data).status_code == 302
    round_ = db.scalars(sa.select(Round)).one()
    assert (round_.moderation, round_.report_threshold) == ("post", 3)


@pytest.mark.parametrize(("value", "message"), [
    ("0", "Choose a number from 1 to 100."),
    ("101", "Choose a number from 1 to 100."),
    ("", "Please enter a whole number."),
    ("drei", "Please enter a whole number."),
])
def test_bad_report_thresholds_are_refused(client, db, frozen, people, as_admin, value, message):
    response = client.submit("/verwaltung/runden/neu", _round_form(db, report_threshold=value))
    assert response.status_code == 422 and message in text(response)
    assert count(db, Round) == 0


def test_unknown_moderation_mode_is_refused(client, db, frozen, people, as_admin):
    response = client.submit("/verwaltung/runden/neu", _round_form(db, moderation="never"))
    assert response.status_code == 422 and count(db, Round) == 0


CREATE = ["rounds", "create", "--version", "1.0", "--title", "Konsole", "--opens", "2026-12-01 09:00",
          "--closes", "2027-01-31 18:00"]


def test_cli_creates_a_pre_moderated_round(app, db):
    result = app.test_cli_runner().invoke(args=[*CREATE, "--pre-moderation", "--report-threshold", "7"])
    assert result.exit_code == 0, result.output
    round_ = db.get(Round, int(result.stdout))
    assert (round_.moderation, round_.report_threshold) == ("pre", 7)
    default = db.get(Round, int(app.test_cli_runner().invoke(args=CREATE).stdout))
    assert (default.moderation, default.report_threshold) == ("post", 3)


@pytest.mark.parametrize("value", ["0", "101", "x"])
def test_cli_refuses_a_bad_report_threshold(app, db, value):
    result = app.test_cli_runner().invoke(args=[*CREATE, "--report-threshold", value])
    assert result.exit_code != 0 and "--report-threshold" in result.output
    assert count(db, Round) == 0


def test_service_rules_hold_without_the_web(app, db, frozen, round_, people):
    """The rules the pages rely on, straight on the services."""
    comment = post(app, db, round_, people["anna"], "Rules")
    with app.test_request_context(method="POST"):
        with pytest.raises(moderation.ModerationError) as unknown:
            moderation.hide(db, comment, people["mod"], "rude", None)
        assert unknown.value.code == "unknown_reason"
        with pytest.raises(moderation.ModerationError) as past:
            moderation.block(db, people["anna"], people["mod"], NOW - timedelta(days=1), "x")
        assert past.value.code == "until_in_past"
        with pytest.raises(moderation.ModerationError) as restore:
            moderation.restore(db, comment, people["mod"])
        assert restore.value.code == "wrong_state"
    db.rollback()
    assert audit(db) == [] and count(db, CommentRevision) == 0
    assert db.get(User, people["anna"].id).blocked_until is None


# --- in a real browser -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def moderated_round(live_server):
    """A live round with reported, waiting and hidden comments, a block, and the staff to see them."""
    from participation import db
    from participation.accounts import services as accounts
    from participation.rounds import services as rounds
    from participation.strategy.services import version_by_number

    from .conftest import PASSWORD

    app = live_server.app
    with app.test_request_context(method="POST"):
        session = db.session()
        version = version_by_number(session, "1.0")
        now = datetime.now(UTC)
        round_ = rounds.create_round(session, rounds.RoundData(
            version=version, title_de="Winterrunde", title_en="Winter round", description_de=None,
            description_en=None, opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=30),
            item_ids=[i.id for i in rounds.rateable_items(session, version)], report_threshold=2))
        people = {}
        for email, name, role, language in (
                ("anna@example.org", "Anna", "resident", "de"), ("bert@example.org", "Bert", "resident", "de"),
                ("carla@example.org", "Carla", "resident", "de"), ("mod@example.org", "Moritz", "moderator", "de"),
                ("admin@example.org", "Amt", "admin", "en")):
            people[name] = accounts.create_user(session, email, name, role, PASSWORD)
            people[name].language = language
        session.flush()
        item = scope_item(session, round_, ITEM)
        rude = comments.post_comment(session, round_, item, people["Anna"], "Ihr seid alle **Idioten**.", "criticism")
        comments.report_comment(session, rude, people["Bert"], "insult", "Beleidigt alle anderen", round_)
        spam = comments.post_comment(session, round_, item, people["Bert"], "Billige Uhren: https://spam.example",
                                     "suggestion")
        comments.report_comment(session, spam, people["Anna"], "spam", None, round_)
        comments.report_comment(session, spam, people["Carla"], "spam", "Werbung", round_)  # hidden automatically
        edited = comments.post_comment(session, round_, item, people["Carla"], "Der Bus fährt zu selten.", "question")
        comments.edit_comment(session, edited, people["Carla"], "Der Bus 14 fährt abends zu selten.", round_)
        comments.report_comment(session, edited, people["Anna"], "misinformation", "Stimmt nicht", round_)
        hidden = comments.post_comment(session, round_, item, people["Anna"], "Off-topic", "support")
        moderation.hide(session, hidden, people["Moritz"], "off_topic", "Bitte beim Thema bleiben")
        moderation.block(session, people["Bert"], people["Moritz"], now + timedelta(days=7), "Werbung")
        session.commit()
        return {"round": round_.id, "hidden": hidden.id, "anna": people["Anna"].id}


@pytest.mark.browser
def test_moderation_in_the_browser(live_server, open_tab, moderated_round):
    from .browser_support import Tab
    from .conftest import PASSWORD

    def log_in(tab: Tab, email: str) -> None:
        tab.goto("/login")
        tab.page.fill("#email", email)
        tab.page.fill("#password", PASSWORD)
        with tab.page.expect_navigation():
            tab.page.locator("main form button[type=submit]").click()

    moderator = open_tab("de-DE")
    log_in(moderator, "mod@example.org")
    for path in ("/moderation", f"/moderation/beitraege/{moderated_round['hidden']}",
                 f"/moderation/nutzer/{moderated_round['anna']}", f"/runden/{moderated_round['round']}/transparenz"):
        moderator.goto(path)
        moderator.check_axe()
    moderator.goto("/moderation")
    moderator.page.locator("article.moderation-entry").first.locator("details.action-panel summary").first.click()
    moderator.check_axe()  # with a decision panel open
    moderator.screenshot("moderation-queue")
    moderator.assert_csp_held()

    # Hide the first comment by keyboard alone, without JavaScript.
    plain = open_tab("de-DE", java_script_enabled=False)
    log_in(plain, "mod@example.org")
    plain.goto("/moderation")
    assert plain.page.locator("article.moderation-entry").count() == 3
    entry = plain.page.locator("article.moderation-entry").first
    entry.locator("details.action-panel summary").first.focus()
    plain.page.keyboard.press("Enter")
    entry.locator("select[name=reason]").focus()
    entry.locator("select[name=reason]").select_option("insult")
    entry.locator("textarea[name=note]").focus()
    plain.page.keyboard.type("Bitte ohne Beleidigungen.")
    entry.locator("button.button-danger").first.focus()
    with plain.page.expect_navigation():
        plain.page.keyboard.press("Enter")
    assert plain.page.locator("article.moderation-entry").count() == 2
    assert plain.page.locator(".flash-success").count() == 1

    admin = open_tab("en-GB")
    log_in(admin, "admin@example.org")
    admin.goto("/verwaltung/protokoll")
    # The round's creation, automatic hiding, the hiding and the block of the set-up, and the hiding just now.
    assert admin.page.locator("table.audit-table tbody tr").count() == 5
    admin.check_axe()
    admin.screenshot("moderation-audit-log")
    admin.goto("/moderation")
    admin.check_axe()
    admin.screenshot("moderation-queue-en")
    admin.assert_csp_held()
