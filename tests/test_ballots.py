"""Offline ballots imported from CSV: all or nothing, idempotent, counted beside online ratings."""

from __future__ import annotations

import sqlalchemy as sa

from participation.moderation.models import AuditEntry
from participation.ratings import tallies
from participation.ratings.models import Ballot, Rating
from participation.ratings.services import rate
from participation.rounds import services as rounds

from .test_ratings import ITEM

GOOD = (
    "ballot;item;question;value;district;age\n"
    f"P-001;{ITEM};agreement;5;mitte;60+\n"
    f"P-001;leitkoordinate-1;agreement;4;mitte;60+\n"
    f"P-002;{ITEM};agreement;0;;\n"
    f"P-003;{ITEM};agreement;5;nord;16-24\n"
)


def _import(app, tmp_path, round_id, text, channel="paper", encoding="utf-8", name="stimmzettel.csv", *extra):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return app.test_cli_runner().invoke(args=["ratings", "import", str(round_id), str(path), "--channel", channel,
                                              *extra])


def test_import_counts_ballots_as_offline_participants(app, client, db, frozen, make_round, tmp_path):
    round_ = make_round(results="live")
    result = _import(app, tmp_path, round_.id, GOOD)
    assert result.exit_code == 0, result.output
    assert "Imported 3 ballots (0 replaced) with 4 ratings" in result.output
    ballots = {b.code: b for b in db.scalars(sa.select(Ballot).where(Ballot.round_id == round_.id))}
    assert set(ballots) == {"P-001", "P-002", "P-003"}
    assert (ballots["P-001"].channel, ballots["P-001"].district, ballots["P-001"].age_bracket) == ("paper", "mitte", "60+")
    assert ballots["P-002"].district is None
    data = client.get(f"/api/v1/rounds/{round_.id}/results").get_json()
    assert data["participants"] == 3
    assert data["participants_by_channel"] == {"online": 0, "offline": 3}
    counts = next(i for i in data["items"] if i["key"] == ITEM)["questions"]["agreement"]["counts"]
    assert counts["5"] == 2 and counts["0"] == 1
    online = client.get(f"/api/v1/rounds/{round_.id}/results?channel=online").get_json()
    assert online["participants"] == 0
    assert next(i for i in online["items"] if i["key"] == ITEM)["questions"]["agreement"]["n"] == 0
    offline = client.get(f"/api/v1/rounds/{round_.id}/results?channel=offline").get_json()
    assert offline["participants"] == 3
    entry = db.scalars(sa.select(AuditEntry).where(AuditEntry.action == "ballots_imported")).one()
    assert entry.actor_id is None and entry.object_id == round_.id
    assert entry.details["file"] == "stimmzettel.csv" and entry.details["rows"] == 4
    assert tallies.verify(db, round_.id) == []


def test_importing_again_replaces_and_changes_nothing_twice(app, db, frozen, make_round, tmp_path):
    round_ = make_round(results="live")
    assert _import(app, tmp_path, round_.id, GOOD).exit_code == 0
    again = _import(app, tmp_path, round_.id, GOOD)
    assert "Imported 3 ballots (3 replaced)" in again.output
    assert db.scalar(sa.select(sa.func.count()).select_from(Rating).where(Rating.round_id == round_.id)) == 4
    changed = f"ballot,item,question,value\nP-001,{ITEM},agreement,1\n"  # commas, fewer columns
    result = _import(app, tmp_path, round_.id, "\ufeff" + changed, "workshop")  # with BOM
    assert result.exit_code == 0, result.output
    p1 = db.scalars(sa.select(Ballot).where(Ballot.round_id == round_.id, Ballot.code == "P-001")).one()
    db.refresh(p1)
    assert p1.channel == "workshop"
    values = db.scalars(sa.select(Rating.value).where(Rating.ballot_id == p1.id)).all()
    assert values == [1]  # its other rating went with the replaced ballot
    assert tallies.verify(db, round_.id) == []


