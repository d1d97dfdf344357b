"""The XSS corpus through the whole app: as comment bodies, display names and report texts,
rendered in the discussion, the thread pages, the moderation queue and the JSON API.
"""

from __future__ import annotations

import html as html_lib
import re

import sqlalchemy as sa

from participation.accounts.models import User
from participation.comments.services import report_comment
from participation.db import utcnow
from participation.strategy.models import StrategyItem

from .test_ratings import ITEM
from .test_sanitize import VECTORS, Collector


def assert_page_safe(page: str, where: str) -> None:
    """Only our own scripts (from /static/), no handlers, no script URLs — anywhere on the page."""
    parser = Collector()
    parser.feed(page)
    for tag, attrs in parser.tags:
        values = dict(attrs)
        if tag == "script":
            assert (values.get("src") or "").startswith("/static/"), (where, attrs)
        assert tag not in ("iframe", "object", "embed", "img", "svg", "math", "base", "meta") or (
            tag == "meta" and "http-equiv" not in values), (where, tag, attrs)
        for name, value in attrs:
            assert not name.startswith("on"), (where, tag, name)
            assert name != "style", (where, tag)
            if name in ("href", "src", "action", "formaction"):
                compact = "".join((value or "").split()).lower()
                assert not compact.startswith(("javascript:", "data:", "vbscript:")), (where, value)


def test_every_vector_everywhere(app, client, db, frozen, make_round, make_user, login):
    round_ = make_round()
    moderator = make_user("mod@example.org", "Moderator", role="moderator")
    authors = [User(email=f"x{i}@example.org", display_name=vector[:60], confirmed_at=utcnow())
               for i, vector in enumerate(VECTORS)]
    db.add_all(authors)
    db.commit()
    item = db.scalar(sa.select(StrategyItem).where(StrategyItem.version_id == round_.version_id,
                                                   StrategyItem.key == ITEM))
    from participation.comments.services import post_comment

    with app.test_request_context(method="POST"):
        comments = [post_comment(db, round_, item, author, f"{index}: {vector}", "question")
                    for index, (author, vector) in enumerate(zip(authors, VECTORS, strict=True))]
        for index, comment in enumerate(comments):
            reporter = authors[(index + 1) % len(authors)]
            report_comment(db, comment, reporter, "other", VECTORS[index][:1000], round_)
        reply = post_comment(db, round_, item, authors[0], VECTORS[1], "support", parent_id=comments[2].id)
    db.commit()

    # The discussion, page by page, and a thread page.
    url = f"/runden/{round_.id}/{ITEM}?sort=oldest"
    seen = 0
    while url:
        page = client.get(url).get_data(as_text=True)
        assert_page_safe(page, url)
        seen += len(re.findall(r'<article class="comment comment-visible', page))
        found = re.search(r'href="([^"]*cursor=[^"#]+)', page)
        url = html_lib.unescape(found.group(1)) if found and "cursor=" in found.group(1) else None
        if seen > 200:
            break
    assert seen >= len(VECTORS)
    assert_page_safe(client.get(f"/runden/{round_.id}/beitraege/{comments[2].id}").get_data(as_text=True),
                     "thread")

    # The JSON API: bodies are sanitised HTML, names are plain strings.
    data = client.get(f"/api/v1/rounds/{round_.id}/items/{ITEM}/comments?sort=oldest").get_json()
    for entry in data["comments"]:
        assert_page_safe(entry["body_html"], "api")
        for answer in entry.get("replies", []):
            assert_page_safe(answer["body_html"], "api reply")

    # The moderation queue shows report texts and names: escaped as well.
    login("mod@example.org")
    for number in range(1, 5):
        queue = client.get(f"/moderation?page={number}")
        assert queue.status_code == 200
        assert_page_safe(queue.get_data(as_text=True), f"queue page {number}")
    assert_page_safe(client.get(f"/moderation/beitraege/{comments[5].id}").get_data(as_text=True), "comment")
    assert_page_safe(client.get(f"/moderation/nutzer/{authors[3].id}").get_data(as_text=True), "user")
    assert moderator and reply
