"""Tallies: results read from counters kept in the same transaction as every rating change."""

from __future__ import annotations

import sqlalchemy as sa

from participation.accounts import services as accounts
from participation.ratings import tallies
from participation.ratings.models import ParticipationTally, RatingTally
from participation.ratings.services import rate
from participation.results.services import participant_count, participation, round_results
from participation.rounds import services as rounds

from .test_ratings import ITEM


def _people(db, count, prefix="t"):
    from participation.accounts.models import User
    from participation.db import utcnow

    users = [User(email=f"{prefix}{i}@example.org", display_name=f"T{i}", confirmed_at=utcnow()) for i in range(count)]
    db.add_all(users)
    db.flush()
    return users


def _item(db, round_, key=ITEM):
    return rounds.scope_item(db, round_, key)


def test_store_change_withdraw_keep_the_tallies_exact(app, db, frozen, make_round):
    round_ = make_round(results="live", importance=True)
    item, other = _item(db, round_), _item(db, round_, "leitkoordinate-1")
    anna, ben, cem = _people(db, 3)
    with app.test_request_context(method="PUT"):
        rate(db, round_, item, anna, "agreement", 5)
        rate(db, round_, item, ben, "agreement", 5)
        rate(db, round_, item, cem, "agreement", 0)
        rate(db, round_, other, anna, "importance", 3)
        db.commit()
        result = round_results(db, round_)[item.id]["agreement"]
        assert result.counts == {0: 1, 1: 0, 2: 0, 3: 0, 4: 0, 5: 2}
        assert participant_count(db, round_) == 3
        rate(db, round_, item, ben, "agreement", 2)  # change
        rate(db, round_, item, cem, "agreement", None)  # withdraw cem's only rating
        rate(db, round_, item, cem, "agreement", None)  # withdrawing twice changes nothing
        rate(db, round_, item, anna, "agreement", 5)  # the same value again
        # Read in the same transaction: the pending changes are written first.
        assert round_results(db, round_)[item.id]["agreement"].counts == {0: 0, 1: 0, 2: 1, 3: 0, 4: 0, 5: 1}
        db.commit()
    assert participant_count(db, round_) == 2
    assert round_results(db, round_, item_id=other.id)[other.id]["importance"].counts[3] == 1
    assert tallies.verify(db, round_.id) == []


def test_a_rollback_forgets_the_pending_changes(app, db, frozen, make_round):
    round_ = make_round(results="live")
    item = _item(db, round_)
    (anna,) = _people(db, 1)
    with app.test_request_context(method="PUT"):
        rate(db, round_, item, anna, "agreement", 4)
        db.rollback()
        db.commit()
    assert round_results(db, round_) == {}
    assert participant_count(db, round_) == 0
    assert tallies.verify(db, round_.id) == []


def test_redeeming_a_code_moves_earlier_ratings_into_verified(app, db, frozen, make_round):
    round_ = make_round(results="live", participation="accounts")
    item = _item(db, round_)
    anna, ben = _people(db, 2)
    with app.test_request_context(method="PUT"):
        rate(db, round_, item, anna, "agreement", 4)
        rate(db, round_, item, ben, "agreement", 2)
        db.commit()
        code = rounds.generate_codes(db, round_, 1)[0]
        db.commit()
        assert participant_count(db, round_, verified_only=True) == 0
        rounds.redeem_code(db, round_, anna, code.code)
        db.commit()
        verified = round_results(db, round_, verified_only=True)[item.id]["agreement"]
        assert verified.counts[4] == 1 and verified.n == 1
        assert participant_count(db, round_, verified_only=True) == 1
        rate(db, round_, item, anna, "agreement", 1)  # later changes count as verified at once
        db.commit()
    verified = round_results(db, round_, verified_only=True)[item.id]["agreement"]
    assert verified.counts[1] == 1 and verified.n == 1
    assert tallies.verify(db, round_.id) == []


def test_deleting_an_account_keeps_its_ratings_counted(app, db, frozen, make_round):
    round_ = make_round(results="live")
    item = _item(db, round_)
    (anna,) = _people(db, 1)
    with app.test_request_context(method="PUT"):
        rate(db, round_, item, anna, "agreement", 5)
        db.commit()
        accounts.delete_account(db, anna)
        db.commit()
    assert round_results(db, round_)[item.id]["agreement"].counts[5] == 1
    assert participant_count(db, round_) == 1
    assert tallies.verify(db, round_.id) == []


def test_verify_tallies_reports_and_repairs(app, db, frozen, make_round):
    round_ = make_round(results="live")
    item = _item(db, round_)
    anna, ben = _people(db, 2)
    with app.test_request_context(method="PUT"):
        rate(db, round_, item, anna, "agreement", 5)
        rate(db, round_, item, ben, "agreement", 3)
        db.commit()
    # Damage them behind the services' back.
    db.execute(sa.update(RatingTally).where(RatingTally.round_id == round_.id, RatingTally.value == 5)
               .values(n=RatingTally.n + 7))
    db.execute(sa.update(ParticipationTally).where(ParticipationTally.round_id == round_.id).values(participants=0))
    db.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["ratings", "verify-tallies", "--round", str(round_.id)])
    assert result.exit_code == 1
    assert "rating_tally" in result.output and "participation_tally" in result.output
    result = runner.invoke(args=["ratings", "verify-tallies", "--repair"])
    assert result.exit_code == 0, result.output
    assert "Repaired 2 differences" in result.output
    result = runner.invoke(args=["ratings", "verify-tallies"])
    assert result.exit_code == 0 and "exact" in result.output
    db.expire_all()
    assert round_results(db, round_)[item.id]["agreement"].counts[5] == 1
    assert participation(db, round_) == {"online": 2, "offline": 0}


def test_results_read_a_few_rows_whatever_the_number_of_ratings(app, db, engine, frozen, make_round):
    from .test_ratings import QueryCounter, _rate_many

    round_ = make_round(results="live")
    _rate_many(db, round_, ITEM, [1, 2, 3, 4, 5] * 30)
    db.connection()  # the transaction (a savepoint in tests) is not what is counted
    with QueryCounter(engine) as counter:
        found = round_results(db, round_)
        people = participant_count(db, round_)
    assert counter.count == 2
    assert people == 150
    rows = db.scalar(sa.select(sa.func.count()).select_from(RatingTally).where(RatingTally.round_id == round_.id))
    assert rows == 5  # one per value given, not one per rating
    assert found[_item(db, round_).id]["agreement"].n == 150


def test_rebuild_recounts_a_round_set_wise(app, db, frozen, make_round):
    from .test_ratings import _rate_many

    round_ = make_round(results="live", importance=True)
    _rate_many(db, round_, ITEM, [1, 5, 5, 0], verified=(1,))  # calls rebuild
    _rate_many(db, round_, "leitkoordinate-1", [2], question="importance")
    assert tallies.verify(db, round_.id) == []
    assert participation(db, round_) == {"online": 5, "offline": 0}
    assert participant_count(db, round_, verified_only=True) == 1
