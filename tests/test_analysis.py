"""The analysis (step 9): opinion groups, consensus, division, representativeness, weighting.

The computation is tested on planted data as a pure function; the database path, the cache, the
API and the page on a real round with online and offline participants.
"""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa

from participation.analysis import compute
from participation.analysis.population import PopulationFileError, parse
from participation.ratings.models import Ballot, Rating

from .test_api import schema_validator

AGREE = [5] * 10 + [5] * 5
DISAGREE = [1] * 10 + [5] * 5


def planted(groups: list[tuple[int, list[int]]], seed: int = 7) -> np.ndarray:
    """Participants who hold a view, each answer moved by at most one step at random."""
    rng = np.random.default_rng(seed)
    rows = [np.clip(np.array(view) + rng.integers(-1, 2, len(view)), 1, 5)
            for size, view in groups for _ in range(size)]
    return np.array(rows, dtype=np.int8)


# --- the computation -------------------------------------------------------------------------------

def test_two_planted_groups_are_found_with_consensus_and_division():
    result = compute.analyse(planted([(60, AGREE), (40, DISAGREE)]))
    assert result.k == 2
    assert [(group.id, group.size) for group in result.groups] == [(1, 60), (2, 40)]
    assert result.participants == result.included == 100
    # The five shared items are consensus, the ten opposite ones divide the groups.
    assert [item.consensus for item in result.items] == [False] * 10 + [True] * 5
    assert all(item.divided and item.divisive > 0.8 for item in result.items[:10])
    assert all(not item.divided for item in result.items[10:])
    by_division = sorted(result.items, key=lambda item: -item.divisive)
    assert {item.index for item in by_division[:10]} == set(range(10))
    # The first ten items set both groups apart (two-proportion z-test against the others).
    for group in result.groups:
        assert {entry["index"] for entry in group.distinguishing} == set(range(10))
    # Membership follows the input rows: the first 60 rows are group 1.
    assert set(result.membership[:60]) == {1} and set(result.membership[60:]) == {2}


def test_a_group_of_eight_is_never_shown():
    third = [3, 1, 5, 1, 5, 1, 5, 1, 5, 1, 1, 1, 1, 1, 1]
    values = planted([(60, AGREE), (40, DISAGREE), (8, third)])
    result = compute.analyse(values)
    assert [group.size for group in result.groups] == [60, 40]
    assert (result.membership[100:] == 0).all()  # ungrouped
    assert result.included == 108
    assert all(set(item.groups) == {1, 2} for item in result.items)


def test_two_calls_and_any_row_order_give_identical_answers():
    values = planted([(60, AGREE), (40, DISAGREE), (25, [3] * 15)], seed=3)
    first, second = compute.analyse(values), compute.analyse(values.copy())
    assert repr(first) == repr(second)
    shuffled = np.random.default_rng(1).permutation(len(values))
    again = compute.analyse(values[shuffled])
    assert [(g.id, g.size) for g in again.groups] == [(g.id, g.size) for g in first.groups]
    assert (again.membership == first.membership[shuffled]).all()
    assert [item.share_agree for item in again.items] == [item.share_agree for item in first.items]


def test_too_few_ratings_and_too_few_people():
    values = planted([(60, AGREE), (40, DISAGREE)])
    values[:5, 3:] = compute.MISSING  # five people rated only three items: not included
    result = compute.analyse(values)
    assert result.included == 95 and (result.membership[:5] == 0).all()
    assert [group.size for group in result.groups] == [55, 40]
    # Still counted in the per-item figures.
    assert result.items[0].n == 100 and result.items[5].n == 95
    small = compute.analyse(planted([(12, AGREE)]))
    assert small.groups == [] and small.k is None
    assert all(item.divisive is None and item.consensus == (item.share_agree >= 0.6) for item in small.items)
    empty = compute.analyse(np.zeros((0, 4), dtype=np.int8))
    assert empty.participants == 0 and [item.share_agree for item in empty.items] == [None] * 4


def test_shares_intervals_and_uncertain_items():
    values = np.full((40, 8), 4, dtype=np.int8)
    values[:10, 0] = 3  # 25 % neutral
    values[:14, 1] = 0  # 35 % "keine Angabe": uncertain
    values[:, 2] = [5] * 30 + [1] * 10
    result = compute.analyse(values)
    assert result.items[0].share_agree == 0.75 and not result.items[0].uncertain
    assert result.items[1].uncertain and result.items[1].answered == 26 and result.items[1].share_agree == 1.0
    lo, hi = result.items[2].ci
    assert result.items[2].share_agree == 0.75 and lo == pytest.approx(0.5976, abs=1e-3)
    assert hi == pytest.approx(0.8581, abs=1e-3)
    assert compute.wilson(0, 0) is None