def test_an_invalid_file_imports_nothing_and_names_each_bad_line(app, db, frozen, make_round, tmp_path):
    round_ = make_round(results="live")
    text = (
        "ballot;item;question;value;district\n"
        f"A1;{ITEM};agreement;5;mitte\n"
        f";{ITEM};agreement;5;mitte\n"
        "A2;no-such-item;agreement;5;\n"
        f"A3;{ITEM};importance;5;\n"
        f"A4;{ITEM};agreement;7;\n"
        f"A5;{ITEM};agreement;3;atlantis\n"
        f"A1;{ITEM};agreement;4;mitte\n"
        f"A6;{ITEM};agreement\n"
    )
    result = _import(app, tmp_path, round_.id, text)
    assert result.exit_code == 1
    out = result.output
    assert "Line 3: the ballot id is missing." in out
    assert "Line 4: “no-such-item” is not an item of this round." in out
    assert "Line 5: “importance” is not a question of this round" in out
    assert "Line 6: “7” is no answer" in out
    assert "Line 7: unknown district “atlantis”" in out
    assert "Line 8: ballot A1 answers this question about this item already in line 2." in out
    assert "Line 9: expected 5 columns, found 3." in out
    assert "nothing imported" in out
    assert db.scalar(sa.select(sa.func.count()).select_from(Ballot).where(Ballot.round_id == round_.id)) == 0
    german = _import(app, tmp_path, round_.id, text, "paper", "utf-8", "x.csv", "--language", "de")
    assert "Zeile 3" in german.output


def test_file_level_problems(app, db, frozen, make_round, tmp_path):
    round_ = make_round(results="live")
    assert "header row" in _import(app, tmp_path, round_.id, "id;item;question;value\n").output
    assert "not UTF-8" in _import(app, tmp_path, round_.id, f"ballot;item;question;value\nÄ;{ITEM};agreement;1\n",
                                  encoding="latin-1").output
    assert "no ballots" in _import(app, tmp_path, round_.id, "ballot;item;question;value\n").output
    many = "ballot;item;question;value\n" + "".join(f"B{i};nope;agreement;1\n" for i in range(200))
    result = _import(app, tmp_path, round_.id, many)
    assert "Only the first 50 problems are listed." in result.output
    assert result.output.count("is not an item") == 50
    draft = make_round(state="draft", title="Entwurf")
    assert "opened" in _import(app, tmp_path, draft.id, GOOD).output


def test_online_and_offline_side_by_side(app, client, db, frozen, make_round, tmp_path):
    from participation.accounts.models import User
    from participation.db import utcnow

    round_ = make_round(results="live")
    anna = User(email="online@example.org", display_name="On", confirmed_at=utcnow())
    db.add(anna)
    db.flush()
    with app.test_request_context(method="PUT"):
        rate(db, round_, rounds.scope_item(db, round_, ITEM), anna, "agreement", 2)
    db.commit()
    _import(app, tmp_path, round_.id, GOOD)
    page = client.get(f"/runden/{round_.id}/ergebnisse", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Participants by channel" in page
    assert "<td class=\"num\">1</td>" in page and "<td class=\"num\">3</td>" in page
    bad = client.get(f"/api/v1/rounds/{round_.id}/results?channel=mail", headers={"Accept-Language": "en"})
    assert bad.status_code == 400
    assert bad.get_json()["error"]["code"] == "invalid_parameter"  # one rule for every enum parameter
    assert "online, offline" in bad.get_json()["error"]["message"]


def test_reimport_writes_only_what_differs_and_keeps_tallies_exact(app, db, frozen, make_round, tmp_path):
    round_ = make_round(results="live")
    assert _import(app, tmp_path, round_.id, GOOD).exit_code == 0
    p3 = db.scalars(sa.select(Rating).join(Ballot, Ballot.id == Rating.ballot_id)
                    .where(Ballot.code == "P-003")).one()
    kept_id, kept_created = p3.id, p3.created_at
    frozen.move_to("2026-12-10 13:00:00+00:00", tick=False)
    again = (
        "ballot;item;question;value\n"
        f"P-001;{ITEM};agreement;2\n"  # changed (its second rating goes)
        f"P-002;{ITEM};agreement;0\n"  # unchanged
        f"P-002;leitkoordinate-1;agreement;3\n"  # added to a known ballot
        f"P-003;{ITEM};agreement;5\n"  # unchanged
        f"P-004;{ITEM};agreement;1\n"  # a new ballot in the same file
    )
    result = _import(app, tmp_path, round_.id, again)
    assert "Imported 4 ballots (3 replaced) with 5 ratings" in result.output, result.output
    db.expire_all()
    stored = set(db.execute(
        sa.select(Ballot.code, Rating.item_id, Rating.value).join(Ballot, Ballot.id == Rating.ballot_id)
        .where(Rating.round_id == round_.id)).all())
    assert {(code, value) for code, _item, value in stored} == {
        ("P-001", 2), ("P-002", 0), ("P-002", 3), ("P-003", 5), ("P-004", 1)}
    unchanged = db.get(Rating, kept_id)
    assert unchanged is not None and unchanged.created_at == unchanged.updated_at == kept_created
    assert tallies.verify(db, round_.id) == []
    assert db.scalar(sa.select(sa.func.count()).select_from(Rating).where(Rating.round_id == round_.id)) == 5
