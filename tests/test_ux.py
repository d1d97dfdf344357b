"""What a newcomer tripped over, as the server answers it (the browser side is in
test_browser_ux.py): error messages, blocked people, reports, the start of a round, one's own
rating after the close, answers of the city, one reply form per page, wording, the data download.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from babel.messages.pofile import read_po

from participation.comments.models import Comment
from participation.moderation.models import AuditEntry
from participation.templating import html_datetime

from .conftest import PASSWORD, ROOT, Client
from .test_comments import ITEM, add_comments, page, write

EN = {"Accept-Language": "en"}


def html(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def anna(make_user, login):
    user = make_user(language="en")
    assert login().status_code == 302
    return user


@pytest.fixture
def moderator(app, make_user):
    make_user("mod@example.org", "Moritz", role="moderator", language="en")
    client = Client(app.test_client())
    assert client.submit("/login", {"email": "mod@example.org", "password": PASSWORD}).status_code == 302
    return client


# --- forms: every error at once, above its field, in red -------------------------------------------

def test_comment_form_names_every_problem_at_once(client, db, frozen, make_round, anna):
    round_ = make_round()
    response = write(client, round_.id, body="   ", stance="")
    assert response.status_code == 422
    text = html(response)
    assert "Choose whether you agree, criticise, suggest or ask." in text
    assert "Please write something." in text
    summary = text[text.index('class="error-summary"'):]
    assert summary.index("Choose whether") < summary.index("Please write something.")
    # Errors stand above what they are about (GOV.UK): after the legend/label, before the input.
    assert text.index('id="comment-stance-error"') < text.index('id="comment-stance-support"')
    assert text.index('id="comment-body-error"') < text.index('<textarea id="comment-body"')
    assert stored_count(db) == 0


def stored_count(db) -> int:
    db.expire_all()
    return db.scalar(sa.select(sa.func.count()).select_from(Comment))


def test_field_errors_sit_above_the_input_and_win_the_cascade(client):
    response = client.submit("/register", {"email": "kein-at", "display_name": "", "password": "x"}, headers=EN)
    text = html(response)
    assert text.index('id="email-error"') < text.index('<input aria-describedby="email-hint email-error"')
    css = (ROOT / "participation/static/css/app.css").read_text(encoding="utf-8")
    # The invalid rule has more specificity than ".field input[type=text]" (0,2,1).
    assert '.field.field-invalid input:not([type="checkbox"]):not([type="radio"])' in css


# --- the rating panel ----------------------------------------------------------------------------

def test_blocked_people_see_why_where_they_rate(app, client, db, frozen, make_round, make_user, anna):
    from participation.moderation import services as moderation

    round_ = make_round()
    moderator = make_user("mod@example.org", "Moritz", role="moderator")
    with app.test_request_context(method="POST"):
        moderation.block(db, anna, moderator, datetime(2027, 1, 5, 9, 0, tzinfo=UTC), "Beleidigungen im Forum")
    db.commit()
    text = page(client, round_.id)
    panel = text[text.index('id="rate"'):text.index('id="live-results"')]
    assert "Your account is blocked: you can read, but not rate or write for now." in panel
    assert "The block ends on 5 Jan 2027, 10:00." in panel
    assert "Reason given by the moderation: Beleidigungen im Forum" in panel
    assert 'class="rating-form"' not in panel and "Possible answers" not in panel


def test_the_round_page_starts_with_rate_now(app, client, db, frozen, make_round, anna):
    from participation.ratings import services as ratings
    from participation.rounds.services import scope_items

    round_ = make_round()
    first, second = scope_items(db, round_)[:2]
    text = html(client.get(f"/runden/{round_.id}"))
    assert f'href="/runden/{round_.id}/{first.key}#rate">Rate now →</a>' in text
    with app.test_request_context(method="POST"):
        ratings.rate(db, round_, first, anna, "agreement", 4)
    db.commit()
    text = html(client.get(f"/runden/{round_.id}"))
    assert f'href="/runden/{round_.id}/{second.key}#rate">Continue rating →</a>' in text
    visitor = Client(app.test_client())
    text = html(visitor.get(f"/runden/{round_.id}", headers=EN))
    assert f"/login?next=/runden/{round_.id}/{first.key}" in text and "Rate now" in text


def test_after_the_close_the_item_page_still_shows_my_rating(app, client, db, frozen, make_round, anna, login):
    from participation.ratings import services as ratings
    from participation.rounds.services import scope_item

    round_ = make_round(importance=True)
    with app.test_request_context(method="POST"):
        ratings.rate(db, round_, scope_item(db, round_, ITEM), anna, "agreement", 2)
        ratings.rate(db, round_, scope_item(db, round_, ITEM), anna, "importance", 5)
    db.commit()
    frozen.move_to(datetime(2027, 2, 2, tzinfo=UTC))
    assert login().status_code == 302  # the log-in of December has expired by now
    text = page(client, round_.id)
    assert "This round closed on" in text
    mine = re.search(r'<p class="my-rating" id="my-rating">(.*?)</p>', text, re.S)
    assert mine and "Agreement: Tend to disagree" in mine.group(1) and "Importance: Very important" in mine.group(1)


def test_item_page_parts_the_script_refreshes_are_marked(client, db, frozen, make_round, anna):
    round_ = make_round(results="live")
    text = page(client, round_.id)
    for part in ("rating-actions", "rating-progress", "rating-next", "live-results"):
        assert re.search(rf'id="{part}" data-refresh', text), part
    assert 'data-saved-label="Saved ✓"' in text


# --- the discussion --------------------------------------------------------------------------------

def test_reported_comments_say_so_instead_of_offering_report_again(app, client, db, frozen, make_round,
                                                                     make_user, anna):
    round_ = make_round()
    bert = make_user("bert@example.org", "Bert")
    [first, second] = add_comments(db, round_, bert, 2)
    url = f"/runden/{round_.id}/beitraege/{first}/melden"
    assert f'href="{url}"' in page(client, round_.id)
    assert client.submit(url, {"reason": "spam", "text": ""}).status_code == 302
    text = page(client, round_.id)
    assert f'href="{url}"' not in text
    article = text[text.index(f'id="beitrag-{first}"'):]
    article = article[:article.index("</article>")]
    assert "✓ Reported" in article
    assert f'href="/runden/{round_.id}/beitraege/{second}/melden"' in text  # the other one still can be
    thread = html(client.get(f"/runden/{round_.id}/beitraege/{first}"))
    assert "✓ Reported" in thread and f'href="{url}"' not in thread


def test_one_reply_form_per_page_chosen_by_link(client, db, frozen, make_round, make_user, anna):
    round_ = make_round()
    bert = make_user("bert@example.org", "Bert")
    ids = add_comments(db, round_, bert, 5)
    text = page(client, round_.id)
    assert text.count('class="comment-form reply-form"') == 0
    assert text.count('class="comment-form"') == 1  # the form for a new comment
    for comment_id in ids:
        assert f'href="/runden/{round_.id}/{ITEM}?antwort={comment_id}#antwort"' in text

    chosen = ids[2]
    text = page(client, round_.id, f"?antwort={chosen}")
    assert text.count('class="comment-form reply-form"') == 1
    form = text[text.index('id="antwort"') - 200:]
    assert f'action="/runden/{round_.id}/beitraege/{chosen}/antworten"' in form[:400]
    article = text[text.index(f'id="beitrag-{chosen}"'):]
    assert article.index('id="antwort"') < article.index("</article>")  # in place, under that comment
    assert f'?antwort={chosen}#antwort"' not in text  # its own link makes way for the form
    # Unknown or unsuitable targets show no form, never an error.
    for query in ("?antwort=abc", "?antwort=999999", "?antwort=-1", "?antwort=" + "9" * 30):
        assert page(client, round_.id, query).count('class="comment-form reply-form"') == 0

    next_path = f"/runden/{round_.id}/{ITEM}"
    response = client.submit(f"/runden/{round_.id}/beitraege/{chosen}/antworten",
                             {"body": "Gute Frage.", "stance": "question", "next": next_path})
    assert response.status_code == 302 and response.location.startswith(next_path + "#beitrag-")
    db.expire_all()
    assert db.scalar(sa.select(Comment.parent_id).where(Comment.body == "Gute Frage.")) == chosen


def test_moderators_moderate_and_answer_as_the_city_in_place(app, db, frozen, make_round, make_user, moderator):
    round_ = make_round()
    bert = make_user("bert@example.org", "Bert")
    [question] = add_comments(db, round_, bert, 1)
    text = page(moderator, round_.id)
    assert f'href="/moderation/beitraege/{question}">Moderate</a>' in text
    assert 'name="official"' in text  # also on the form for a new comment
    text = page(moderator, round_.id, f"?antwort={question}")
    assert 'id="reply-official"' in text and "Publish as reply of the city" in text

    response = moderator.submit(f"/runden/{round_.id}/beitraege/{question}/antworten",
                                {"body": "Die Stadt prüft das.", "stance": "", "official": "1"})
    assert response.status_code == 302
    db.expire_all()
    answer = db.scalars(sa.select(Comment).where(Comment.parent_id == question)).one()
    assert answer.is_official and answer.stance is None and answer.state == "visible"
    assert db.scalars(sa.select(AuditEntry.action).where(AuditEntry.object_id == answer.id)).all() == [
        "comment.official"]
    text = page(moderator, round_.id)
    article = text[text.index(f'id="beitrag-{answer.id}"'):]
    article = article[:article.index("</article>")]
    assert "Reply from the city" in article and "badge-stance" not in article


def test_residents_cannot_answer_as_the_city(client, db, frozen, make_round, make_user, anna):
    round_ = make_round()
    [question] = add_comments(db, round_, make_user("bert@example.org", "Bert"), 1)
    assert 'name="official"' not in page(client, round_.id, f"?antwort={question}")
    response = client.submit(f"/runden/{round_.id}/beitraege/{question}/antworten",
                             {"body": "Ich bin die Stadt.", "stance": "", "official": "1"})
    assert response.status_code == 403
    assert "Only moderators and administrators answer for the city." in html(response)
    db.expire_all()
    assert db.scalar(sa.select(sa.func.count()).select_from(Comment).where(Comment.parent_id == question)) == 0
    # without "official", a stance is still needed
    response = write(client, round_.id, body="Ohne Haltung", stance="")
    assert response.status_code == 422


# --- wording, download, markup details ------------------------------------------------------------

def test_german_texts_use_neutral_forms_not_the_gender_star():
    with (ROOT / "translations/de/LC_MESSAGES/messages.po").open("rb") as f:
        catalog = read_po(f, locale="de")
    starred = []
    for message in catalog:
        for text in message.string if isinstance(message.string, tuple) else (message.string,):
            if text and re.search(r"\w\*(in|innen|r)\b", text):
                starred.append(text)
    assert starred == []


def test_data_download_has_the_earlier_versions_of_my_comments(app, client, db, frozen, make_round, anna):
    from participation.comments import services as comments
    from participation.rounds.services import scope_item

    round_ = make_round()
    with app.test_request_context(method="POST"):
        comment = comments.post_comment(db, round_, scope_item(db, round_, ITEM), anna, "Erste Fassung", "support")
        frozen.shift(60)
        comments.edit_comment(db, comment, anna, "Zweite Fassung", round_)
        frozen.shift(60)
        comments.edit_comment(db, comment, anna, "Dritte Fassung", round_)
    db.commit()
    data = client.get("/konto/daten").get_json()
    [mine] = data["comments"]
    assert mine["body"] == "Dritte Fassung"
    assert [v["body"] for v in mine["earlier_versions"]] == ["Erste Fassung", "Zweite Fassung"]
    assert all(v["replaced_at"] for v in mine["earlier_versions"])


def test_time_elements_have_no_fraction_of_a_second():
    value = datetime(2026, 11, 27, 5, 33, 12, 123456, tzinfo=UTC)
    assert html_datetime(value) == "2026-11-27T05:33:12Z"
    assert html_datetime(value.astimezone(datetime.now().astimezone().tzinfo)) == "2026-11-27T05:33:12Z"
    assert html_datetime(None) == ""


def test_every_page_has_a_meta_description(client, db, frozen, make_round):
    round_ = make_round()
    seen = set()
    for path in ("/", "/strategie", f"/strategie/{ITEM}", "/login", f"/runden/{round_.id}",
                 f"/runden/{round_.id}/{ITEM}", "/seite/impressum", "/gibt-es-nicht"):
        text = html(client.get(path, headers=EN))
        match = re.search(r'<meta name="description" content="([^"]{20,})">', text)
        assert match, path
        seen.add(match.group(1))
    assert len(seen) >= 4  # pages that have something of their own say it


def test_the_item_link_to_the_strategy_is_a_large_target(client, db, frozen, make_round):
    round_ = make_round()
    text = page(client, round_.id, headers=EN)
    assert re.search(r'<p class="item-links"><a class="target-link" href="/strategie/versionen/1.0/' + ITEM, text)


def test_moderation_filter_offers_items_instead_of_a_key(moderator, db, frozen, make_round):
    make_round()
    text = html(moderator.get("/moderation"))
    assert '<select id="filter-item" name="item">' in text
    assert f'<option value="{ITEM}">' in text and 'type="text" id="filter-item"' not in text


def test_reported_marks_cost_no_query_per_comment(app, client, db, engine, frozen, make_round, make_user, anna):
    from .test_ratings import QueryCounter

    app.config["PAGE_CACHE_SECONDS"] = 0  # every request renders its page: count the rendering's queries
    round_ = make_round()
    ids = add_comments(db, round_, make_user("bert@example.org", "Bert"), 20)
    page(client, round_.id)  # warm the per-process caches (round scope, results) first
    with QueryCounter(engine) as before:
        page(client, round_.id)
    for comment_id in ids[:5]:
        client.submit(f"/runden/{round_.id}/beitraege/{comment_id}/melden", {"reason": "spam", "text": ""})
    page(client, round_.id)  # shows the flashed thanks (a page rendered for this person alone)
    with QueryCounter(engine) as after:
        assert page(client, round_.id).count("✓ Reported") == 5
    assert after.count == before.count