def test_recomputing_from_an_exported_ratings_table_gives_the_same_groups():
    values = planted([(60, AGREE), (40, DISAGREE)], seed=11)
    names = [f"p{index:03d}" for index in range(len(values))]
    result = compute.analyse(values)
    # An export: one row per rating (pseudonym, item, value), in any order, without the gaps.
    rows = [(names[p], f"item-{i}", int(values[p, i])) for p in range(len(values)) for i in range(15)]
    rows.reverse()
    people = sorted({row[0] for row in rows}, reverse=True)
    keys = sorted({row[1] for row in rows}, key=lambda key: int(key.split("-")[1]))
    rebuilt = np.full((len(people), len(keys)), compute.MISSING, dtype=np.int8)
    for name, key, value in rows:
        rebuilt[people.index(name), keys.index(key)] = value
    again = compute.analyse(rebuilt)
    assert [(g.id, g.size) for g in again.groups] == [(g.id, g.size) for g in result.groups]
    assert {people[p]: int(g) for p, g in enumerate(again.membership)} == {
        names[p]: int(g) for p, g in enumerate(result.membership)}


def test_weighted_shares():
    values = np.array([[5], [5], [1], [1]], dtype=np.int8)
    assert compute.weighted_share_agree(values, np.array([1.0, 1.0, 3.0, 3.0])) == [0.25]
    assert compute.weighted_share_agree(values, np.zeros(4)) == [None]


def test_population_file_format():
    population = parse("source: Stadt\nyear: 2021\ndistricts: {mitte: 3, nord: 1}\n")
    assert population.districts["mitte"] == 0.75 and population.districts["ost"] == 0.0
    assert population.age_brackets == {} and population.verified is False
    for bad, message in (("districts: {mitte: 1}", "source"),
                         ("source: x\ndistricts: {mars: 1}", "unknown"),
                         ("source: x\ndistricts: {mitte: -1}", "at least 0"),
                         ("source: x\nyear: soon", "year")):
        with pytest.raises(PopulationFileError, match=message):
            parse(bad)


def test_a_broken_population_file_names_itself(tmp_path):
    from participation.analysis.population import load

    with pytest.raises(PopulationFileError, match="missing.yaml"):
        load(str(tmp_path / "missing.yaml"))
    broken = tmp_path / "broken.yaml"
    broken.write_text("source: [unclosed\n", encoding="utf-8")
    with pytest.raises(PopulationFileError, match="broken.yaml: not valid YAML"):
        load(str(broken))


def test_shipped_population_file_covers_every_district():
    from participation.accounts.models import AGE_BRACKETS, DISTRICTS
    from participation.analysis.population import load

    population = load(None)
    assert set(population.districts) == set(DISTRICTS) and sum(population.districts.values()) == pytest.approx(1)
    assert set(population.age_brackets) == set(AGE_BRACKETS)
    assert population.source and population.year and population.verified is False


# --- a round in the database ----------------------------------------------------------------------

def seed_round(db, round_, groups, districts=None, ballots=0, verified=()):
    """Participants with planted views on the round's first items, straight into the database;
    the last ``ballots`` of them are offline ballots. Returns the participants' ids in order."""
    from participation.accounts.models import User
    from participation.db import utcnow
    from participation.rounds.models import InvitationCode
    from participation.rounds.services import scope_items

    items = scope_items(db, round_)
    values = planted(groups)
    total = len(values)
    people = []
    for index in range(total):
        district = districts[index] if districts else None
        if index >= total - ballots:
            person = Ballot(round_id=round_.id, code=f"B-{index:04d}", channel="paper", district=district)
        else:
            person = User(email=f"a{round_.id}-{index}@example.org", display_name=f"A{index}",
                          confirmed_at=utcnow(), district=district)
        db.add(person)
        people.append(person)
    db.flush()
    rows = []
    for index, person in enumerate(people):
        owner = {"ballot_id": person.id} if isinstance(person, Ballot) else {"user_id": person.id}
        rows += [dict(round_id=round_.id, item_id=items[i].id, question="agreement", value=int(values[index, i]),
                      **owner) for i in range(values.shape[1])]
        if index in verified:
            db.add(InvitationCode(round_id=round_.id, code=f"V-{round_.id}-{index}", redeemed_by_id=person.id,
                                  redeemed_at=utcnow()))
    db.execute(sa.insert(Rating), rows)
    db.commit()
    return people, items


