"""Races found by the security review, with real connections in threads (findings 4 and 8):
twenty identical comments sent at once are stored once; parallel reports of one comment by
one person leave one report and a clean refusal for the rest; one address registered twice
at the same moment gives one account and no error.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from participation import create_app, db
from participation.accounts.models import User
from participation.comments.models import Comment, Report
from participation.comments.services import CommentError, post_comment, report_comment
from participation.rounds import services as rounds
from participation.strategy.services import import_version, parse, version_by_number

from .conftest import MUENSTER, migrate, new_database
from .test_concurrency import KEY, run_at_once

PARALLEL = 20


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    url, drop = new_database(tmp_path_factory)
    migrate(url)
    app = create_app({"DATABASE_URL": url})
    app.extensions["db_engine"].dispose()
    from sqlalchemy.orm import sessionmaker

    from participation.db import make_engine

    kwargs = {} if url.startswith("sqlite") else {"pool_size": PARALLEL + 2}
    engine = make_engine(url, **kwargs)
    app.extensions["db_engine"] = engine
    app.extensions["db_sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)
    with app.test_request_context():
        session = db.session()
        import_version(session, parse(MUENSTER.read_text(encoding="utf-8")))
        version = version_by_number(session, "1.0")
        now = datetime.now(UTC)
        round_ = rounds.create_round(session, rounds.RoundData(
            version=version, title_de="Last", title_en=None, description_de=None, description_en=None,
            opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=1),
            item_ids=[i.id for i in rounds.rateable_items(session, version)]))
        users = [User(email=f"d{i}@example.org", display_name=f"D{i}", confirmed_at=now) for i in range(3)]
        session.add_all(users)
        session.commit()
        ids = (round_.id, [u.id for u in users])
    yield app, ids
    engine.dispose()
    drop()


def _answer(job):
    """The job's result, or the refusal's code: a refusal is an answer, not a failure."""
    def run(session):
        try:
            return job(session)
        except CommentError as error:
            session.rollback()
            return error.code
    return run


def _post(round_id, user_id, body):
    def job(session):
        round_ = session.get(rounds.Round, round_id)
        item = rounds.scope_item(session, round_, KEY)
        return post_comment(session, round_, item, session.get(User, user_id), body, "support").id
    return _answer(job)


def test_twenty_identical_comments_at_once_are_stored_once(setup):
    app, (round_id, (author, _reporter, _other)) = setup
    answers = run_at_once(app, [_post(round_id, author, "Genau derselbe Text") for _ in range(PARALLEL)])
    assert sorted(answers, key=str).count("duplicate") == PARALLEL - 1
    with app.app_context():
        bodies = db.session().scalars(sa.select(Comment.body).where(Comment.author_id == author)).all()
    assert bodies == ["Genau derselbe Text"]


def test_parallel_reports_of_one_comment_by_one_person_leave_one(setup):
    app, (round_id, (author, reporter, _other)) = setup
    [comment_id] = run_at_once(app, [_post(round_id, author, "Ein Beitrag zum Melden")])

    def report(session):
        comment = session.get(Comment, comment_id)
        round_ = session.get(rounds.Round, round_id)
        return report_comment(session, comment, session.get(User, reporter), "spam", None, round_).id

    answers = run_at_once(app, [_answer(report) for _ in range(PARALLEL)])
    assert answers.count("already_reported") == PARALLEL - 1
    with app.app_context():
        session = db.session()
        assert session.scalar(sa.select(sa.func.count()).select_from(Report)
                              .where(Report.comment_id == comment_id)) == 1
        assert session.scalar(sa.select(Comment.report_count).where(Comment.id == comment_id)) == 1


def test_one_address_registered_twice_at_once_gives_one_account(setup):
    from participation.accounts.services import register

    app, _ids = setup

    def job(session):
        user = register(session, "zwilling@example.org", "Zwilling", "Lindenallee-Regenbogen-42", "de")
        return user.id if user is not None else None

    answers = run_at_once(app, [job for _ in range(PARALLEL)])
    assert len([a for a in answers if a is not None]) == 1
    with app.app_context():
        assert db.session().scalar(sa.select(sa.func.count()).select_from(User)
                                   .where(User.email == "zwilling@example.org")) == 1
