"""Ratings under concurrency, with real connections in threads (the suite's PostgreSQL run
is what counts; on SQLite, which serialises writers, the same test runs too).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from participation import create_app, db
from participation.accounts.models import User
from participation.ratings.models import Rating
from participation.ratings.services import rate
from participation.rounds import services as rounds
from participation.strategy.services import import_version, parse, version_by_number

from .conftest import MUENSTER, migrate, new_database

THREADS = 12
KEY = "mobilitaet-verkehr/zielbild-2"


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """Its own database: these tests commit from many connections at once."""
    url, drop = new_database(tmp_path_factory)
    migrate(url)
    app = create_app({"DATABASE_URL": url})
    # Enough connections for every thread at once.
    app.extensions["db_engine"].dispose()
    from sqlalchemy.orm import sessionmaker

    from participation.db import make_engine

    kwargs = {} if url.startswith("sqlite") else {"pool_size": THREADS + 2}
    engine = make_engine(url, **kwargs)
    app.extensions["db_engine"] = engine
    app.extensions["db_sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)
    with app.test_request_context():
        session = db.session()
        import_version(session, parse(MUENSTER.read_text(encoding="utf-8")))
        version = version_by_number(session, "1.0")
        now = datetime.now(UTC)
        items = rounds.rateable_items(session, version)
        round_ = rounds.create_round(session, rounds.RoundData(
            version=version, title_de="Last", title_en=None, description_de=None, description_en=None,
            opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=1),
            item_ids=[i.id for i in items]))
        users = [User(email=f"u{i}@example.org", display_name=f"U{i}", confirmed_at=now) for i in range(60)]
        session.add_all(users)
        session.commit()
        ids = (round_.id, [u.id for u in users])
    yield app, ids
    engine.dispose()
    drop()


def run_at_once(app, jobs):
    """Run each job in its own thread and request context, released together by a barrier."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []
    results: list = []

    def worker(job):
        try:
            with app.test_request_context(method="PUT"):
                barrier.wait()
                session = db.session()
                results.append(job(session))
                session.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def _rate_job(round_id, user_id, value):
    def job(session):
        round_ = session.get(rounds.Round, round_id)
        user = session.get(User, user_id)
        item = rounds.scope_item(session, round_, KEY)
        return rate(session, round_, item, user, "agreement", value).value
    return job


def count(app, round_id, **filters):
    with app.app_context():
        query = sa.select(sa.func.count()).select_from(Rating).where(Rating.round_id == round_id)
        for name, value in filters.items():
            query = query.where(getattr(Rating, name) == value)
        return db.session().scalar(query)


def test_simultaneous_submissions_of_one_person_leave_one_row(setup):
    app, (round_id, users) = setup
    values = [1 + i % 5 for i in range(THREADS)]
    stored = run_at_once(app, [_rate_job(round_id, users[0], value) for value in values])
    assert sorted(stored) == sorted(values)  # every submission was answered
    assert count(app, round_id, user_id=users[0]) == 1
    with app.app_context():
        final = db.session().scalar(sa.select(Rating.value).where(Rating.round_id == round_id, Rating.user_id == users[0]))
    assert final in values


def test_many_participants_at_once_lose_nothing(setup):
    app, (round_id, users) = setup
    participants = users[1:1 + THREADS * 4]
    for batch in range(4):
        chunk = participants[batch * THREADS:(batch + 1) * THREADS]
        run_at_once(app, [_rate_job(round_id, user_id, 4) for user_id in chunk])
    with app.app_context():
        stored = db.session().scalar(
            sa.select(sa.func.count()).select_from(Rating)
            .where(Rating.round_id == round_id, Rating.user_id.in_(participants), Rating.value == 4))
    assert stored == len(participants)


def test_tallies_stay_exact_under_storms_of_changes_and_withdrawals(setup):
    """Threads change, withdraw and re-rate the same cells, and some redeem codes meanwhile."""
    import random

    from participation.ratings import tallies
    from participation.results.services import participant_count

    app, (round_id, users) = setup
    people = users[50:60]  # shared by every thread: same rows, same tally cells
    with app.test_request_context(method="PUT"):
        session = db.session()
        codes = [c.code for c in rounds.generate_codes(session, session.get(rounds.Round, round_id), 3)]
        session.commit()
    keys = [KEY, "leitkoordinate-1"]

    def storm_job(seed):
        generator = random.Random(seed)

        def job(session):
            for step in range(6):  # one request each: one person, one item
                if step and session.get_bind().dialect.name == "sqlite":  # as db.session() does per request
                    session.connection(execution_options={"sqlite_immediate": True})
                round_ = session.get(rounds.Round, round_id)
                user = session.get(User, generator.choice(people))
                item = rounds.scope_item(session, round_, generator.choice(keys))
                value = generator.choice([None, None, 0, 1, 3, 5])
                rate(session, round_, item, user, "agreement", value)
                session.commit()
            return True
        return job

    def redeem_job(user_id, code):
        def job(session):
            round_ = session.get(rounds.Round, round_id)
            rounds.redeem_code(session, round_, session.get(User, user_id), code)
            return True
        return job

    for wave in range(4):
        jobs = [storm_job(wave * 100 + i) for i in range(THREADS - 1)]
        if wave < 3:
            jobs.append(redeem_job(people[wave], codes[wave]))
        run_at_once(app, jobs)

    with app.app_context():
        session = db.session()
        assert tallies.verify(session, round_id) == []
        round_ = session.get(rounds.Round, round_id)
        rated = session.scalar(sa.select(sa.func.count(sa.distinct(Rating.user_id))).where(Rating.round_id == round_id))
        assert participant_count(session, round_) == rated


def test_online_ratings_go_on_while_ballots_are_imported(setup):
    """The import locks the round FOR NO KEY UPDATE: a second import waits, a rating does not."""
    if setup[0].extensions["db_engine"].dialect.name != "postgresql":
        pytest.skip("SQLite serialises all writers")
    from participation.ratings import tallies
    from participation.ratings.ballots import import_ballots

    app, (round_id, users) = setup
    started, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def importer():
        try:
            with app.test_request_context(method="POST"):
                session = db.session()
                round_ = session.get(rounds.Round, round_id)
                import_ballots(session, round_, "paper", f"ballot;item;question;value\nL-1;{KEY};agreement;3\n".encode())
                started.set()
                release.wait(timeout=30)
                session.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            started.set()

    thread = threading.Thread(target=importer)
    thread.start()
    try:
        assert started.wait(timeout=30)
        with app.test_request_context(method="PUT"):
            session = db.session()
            session.execute(sa.text("SET LOCAL lock_timeout = '3s'"))  # fails instead of waiting
            stored = _rate_job(round_id, users[40], 2)(session)
            session.commit()
        assert stored == 2
    finally:
        release.set()
        thread.join(timeout=30)
    assert not errors, errors
    with app.app_context():
        assert tallies.verify(db.session(), round_id) == []