@pytest.fixture
def planted_round(db, frozen, make_round):
    round_ = make_round(results="live")
    districts = (["mitte"] * 50 + ["west"] * 30 + ["hiltrup"] * 17 + ["nord"] * 3)
    people, items = seed_round(db, round_, [(60, AGREE), (40, DISAGREE)], districts=districts, ballots=20,
                               verified=range(12))
    return round_, people, items


def test_api_analysis_of_a_round_with_online_and_offline_participants(client, planted_round):
    round_, people, items = planted_round
    response = client.get(f"/api/v1/rounds/{round_.id}/analysis")
    assert response.status_code == 200
    data = response.get_json()
    assert (data["participants"], data["included"]) == (100, 100)
    assert [(g["id"], g["size"]) for g in data["groups"]] == [(1, 60), (2, 40)]
    parameters = data["parameters"]
    assert parameters["k"] == 2 and parameters["seed"] == compute.SEED and parameters["min_ratings"] == 7
    assert set(parameters["versions"]) == {"numpy", "scikit-learn"}
    assert len(data["items"]) == 26
    assert sum(item["n"] for item in data["items"]) == 100 * 15  # every rating read
    by_key = {item["key"]: item for item in data["items"]}
    first = by_key[items[0].key]
    assert set(first) >= {"key", "share_agree", "ci", "consensus", "divisive", "uncertain", "groups"}
    assert first["groups"] == {"1": 1.0, "2": 0.0} and first["divisive"] == 1.0 and not first["consensus"]
    assert by_key[items[12].key]["consensus"] is True
    assert by_key[items[20].key]["share_agree"] is None  # nobody rated it
    # Districts beside population shares; three people in Nord: suppressed, and the next smallest
    # cell (nobody gave no district, so Hiltrup's 17) is not: zero cells reveal nobody.
    districts = {row["district"]: row for row in data["districts"]}
    assert districts["mitte"]["participants"] == 50 and districts["mitte"]["sample_share"] == 0.5
    assert districts["nord"]["participants"] is None and districts["nord"]["sample_share"] is None
    assert districts["ost"]["participants"] == 0
    assert districts["hiltrup"]["participants"] is None  # secondary suppression: Nord = 100 − the rest
    assert 0 < districts["nord"]["population_share"] < 1
    assert data["district_not_stated"] == 0
    assert data["weighting"]["applied"] and data["weighting"]["districts"] == ["mitte", "west", "hiltrup"]
    assert data["weighting"]["participants"] == 97
    assert first["weighted_share_agree"] is not None and first["weighted_share_agree"] != first["share_agree"]

    schema_validator("RoundAnalysis").validate(data)
    client.application.extensions["analysis_cache"].clear()  # computed afresh: the same answer
    assert client.get(f"/api/v1/rounds/{round_.id}/analysis").get_json() == data

    verified = client.get(f"/api/v1/rounds/{round_.id}/analysis?verified=1").get_json()
    assert verified["verified_only"] and verified["participants"] == 12 and verified["groups"] == []


def test_api_analysis_is_as_visible_as_the_results(client, db, frozen, make_round, make_user, login):
    round_ = make_round(results="after_close")
    response = client.get(f"/api/v1/rounds/{round_.id}/analysis", headers={"Accept-Language": "en"})
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "results_hidden"
    assert client.get(f"/runden/{round_.id}/analyse").status_code == 403
    assert client.get(f"/api/v1/rounds/{round_.id + 1000}/analysis").status_code == 404
    draft = make_round(state="draft", results="live")
    assert client.get(f"/api/v1/rounds/{draft.id}/analysis").status_code == 404
    make_user(role="admin")
    login()
    empty = client.get(f"/api/v1/rounds/{round_.id}/analysis").get_json()
    assert empty["participants"] == 0 and empty["groups"] == [] and empty["parameters"]["k"] is None


