"""Consolidation under concurrency, with real connections in threads (the PostgreSQL run is what
counts; SQLite serialises writers): one outcome row per comment, and one decision per proposal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from participation import create_app, db
from participation.accounts.models import User
from participation.comments.models import Comment
from participation.proposals import services
from participation.proposals.models import CommentOutcome, Proposal
from participation.rounds import services as rounds
from participation.rounds.models import Round
from participation.strategy.services import import_version, parse, version_by_number

from .conftest import MUENSTER, migrate, new_database
from .test_concurrency import THREADS, run_at_once

KEY = "mobilitaet-verkehr/zielbild-2"


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    url, drop = new_database(tmp_path_factory)
    migrate(url)
    app = create_app({"DATABASE_URL": url})
    app.extensions["db_engine"].dispose()
    from sqlalchemy.orm import sessionmaker

    from participation.db import make_engine

    engine = make_engine(url, **({} if url.startswith("sqlite") else {"pool_size": THREADS + 2}))
    app.extensions["db_engine"] = engine
    app.extensions["db_sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)
    with app.test_request_context(method="POST"):
        session = db.session()
        import_version(session, parse(MUENSTER.read_text(encoding="utf-8")))
        version = version_by_number(session, "1.0")
        now = datetime.now(UTC)
        items = rounds.rateable_items(session, version)
        round_ = rounds.create_round(session, rounds.RoundData(
            version=version, title_de="Last", title_en=None, description_de=None, description_en=None,
            opens_at=now - timedelta(days=10), closes_at=now - timedelta(days=1), item_ids=[i.id for i in items]))
        round_.stage = "consolidation"
        staff = [User(email=f"m{i}@example.org", display_name=f"M{i}", confirmed_at=now,
                      role="admin" if i == 0 else "moderator") for i in range(THREADS)]
        resident = User(email="r@example.org", display_name="R", confirmed_at=now)
        session.add_all([*staff, resident])
        session.flush()
        item = next(i for i in items if i.key == KEY)
        comment = Comment(round_id=round_.id, item_id=item.id, author_id=resident.id, stance="question",
                          body="Wie?", body_html="<p>Wie?</p>", created_at=now)
        session.add(comment)
        session.commit()
        ids = (round_.id, comment.id, [u.id for u in staff])
    yield app, ids
    engine.dispose()
    drop()


def test_many_moderators_setting_one_comments_outcome_leave_one_row(setup):
    app, (round_id, comment_id, staff) = setup

    def job_for(user_id, outcome):
        def job(session):
            services.set_outcome(session, session.get(Round, round_id), [comment_id], session.get(User, user_id),
                                 outcome, f"Erläuterung von {user_id}")
            return outcome
        return job

    outcomes = ["noted", "duplicate", "out_of_scope"]
    run_at_once(app, [job_for(user_id, outcomes[i % 3]) for i, user_id in enumerate(staff)])
    with app.app_context():
        rows = list(db.session().scalars(sa.select(CommentOutcome).where(CommentOutcome.comment_id == comment_id)))
    assert len(rows) == 1 and rows[0].outcome in outcomes


def test_two_decisions_at_once_decide_once(setup):
    app, (round_id, comment_id, staff) = setup
    admin = staff[0]
    with app.test_request_context(method="POST"):
        session = db.session()
        round_ = session.get(Round, round_id)
        proposal = services.create_proposal(session, round_, session.get(User, staff[1]), services.ProposalData(
            kind="keep", item_key=KEY, rationale_de="Breite Zustimmung"))
        services.transition(session, proposal, session.get(User, staff[1]), "in_review")
        services.transition(session, proposal, session.get(User, staff[2]), "recommended")
        session.commit()
        proposal_id = proposal.id

    def decide(to):
        def job(session):
            try:
                services.transition(session, services.get_proposal(session, proposal_id, lock=True),
                                    session.get(User, admin), to, f"Entscheidung {to}")
            except services.ProposalError as error:
                session.rollback()
                return error.code
            return to
        return job

    answers = run_at_once(app, [decide("accepted"), decide("rejected")])
    assert sorted(answers, key=len)[0] in ("accepted", "rejected") and "invalid_transition" in answers
    with app.app_context():
        stored = db.session().get(Proposal, proposal_id)
        assert stored.state in answers