def test_membership_is_for_admins_with_round_pseudonyms(app, client, planted_round, make_user, login):
    from participation.pseudonyms import ballot_pseudonym, pseudonymizer

    round_, people, _items = planted_round
    path = f"/api/v1/rounds/{round_.id}/analysis/membership"
    assert client.get(path).status_code == 401
    make_user("mod@example.org", role="moderator")
    login("mod@example.org")
    assert client.get(path).status_code == 403
    client.submit("/logout")
    make_user("admin@example.org", role="admin")
    login("admin@example.org")
    data = client.get(path).get_json()
    schema_validator("AnalysisMembership").validate(data)
    with app.app_context():
        pseudonym = pseudonymizer(round_.id)
        expected = {
            (ballot_pseudonym(person.code) if isinstance(person, Ballot) else pseudonym(person.id)):
                (1 if index < 60 else 2)
            for index, person in enumerate(people)
        }
    assert {entry["participant"]: entry["group"] for entry in data["participants"]} == expected
    assert "ballot:B-0099" in expected


def test_groups_from_an_exported_style_ratings_table_match_the_api(app, client, db, planted_round, make_user, login):
    """What a researcher does with the export: pivot (pseudonym, item, value) and run the same function."""
    from participation.accounts.models import User
    from participation.pseudonyms import ballot_pseudonym, pseudonymizer
    from participation.strategy.models import StrategyItem

    round_, _people, _items = planted_round
    make_user("admin@example.org", role="admin")
    login("admin@example.org")
    groups = {e["participant"]: e["group"] for e in client.get(
        f"/api/v1/rounds/{round_.id}/analysis/membership").get_json()["participants"]}
    with app.app_context():
        pseudonym = pseudonymizer(round_.id)
        exported = [
            (pseudonym(user_id) if user_id else ballot_pseudonym(code), key, value)
            for user_id, code, key, value in db.execute(
                sa.select(User.id, Ballot.code, StrategyItem.key, Rating.value)
                .join(StrategyItem, StrategyItem.id == Rating.item_id)
                .outerjoin(User, User.id == Rating.user_id).outerjoin(Ballot, Ballot.id == Rating.ballot_id)
                .where(Rating.round_id == round_.id, Rating.question == "agreement"))
        ]
    names = sorted({row[0] for row in exported})
    keys = [item.key for item in _items]
    matrix = np.full((len(names), len(keys)), compute.MISSING, dtype=np.int8)
    for name, key, value in exported:
        matrix[names.index(name), keys.index(key)] = value
    result = compute.analyse(matrix)
    assert {name: (int(g) or None) for name, g in zip(names, result.membership, strict=True)} == groups


def test_cached_until_the_ratings_change(app, client, db, planted_round):
    from participation import db as database
    from participation.analysis.services import item_figures, round_analysis

    round_, people, items = planted_round
    with app.app_context():
        session = database.session()
        first = round_analysis(session, round_)
        assert round_analysis(session, round_) is first
        figures = item_figures(session, round_, items[0])
        assert figures["divisive"] == 1.0 and figures["consensus"] is False and figures["groups_shown"] == 2
    db.execute(sa.update(Rating).where(Rating.user_id == people[0].id, Rating.item_id == items[0].id)
               .values(value=1))
    db.commit()
    with app.app_context():
        session = database.session()
        changed = round_analysis(session, round_)
        assert changed is not first
        assert (first.result.items[0].agree, changed.result.items[0].agree) == (60, 59), (first.result.items[0], changed.result.items[0])


def test_analysis_page_in_german_and_english(client, planted_round):
    round_, _people, items = planted_round
    page = client.get(f"/runden/{round_.id}/analyse").get_data(as_text=True)
    assert "keine Zufallsstichprobe" in page
    assert "Meinungsgruppen" in page and "Gruppe 2" in page and "Gewichtet nach Stadtbezirk" in page
    assert "<svg" in page and "style=" not in page
    assert f'href="/runden/{round_.id}/analyse"' in client.get(f"/runden/{round_.id}/ergebnisse").get_data(
        as_text=True)
    english = client.get(f"/runden/{round_.id}/analyse", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "not a random sample" in english and "Items by division" in english
    assert "Verified participants only" in english
    verified = client.get(f"/runden/{round_.id}/analyse?verified=1").get_data(as_text=True)
    assert "12 Personen haben teilgenommen" in verified


def test_population_file_is_configurable(app, client, planted_round, tmp_path):
    round_, _people, _items = planted_round
    file = tmp_path / "population.yaml"
    file.write_text("source: Testamt\nyear: 2030\nverified: true\ndistricts: {mitte: 1, west: 1}\n",
                    encoding="utf-8")
    app.config["POPULATION_FILE"] = str(file)
    data = client.get(f"/api/v1/rounds/{round_.id}/analysis").get_json()
    assert data["population"] == {"source": "Testamt", "year": 2030, "verified": True}
    shares = {row["district"]: row["population_share"] for row in data["districts"]}
    assert shares["mitte"] == 0.5 and shares["hiltrup"] == 0.0
    assert data["weighting"]["districts"] == ["mitte", "west"]


def test_profile_age_bracket_is_voluntary(client, db, make_user, login):
    from participation.accounts.models import User

    make_user()
    login()
    page = client.get("/konto").get_data(as_text=True)
    assert "40 bis 59 Jahre" in page
    client.submit("/konto", {"display_name": "Anna", "language": "de", "district": "", "age_bracket": "40-59"})
    assert db.scalar(sa.select(User.age_bracket).where(User.email == "anna@example.org")) == "40-59"
    bad = client.submit("/konto", {"display_name": "Anna", "language": "de", "district": "", "age_bracket": "99"})
    assert bad.status_code == 422
    client.submit("/konto", {"display_name": "Anna", "language": "de", "district": ""})
    db.expire_all()
    assert db.scalar(sa.select(User.age_bracket).where(User.email == "anna@example.org")) is None


def test_redeeming_a_code_renews_the_verified_analysis(app, db, planted_round):
    from participation import db as database
    from participation.analysis.services import round_analysis
    from participation.db import utcnow
    from participation.rounds.models import InvitationCode

    round_, people, _items = planted_round
    with app.app_context():
        assert round_analysis(database.session(), round_, verified_only=True).result.participants == 12
    db.add(InvitationCode(round_id=round_.id, code="LATE-1", redeemed_by_id=people[50].id, redeemed_at=utcnow()))
    db.commit()
    with app.app_context():
        assert round_analysis(database.session(), round_, verified_only=True).result.participants == 13


def test_a_round_without_items_or_ratings():
    result = compute.analyse(np.zeros((3, 0), dtype=np.int8))
    assert result.participants == 3 and result.included == 0 and result.items == []


@pytest.mark.parametrize("state", ["draft", "open", "closed", "consolidation", "published"])
@pytest.mark.parametrize("role", ["visitor", "unconfirmed", "resident", "moderator", "admin"])
@pytest.mark.parametrize("results", ["live", "after_close"])
def test_analysis_permissions(role, state, results):
    from participation import permissions

    from .test_permissions import NOW, person, round_in

    user, round_ = person(role), round_in(state, results=results)
    assert permissions.can_see_analysis(user, round_, now=NOW) == permissions.can_see_results(user, round_, now=NOW)
    assert permissions.can_see_group_membership(user) == (role == "admin")


def test_cached_analysis_asks_the_database_only_when_this_process_rated_or_the_recheck_is_due(
        app, db, engine, planted_round):
    """Between rechecks a cached analysis costs no query; a rating through the service shows at once;
    a change made elsewhere (written around the services here) shows once the recheck is due."""
    from participation import db as database
    from participation.analysis.services import round_analysis
    from participation.ratings.services import rate
    from participation.rounds.services import scope_item

    from .test_ratings import QueryCounter

    round_, people, items = planted_round
    app.config["ANALYSIS_RECHECK_SECONDS"] = 3600
    with app.app_context():
        first = round_analysis(database.session(), round_)
    with app.test_request_context(), QueryCounter(engine) as counted:  # a GET, as a page or the API
        assert round_analysis(database.session(), round_) is first
    assert counted.count == 0
    # Elsewhere: not seen before the recheck is due …
    db.execute(sa.update(Rating).where(Rating.user_id == people[0].id, Rating.item_id == items[0].id)
               .values(value=1))
    db.commit()
    with app.app_context():
        assert round_analysis(database.session(), round_) is first
    # … this process's own rating moves the round's tally generation: seen at once.
    with app.test_request_context(method="POST"):
        session = database.session()
        rate(session, round_, scope_item(session, round_, items[1].key), people[1], "agreement", 1)
        session.commit()
    with app.app_context():
        changed = round_analysis(database.session(), round_)
    assert changed is not first
    assert changed.result.items[0].agree == first.result.items[0].agree - 1
