"""Exports: the invariants of the files in every format, privacy, formula-like text, the CLI,
the admin downloads, the open-data page and the printable report."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest
import sqlalchemy as sa

from participation.comments.models import Comment
from participation.exports import services
from participation.exports.tables import TABLES, ExportContext, suppress, tables_for, wilson
from participation.moderation.models import AuditEntry
from participation.pseudonyms import pseudonymizer
from participation.ratings.models import Ballot, Rating
from participation.rounds.models import InvitationCode
from participation.rounds.services import scope_items
from participation.strategy.models import StrategyItem

FORMULAS = ["=1+2", "+SUM(A1)", "-3+3", "@cmd", "\tTab", "\rCR", "\uff1dHYPERLINK(1)", "\uff0b1", "\uff0d1", "\uff20x"]
T0 = datetime(2026, 11, 2, 10, 30, tzinfo=UTC)


def _comment(db, round_, item, author, body, state="visible", parent=None, reason=None, created=T0):
    comment = Comment(round_id=round_.id, item_id=item.id, author_id=author.id, parent_id=parent.id if parent else None,
                      stance="suggestion", body=body, body_html=f"<p>{body}</p>", state=state,
                      moderation_reason=reason, created_at=created)
    db.add(comment)
    db.flush()
    return comment


@pytest.fixture
def filled(app, db, make_round, make_user):
    """A published round with online and offline ratings, a verified participant and comments in
    every state (some formula-like), proposals in several states with comment outcomes and a draft
    version composed from them, plus a second round rated by the same people."""
    round_ = make_round(state="published", importance=True, results="after_close")
    other = make_round(state="published", title="Zweite Runde")
    items = scope_items(db, round_)
    people = [make_user(email=f"person{i}@example.org", name=f"Name{i}Person") for i in range(7)]
    for i, person in enumerate(people):
        for j, item in enumerate(items[:4]):
            when = T0 + timedelta(days=i % 3, hours=j)
            db.add(Rating(round_id=round_.id, item_id=item.id, user_id=person.id, question="agreement",
                          value=(i + j) % 6, created_at=when, updated_at=when))
            db.add(Rating(round_id=round_.id, item_id=item.id, user_id=person.id, question="importance",
                          value=(i * j) % 6, created_at=when, updated_at=when))
        db.add(Rating(round_id=other.id, item_id=items[0].id, user_id=person.id, question="agreement", value=3))
    people[0].district = "mitte"
    for person in people[1:7]:
        person.district = "nord"
    db.add(InvitationCode(round_id=round_.id, code="ABCD-EFGH", redeemed_by_id=people[1].id, redeemed_at=T0))
    for k, channel in enumerate(("paper", "paper", "workshop")):
        ballot = Ballot(round_id=round_.id, code=f"P-{k}", channel=channel, district="nord")
        db.add(ballot)
        db.flush()
        db.add(Rating(round_id=round_.id, item_id=items[0].id, ballot_id=ballot.id, question="agreement", value=5,
                      created_at=T0, updated_at=T0))
    top = _comment(db, round_, items[0], people[0], "Mehr Radwege, bitte.")
    _comment(db, round_, items[0], people[1], "Antwort", parent=top)
    for n, text in enumerate(FORMULAS):
        _comment(db, round_, items[1], people[n % 7], text)
    _comment(db, round_, items[0], people[2], "Versteckt und beleidigend", state="hidden", reason="insult")
    _comment(db, round_, items[0], people[3], "Wartet noch", state="pending")
    _comment(db, round_, items[0], people[4], "Zurückgezogen", state="deleted")
    # The ratings were written around the rating service: count them into the tallies.
    from participation.ratings import tallies

    tallies.rebuild(db, round_.id)
    tallies.rebuild(db, other.id)
    db.commit()
    with app.app_context():  # evidence snapshots read the round's analysis (cached per app)
        _consolidate(app, db, round_, items, people)
    return round_, other, people


def _consolidate(app, db, round_, items, people):
    """Proposals accepted, rejected, draft and withdrawn; outcomes; version 2.0 composed (draft)."""
    from participation.proposals.models import CommentOutcome, Proposal, ProposalComment
    from participation.proposals.services import evidence_of
    from participation.versions.services import ChangeRequest, compose

    comments = {c.body: c for c in db.scalars(sa.select(Comment).where(Comment.round_id == round_.id))}

    def proposal(kind, item, state, links, **fields):
        decided = state in ("accepted", "rejected")
        p = Proposal(round_id=round_.id, kind=kind, item_id=item.id, state=state, author_id=people[5].id,
                     rationale_de=fields.pop("rationale_de", "Weil es viele wollen."),
                     evidence=evidence_of(db, round_, item.id) if state != "draft" else None,
                     snapshot_at=T0 if state != "draft" else None,
                     decided_at=T0 + timedelta(days=40) if decided else None, **fields)
        db.add(p)
        db.flush()
        for body in links:
            db.add(ProposalComment(proposal_id=p.id, comment_id=comments[body].id))
        return p

    accepted = proposal("amend", items[0], "accepted", ["Mehr Radwege, bitte.", "Versteckt und beleidigend"],
                        title_de="Radverkehr zuerst", decision_reason="Überzeugt den Rat.")
    proposal("keep", items[1], "rejected", ["=1+2"], rationale_de="=HYPERLINK(\"x\")",
             decision_reason="Passt nicht.")
    proposal("amend", items[2], "draft", ["Mehr Radwege, bitte."], title_de="Entwurf im Haus",
             review_note="Bitte kürzen.")
    proposal("remove", items[3], "withdrawn", ["Mehr Radwege, bitte."])
    db.add(CommentOutcome(comment_id=comments["Mehr Radwege, bitte."].id, outcome="incorporated",
                          explanation="Im Zielbild aufgenommen.", explicit=False, proposal_id=accepted.id))
    db.add(CommentOutcome(comment_id=comments["=1+2"].id, outcome="not_adopted", explanation="Zu allgemein."))
    with app.test_request_context():
        compose(db, None, round_.version, "2.0", [ChangeRequest(
            "proposal", accepted.id, "amend", items[0].key, {"title": {"de": "Radverkehr zuerst"}})])
    db.commit()


def _export(app, db, round_, fmt, open_data):
    out = io.BytesIO()
    with app.test_request_context():
        services.write(db, round_, fmt, out, open_data)
    return out.getvalue()


def _csv_tables(data: bytes, excel: bool) -> dict[str, list[list[str]]]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    tables = {}
    for name in archive.namelist():
        if name.endswith(".csv"):
            raw = archive.read(name)
            if excel:
                assert raw.startswith(b"\xef\xbb\xbf")
                text = raw[3:].decode("utf-8")
            else:
                text = raw.decode("utf-8")
            # Records end in CRLF; a quoted value may hold line breaks of its own (RFC 4180).
            assert text.endswith("\r\n") and text.split("\n", 1)[0].endswith("\r")
            tables[name[:-4]] = list(csv.reader(io.StringIO(text, newline=""), delimiter=";" if excel else ","))
    return tables


def _members(data: bytes) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return {name: archive.read(name) for name in archive.namelist()}


def _json_tables(data: bytes) -> dict[str, list[dict]]:
    return {name[:-5]: json.loads(raw) for name, raw in _members(data).items()
            if name.endswith(".json") and name != "datapackage.json"}


def _rows(table: list[list[str]]) -> list[dict]:
    head, *rows = table
    return [dict(zip(head, row, strict=True)) for row in rows]


# --- results ---------------------------------------------------------------------------------------

def test_results_counts_add_up_and_match_the_rating_rows(app, db, filled):
    round_, _other, _people = filled
    results = _json_tables(_export(app, db, round_, "json", True))["results"]
    ratings = _json_tables(_export(app, db, round_, "json", True))["ratings"]
    items = scope_items(db, round_)
    assert len(results) == len(items) * 2 * 2  # items × questions × groups
    for row in results:
        assert sum(row[f"n_{v}"] for v in range(6)) == row["n"]
        stored = db.scalar(sa.select(sa.func.count()).select_from(Rating)
                           .join(StrategyItem, StrategyItem.id == Rating.item_id)
                           .where(Rating.round_id == round_.id, Rating.question == row["question"],
                                  StrategyItem.key == row["item_key"]))
        exported = [r for r in ratings if r["item_key"] == row["item_key"] and r["question"] == row["question"]
                    and (row["group"] == "all" or r["verified"])]
        assert row["n"] == len(exported)
        if row["group"] == "all":
            assert row["n"] == stored
        if row["n"] - row["n_0"]:
            assert 0 <= row["ci_low"] <= row["share_agree"] <= row["ci_high"] <= 1
        else:
            assert row["mean"] is None and row["ci_low"] is None
    first = next(r for r in results if r["item_key"] == items[0].key and r["question"] == "agreement"
                 and r["group"] == "all")
    assert first["n"] == 7 + 3  # seven accounts and three ballots
    verified = next(r for r in results if r["item_key"] == items[0].key and r["question"] == "agreement"
                    and r["group"] == "verified")
    assert verified["n"] == 1


def test_wilson_interval():
    low, high = wilson(5, 10)
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)
    assert wilson(0, 10)[0] == 0.0 and wilson(10, 10)[1] == pytest.approx(1.0)
    assert wilson(0, 0) == (None, None)


def test_ratings_channels_and_pseudonyms(app, db, filled):
    round_, other, people = filled
    ratings = _json_tables(_export(app, db, round_, "json", False))["ratings"]
    assert {r["channel"] for r in ratings} == {"online", "paper", "workshop"}
    assert {r["participant"] for r in ratings if r["channel"] != "online"} == {"ballot:P-0", "ballot:P-1", "ballot:P-2"}
    with app.app_context():
        here, there = pseudonymizer(round_.id), pseudonymizer(other.id)
    online = {r["participant"] for r in ratings if r["channel"] == "online"}
    assert online == {here(p.id) for p in people}
    in_other = {r["participant"] for r in _json_tables(_export(app, db, other, "json", False))["ratings"]}
    assert in_other == {there(p.id) for p in people}
    assert not online & in_other  # the same people, unrelated ids in two rounds
    assert {r["participant"] for r in ratings if r["verified"]} == {here(people[1].id)}


@pytest.mark.parametrize("variant", ["csv", "csv-excel"])
@pytest.mark.parametrize("open_data", [False, True])
def test_the_database_writes_the_same_csv_as_python(app, db, filled, variant, open_data):
    """The big tables' CSV lines come from the database (``database_csv``): byte for byte what
    the Python writer makes, for ballot codes that need quoting or look like formulas, and for
    times on both sides of the changes to and from summer time."""
    from participation.exports import database_csv, writers

    round_, _other, _people = filled
    items = scope_items(db, round_)
    codes = ['semi;colon', 'com,ma', 'quo"te', "line\nbreak", "cr\rreturn", "=1+2", "-3", "ünï ⚠", "'quoted'"]
    times = [datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC), datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
             datetime(2026, 10, 25, 0, 59, 59, tzinfo=UTC), datetime(2026, 10, 25, 1, 0, tzinfo=UTC),
             datetime(2025, 12, 31, 23, 30, tzinfo=UTC), datetime(2031, 7, 1, 12, tzinfo=UTC),
             datetime(1999, 1, 1, tzinfo=UTC), datetime(2026, 10, 25, 0, 59, 59, 999_700, tzinfo=UTC),
             datetime(2026, 11, 2, 22, 59, 59, 999_999, tzinfo=UTC)]  # fractions are cut, never rounded
    for n, code in enumerate(codes):
        ballot = Ballot(round_id=round_.id, code=code, channel="phone")
        db.add(ballot)
        db.flush()
        when = times[n % len(times)]
        db.add(Rating(round_id=round_.id, item_id=items[1].id, ballot_id=ballot.id, question="importance",
                      value=n % 6, created_at=when, updated_at=when))
    db.commit()
    table = next(t for t in TABLES if t.name == "ratings")
    with app.test_request_context():
        ctx = ExportContext(db, round_, open_data)
        assert database_csv.supports(table, ctx)
        made = {}
        for in_database in (True, False):
            out = io.BytesIO()
            writers.write_csv(table, ctx, out, variant, in_database=in_database)
            made[in_database] = out.getvalue()
    assert made[True] == made[False]
    rows = _rows(list(csv.reader(io.StringIO(made[True].decode("utf-8-sig"), newline=""),
                                 delimiter=";" if variant == "csv-excel" else ",")))
    participant = "participant" if variant == "csv" else "Teilnehmende Person"
    assert {f"ballot:{code}" for code in codes} <= {row[participant] for row in rows}
    assert len(rows) == db.scalar(sa.select(sa.func.count()).select_from(Rating).where(Rating.round_id == round_.id))


def test_a_table_left_by_an_unfinished_export_is_no_obstacle(app, db, filled):
    from participation.exports import writers

    round_, _other, _people = filled
    table = next(t for t in TABLES if t.name == "ratings")
    with app.test_request_context():
        ctx = ExportContext(db, round_, True)
        db.connection().exec_driver_sql("CREATE TEMPORARY TABLE export_map_ratings_0 (k TEXT, v TEXT)")
        made = [io.BytesIO(), io.BytesIO()]
        writers.write_csv(table, ctx, made[0], "csv")
        writers.write_csv(table, ctx, made[1], "csv", in_database=False)
    assert made[0].getvalue() == made[1].getvalue() and made[0].getvalue().count(b"\r\n") > 30
    db.rollback()


def test_summer_time_changes_are_those_of_the_zone():
    from participation.exports.database_csv import transitions
    from participation.exports.tables import BERLIN

    starts, offsets = transitions()
    assert "2026-03-29 01:00:00" in starts and "2026-10-25 01:00:00" in starts
    for start, offset in zip(starts[1:], offsets[1:], strict=True):
        moment = datetime.fromisoformat(start).replace(tzinfo=UTC)
        assert moment.astimezone(BERLIN).utcoffset().total_seconds() == offset
        assert (moment - timedelta(seconds=1)).astimezone(BERLIN).utcoffset().total_seconds() != offset


# --- comments --------------------------------------------------------------------------------------

def test_comment_rows_are_what_the_public_or_the_admin_sees(app, db, filled):
    round_, _other, _people = filled
    states = dict(db.execute(sa.select(Comment.id, Comment.state).where(Comment.round_id == round_.id)).all())
    public = _json_tables(_export(app, db, round_, "json", True))["comments"]
    admin = _json_tables(_export(app, db, round_, "json", False))["comments"]
    assert sorted(c["comment_id"] for c in public) == sorted(i for i, s in states.items() if s == "visible")
    assert sorted(c["comment_id"] for c in admin) == sorted(i for i, s in states.items() if s != "deleted")
    assert "moderation_reason" not in public[0]
    hidden = next(c for c in admin if c["state"] == "hidden")
    assert hidden["moderation_reason"] == "insult"
    reply = next(c for c in public if c["text"] == "Antwort")
    assert reply["parent_id"] == next(c for c in public if c["text"] == "Mehr Radwege, bitte.")["comment_id"]


@pytest.mark.parametrize("fmt", list(services.FORMATS))
def test_hidden_comments_never_in_open_data(app, db, filled, fmt):
    round_, _other, _people = filled
    data = _export(app, db, round_, fmt, True)
    blob = b"".join(_members(data).values())
    for text in ("Versteckt und beleidigend", "Wartet noch", "Zurückgezogen"):
        assert text.encode() not in blob
    assert b"Mehr Radwege, bitte." in blob
    admin = b"".join(_members(_export(app, db, round_, fmt, False)).values())
    assert b"Versteckt und beleidigend" in admin
    assert "Zurückgezogen".encode() not in admin  # taken back by its author: in no file


@pytest.mark.parametrize("fmt", list(services.FORMATS))
@pytest.mark.parametrize("open_data", [False, True])
def test_no_email_address_or_name_in_any_file(app, db, filled, fmt, open_data):
    round_, _other, people = filled
    for name, raw in _members(_export(app, db, round_, fmt, open_data)).items():
        for person in people:
            assert person.email.encode() not in raw, name
            assert person.display_name.encode() not in raw, name
        assert b"@example.org" not in raw, name


# --- formula-like text -----------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "csv-excel"])
def test_formula_like_text_gets_a_quote_in_csv(app, db, filled, fmt):
    round_, _other, _people = filled
    tables = _csv_tables(_export(app, db, round_, fmt, True), excel=fmt == "csv-excel")
    texts = [row[4] for row in tables["comments"][1:]]
    for formula in FORMULAS:
        assert "'" + formula in texts
    assert "Mehr Radwege, bitte." in texts  # other text unchanged
    results = tables["results"]
    n = results[0].index("n" if fmt == "csv" else "Anzahl")
    assert all(row[n].isdigit() for row in results[1:])  # numbers stay numbers


def test_formula_like_text_stays_text_in_xlsx(app, db, filled):
    round_, _other, _people = filled
    book = openpyxl.load_workbook(io.BytesIO(_export(app, db, round_, "xlsx", True)))
    sheet = book["Kommentare"]
    head = [cell.value for cell in sheet[1]]
    text = head.index("Text")
    cells = [row[text] for row in sheet.iter_rows(min_row=2)]
    # XML reads a lone CR back as LF; everything else comes back exactly as written
    assert {c.value for c in cells} >= {f.replace("\r", "\n") for f in FORMULAS}
    for cell in cells:
        assert cell.data_type == "s", (cell.value, cell.data_type)
    results = book["Ergebnisse"]
    head = [cell.value for cell in results[1]]
    for row in results.iter_rows(min_row=2):
        assert isinstance(row[head.index("Anzahl")].value, int)
        mean = row[head.index("Mittelwert")]
        assert mean.value is None or (isinstance(mean.value, int | float) and mean.number_format == "0.00")
    assert results.freeze_panes == "A2"
    assert results.auto_filter.ref.startswith("A1:")


def test_a_control_character_stored_earlier_does_not_break_the_workbook(app, db, filled):
    """Text stored before the forms refused control characters (or by hand) reaches every sheet,
    the Info sheet included, without what XML cannot hold."""
    round_, _other, _people = filled
    round_.title_de = "Runde\x0bZwei\x1b"
    db.commit()
    book = openpyxl.load_workbook(io.BytesIO(_export(app, db, round_, "xlsx", False)))
    info = {row[0].value: row[1].value for row in book["Info"].iter_rows(min_row=2)}
    assert info["Titel"] == "RundeZwei"


def test_a_table_longer_than_a_sheet_goes_on_in_the_next(app, db, filled, monkeypatch):
    """Excel takes 1,048,576 rows a sheet: the rest of a table follows on "<title> (2)" and so on."""
    from participation.exports import writers

    round_, _other, _people = filled
    monkeypatch.setattr(writers, "XLSX_ROWS_PER_SHEET", 20)
    book = openpyxl.load_workbook(io.BytesIO(_export(app, db, round_, "xlsx", False)))
    parts = [name for name in book.sheetnames if name.startswith("Bewertungen")]
    stored = db.scalar(sa.select(sa.func.count()).select_from(Rating).where(Rating.round_id == round_.id))
    assert parts == ["Bewertungen"] + [f"Bewertungen ({n})" for n in range(2, len(parts) + 1)]
    assert len(parts) == -(-stored // 20)
    heads = {tuple(cell.value for cell in book[name][1]) for name in parts}
    assert len(heads) == 1 and "Zeitpunkt" in next(iter(heads))
    assert sum(book[name].max_row - 1 for name in parts) == stored
    assert all(book[name].auto_filter.ref.startswith("A1:") and book[name].freeze_panes == "A2" for name in parts)


# --- every column described --------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "csv-excel", "json"])
@pytest.mark.parametrize("open_data", [False, True])
def test_every_column_of_every_file_is_in_the_datapackage(app, db, filled, fmt, open_data):
    round_, _other, _people = filled
    data = _export(app, db, round_, fmt, open_data)
    members = _members(data)
    package = json.loads(members["datapackage.json"])
    described = {r["path"]: [f["name"] for f in r["schema"]["fields"]] for r in package["resources"]}
    data_files = [name for name in members if name not in ("datapackage.json", "README.md", "SHA256SUMS")]
    assert sorted(described) == sorted(data_files)
    for resource in package["resources"]:
        for described_field in resource["schema"]["fields"]:
            assert described_field["type"] and described_field["description"]
    if fmt == "json":
        for name, rows in _json_tables(data).items():
            assert rows, name
            assert list(rows[0]) == described[f"{name}.json"]
    else:
        for name, table in _csv_tables(data, excel=fmt == "csv-excel").items():
            assert table[0] == described[f"{name}.csv"]
    sums = dict(line.split("  ")[::-1] for line in members["SHA256SUMS"].decode().splitlines())
    import hashlib

    assert set(sums) == set(members) - {"SHA256SUMS"}
    for name, digest in sums.items():
        assert hashlib.sha256(members[name]).hexdigest() == digest
    assert "E-Mail" in members["README.md"].decode()


def test_every_column_of_the_workbook_is_in_the_dictionary(app, db, filled):
    round_, _other, _people = filled
    book = openpyxl.load_workbook(io.BytesIO(_export(app, db, round_, "xlsx", False)))
    assert book.sheetnames[:2] == ["Info", "Datenwörterbuch"]
    dictionary = {}
    for row in book["Datenwörterbuch"].iter_rows(min_row=2, values_only=True):
        dictionary.setdefault(row[1], []).append(row[3])
        assert row[4] and row[7] and row[8]
    for table in TABLES:
        sheet = book[table.title_de]
        assert [c.value for c in sheet[1]] == dictionary[table.title_de]
        assert sheet.freeze_panes == "A2"
    info = {row[0]: row[1] for row in book["Info"].iter_rows(min_row=2, values_only=True)}
    assert info["Runde"] == str(round_.id) and info["Offene Daten"] == "nein"
    assert info["Lizenz"] and info["Exportiert"]


def test_csv_for_excel_is_german(app, db, filled):
    round_, _other, _people = filled
    tables = _csv_tables(_export(app, db, round_, "csv-excel", False), excel=True)
    results = _rows(tables["results"])
    assert "Mittelwert" in results[0] and "Anteil Zustimmung" in results[0]
    means = [r["Mittelwert"] for r in results if r["Mittelwert"]]
    assert means and all("," in m or m.isdigit() for m in means) and not any("." in m for m in means)
    ratings = _rows(tables["ratings"])
    assert {r["Verifiziert"] for r in ratings} == {"ja", "nein"}
    assert ratings[0]["Zeitpunkt"].count(":") == 2 and "T" not in ratings[0]["Zeitpunkt"]
    open_csv = _rows(_csv_tables(_export(app, db, round_, "csv", False), excel=False)["ratings"])
    assert open_csv[0]["rated_at"].endswith("+00:00") and "T" in open_csv[0]["rated_at"]


# --- participation and districts --------------------------------------------------------------------

def test_participation_per_day_adds_up(app, db, filled):
    round_, _other, people = filled
    rows = _json_tables(_export(app, db, round_, "json", True))["participation"]
    online = [r for r in rows if r["mode"] == "online"]
    offline = [r for r in rows if r["mode"] == "offline"]
    assert sum(r["new_participants"] for r in online) == len(people) == online[-1]["participants_total"]
    assert offline[-1]["participants_total"] == 3
    assert sum(r["ratings"] for r in rows) == db.scalar(
        sa.select(sa.func.count()).select_from(Rating).where(Rating.round_id == round_.id))
    assert [r["date"] for r in online] == ["2026-11-02", "2026-11-03", "2026-11-04"]


def test_small_district_cells_are_suppressed(app, db, filled):
    round_, _other, _people = filled
    rows = {r["district"]: r for r in _json_tables(_export(app, db, round_, "json", True))["districts"]}
    assert rows["nord"]["participants"] == 6 + 3 and not rows["nord"]["suppressed"]
    assert rows["mitte"]["participants"] is None and rows["mitte"]["suppressed"]
    assert rows["not_given"]["participants"] is None
    assert suppress({"a": 3, "b": 10, "c": 20}) == {"a": None, "b": None, "c": 20}  # a alone would show
    assert suppress({"a": 3, "b": 4, "c": 20}) == {"a": None, "b": None, "c": 20}
    assert suppress({"a": 5}) == {"a": 5}


def test_district_counts_are_the_people_who_hold_ratings(app, db, filled, make_user):
    """The districts table reads who rated from the tallies kept while rating; it must name the
    same people as the rating rows, also after someone withdrew every rating."""
    from participation.exports.tables import district_counts
    from participation.ratings.services import rate

    round_, _other, people = filled
    items = scope_items(db, round_)
    newcomer = make_user(email="newcomer@example.org", name="Newcomer")
    newcomer.district = "ost"
    stage, closes_at = round_.stage, round_.closes_at
    round_.stage, round_.closes_at = "scheduled", datetime.now(UTC) + timedelta(days=1)  # open for a moment
    with app.test_request_context(method="POST"):
        rate(db, round_, items[0], newcomer, "agreement", 4)
        for item in items[:4]:  # people[0] takes back every rating
            for question in ("agreement", "importance"):
                rate(db, round_, item, people[0], question, None)
        round_.stage, round_.closes_at = stage, closes_at
        db.commit()
    from participation.accounts.models import User

    rated = sa.select(Rating.user_id).where(Rating.round_id == round_.id)
    expected = dict(db.execute(sa.select(User.district, sa.func.count()).where(User.id.in_(rated))
                               .group_by(User.district)).all())
    with_ballots = sa.select(Rating.ballot_id).where(Rating.round_id == round_.id)
    for district, count in db.execute(sa.select(Ballot.district, sa.func.count())
                                      .where(Ballot.id.in_(with_ballots)).group_by(Ballot.district)):
        expected[district] = expected.get(district, 0) + count
    counts = {district: count for district, count in district_counts(db, round_).items() if count}
    assert counts == expected
    assert counts == {"nord": 6 + 3, "ost": 1}


# --- CLI ---------------------------------------------------------------------------------------------

def test_cli_writes_each_format_and_audits(app, db, filled, tmp_path):
    round_, _other, _people = filled
    runner = app.test_cli_runner()
    for fmt, suffix in (("csv-excel", "zip"), ("csv", "zip"), ("json", "zip"), ("xlsx", "xlsx")):
        target = tmp_path / f"out-{fmt}.{suffix}"
        result = runner.invoke(args=["export", str(round_.id), "--format", fmt, "--output", str(target),
                                     "--open-data"])
        assert result.exit_code == 0, result.output
        assert zipfile.is_zipfile(target)  # an XLSX is a ZIP too
    entries = db.scalars(sa.select(AuditEntry).where(AuditEntry.action == "round.exported",
                                                     AuditEntry.object_id == round_.id)).all()
    assert len(entries) == 4 and all(e.actor_id is None and e.details["via"] == "cli" for e in entries)


def test_cli_refuses_unknown_round_format_and_unpublished_open_data(app, db, frozen, filled, make_round, tmp_path):
    round_, _other, _people = filled
    runner = app.test_cli_runner()
    target = tmp_path / "x.zip"
    result = runner.invoke(args=["export", "999999", "--format", "csv", "--output", str(target)])
    assert result.exit_code == 1 and "there is no round 999999" in result.output
    result = runner.invoke(args=["export", str(round_.id), "--format", "pdf", "--output", str(target)])
    assert result.exit_code == 1 and "unknown format 'pdf'" in result.output
    closed = make_round(state="closed")
    result = runner.invoke(args=["export", str(closed.id), "--format", "csv", "--output", str(target), "--open-data"])
    assert result.exit_code == 1 and "open data" in result.output
    assert not target.exists()
    result = runner.invoke(args=["export", str(closed.id), "--format", "csv", "--output", str(target)])
    assert result.exit_code == 0 and target.exists()


def test_cli_writes_through_links_into_pipes_and_says_what_went_wrong(app, db, filled, tmp_path):
    """Odd outputs: no traceback, never a device or pipe replaced by a file, no half-written file."""
    import os
    import threading

    round_, _other, _people = filled
    runner = app.test_cli_runner()

    def export(output, *extra):
        return runner.invoke(args=["export", str(round_.id), "--format", "csv", "--output", str(output), *extra])

    real = tmp_path / "shared" / "real.zip"
    real.parent.mkdir()
    link = tmp_path / "link.zip"
    link.symlink_to(real)
    assert export(link).exit_code == 0
    assert link.is_symlink() and zipfile.is_zipfile(real)
    assert sorted(p.name for p in real.parent.iterdir()) == ["real.zip"]  # no temporary file left

    fifo = tmp_path / "pipe.zip"
    os.mkfifo(fifo)
    received = bytearray()
    reader = threading.Thread(target=lambda: received.extend(fifo.read_bytes()))
    reader.start()
    assert export(fifo).exit_code == 0
    reader.join(10)
    assert fifo.is_fifo() and zipfile.is_zipfile(io.BytesIO(bytes(received)))

    (tmp_path / "blocked.zip.part").mkdir()  # a name an earlier version used for its partial file
    assert export(tmp_path / "blocked.zip").exit_code == 0
    long_name = tmp_path / ("a" * 250 + ".zip")
    assert export(long_name).exit_code == 0 and long_name.exists()
    for output, message in ((tmp_path / "missing" / "x.zip", "cannot write"), ("", "needs a file name")):
        result = export(output)
        assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
    for round_id in ("2147483648", "0", "-1", str(2**70)):
        result = runner.invoke(args=["export", "--format", "csv", "--output", str(tmp_path / "x.zip"), "--",
                                     round_id])
        assert result.exit_code == 1 and "there is no round" in result.output, result.output
    assert not (tmp_path / "x.zip").exists()


def _get(client, url):
    """A download, read and closed (the server streams it from a temporary file it then closes)."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


# --- web ---------------------------------------------------------------------------------------------

def test_admin_downloads_every_format(app, db, client, filled, make_user, login):
    round_, _other, _people = filled
    admin = make_user(email="admin@example.org", name="Admin", role="admin")
    login("admin@example.org")
    page = client.get(f"/verwaltung/runden/{round_.id}").get_data(as_text=True)
    for fmt in services.FORMATS:
        assert f"/verwaltung/runden/{round_.id}/export/{fmt}" in page
        response = _get(client, f"/verwaltung/runden/{round_.id}/export/{fmt}")
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
        assert f"runde-{round_.id}-{fmt}." in response.headers["Content-Disposition"]
        assert zipfile.is_zipfile(io.BytesIO(response.get_data()))
    assert b"Versteckt und beleidigend" in b"".join(_members(
        _get(client, f"/verwaltung/runden/{round_.id}/export/json").get_data()).values())
    assert client.get(f"/verwaltung/runden/{round_.id}/export/pdf").status_code == 404
    entries = db.scalars(sa.select(AuditEntry).where(AuditEntry.action == "round.exported")).all()
    assert len(entries) == 5 and {e.actor_id for e in entries} == {admin.id}


def test_residents_cannot_use_the_admin_export(client, filled, make_user, login):
    round_, _other, _people = filled
    make_user(email="resident@example.org", name="Res")
    login("resident@example.org")
    assert client.get(f"/verwaltung/runden/{round_.id}/export/csv").status_code == 403


def test_open_data_page_and_downloads_are_public_once_published(app, db, client, frozen, filled, make_round):
    round_, _other, _people = filled
    page = client.get(f"/runden/{round_.id}/daten")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    ctx = ExportContext(db, round_, open_data=True)
    assert "<code>changes</code>" not in html  # version 2.0 is a draft
    for table in tables_for(ctx):
        assert f"<code>{table.name}</code>" in html
        for column in table.columns_for(ctx):
            assert f"<code>{column.name}</code>" in html
    assert "moderation_reason" not in html
    response = _get(client, f"/runden/{round_.id}/daten/csv")
    assert response.status_code == 200
    blob = b"".join(_members(response.get_data()).values())
    assert b"Versteckt und beleidigend" not in blob
    entry = db.scalars(sa.select(AuditEntry).where(AuditEntry.action == "round.data_downloaded")).one()
    assert entry.actor_id is None and entry.details == {"format": "csv", "open_data": True, "via": "public"}
    for state in ("open", "closed", "consolidation"):
        hidden = make_round(state=state, results="live")
        assert client.get(f"/runden/{hidden.id}/daten").status_code == 404
        assert client.get(f"/runden/{hidden.id}/daten/csv").status_code == 404
    assert client.get("/runden/999999/daten").status_code == 404


def test_report_has_the_visibility_of_the_results(client, db, frozen, filled, make_round):
    round_, _other, _people = filled
    page = client.get(f"/runden/{round_.id}/bericht")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Beteiligung im Zeitverlauf" in html and "Stadtbezirke" in html
    assert '<details class="chart-data" open>' in html
    assert "<svg" in html
    hidden = make_round(state="open", results="after_close")
    assert client.get(f"/runden/{hidden.id}/bericht").status_code == 403
    draft = make_round(state="draft")
    assert client.get(f"/runden/{draft.id}/bericht").status_code == 404


def test_visitors_share_one_rendering_of_the_report(app, db, engine, filled):
    """The report reads every rating: it is rendered once per change."""
    from .conftest import PASSWORD, Client

    round_, _other, people = filled
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_rest):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        first = app.test_client().get(f"/runden/{round_.id}/bericht")
        assert first.status_code == 200 and statements
        statements.clear()
        second = app.test_client().get(f"/runden/{round_.id}/bericht")
        assert second.status_code == 200 and statements == []
        round_.title_de = "Neuer Titel der Runde"
        db.commit()
        third = app.test_client().get(f"/runden/{round_.id}/bericht").get_data(as_text=True)
        assert "Neuer Titel der Runde" in third and statements
        # Logged-in people get the page rendered for them (their navigation), the report's body
        # from the cache: none of its statements runs again.
        resident = Client(app.test_client())
        assert resident.submit("/login", {"email": people[0].email, "password": PASSWORD}).status_code == 302
        assert resident.get(f"/runden/{round_.id}/bericht").status_code == 200
        statements.clear()
        page = resident.get(f"/runden/{round_.id}/bericht").get_data(as_text=True)
        assert "Neuer Titel der Runde" in page and "Abmelden" in page
        assert statements and not [s for s in statements if "rating" in s or "comment" in s], statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


# --- permissions (the matrix of tests/test_permissions.py) --------------------------------------------

@pytest.mark.parametrize("results", ["live", "after_close"])
@pytest.mark.parametrize("state", ["draft", "open", "closed", "consolidation", "published"])
@pytest.mark.parametrize("role", ["visitor", "unconfirmed", "resident", "resident_with_code", "moderator", "admin"])
def test_export_permissions(role, state, results):
    from participation import permissions

    from .test_permissions import NOW, person, round_in

    round_ = round_in(state, results=results)
    assert permissions.can_download_open_data(round_, now=NOW) == (state == "published")
    assert permissions.can_export(person(role)) == (role == "admin")


def test_public_downloads_are_rate_limited(app, client, filled):
    from participation.exports.views import PUBLIC_DOWNLOAD_LIMIT
    from participation.extensions import limiter

    round_, _other, _people = filled
    app.config["RATELIMIT_ENABLED"] = True
    limiter.enabled = True
    limiter.reset()
    try:
        allowed = int(PUBLIC_DOWNLOAD_LIMIT.split()[0])
        for _ in range(allowed):
            assert _get(client, f"/runden/{round_.id}/daten/json").status_code == 200
        assert _get(client, f"/runden/{round_.id}/daten/json").status_code == 429
        assert client.get(f"/runden/{round_.id}/daten").status_code == 200  # the page itself is not limited
    finally:
        limiter.reset()
        limiter.enabled = False


# --- consolidation: proposals, evidence, changes, outcomes --------------------------------------------

def _proposals(db, round_):
    from participation.proposals.models import Proposal

    return {p.state: p for p in db.scalars(sa.select(Proposal).where(Proposal.round_id == round_.id))}


def test_open_data_holds_decided_proposals_the_admin_all(app, db, filled):
    round_, _other, _people = filled
    by_state = _proposals(db, round_)
    public = _json_tables(_export(app, db, round_, "json", True))
    admin = _json_tables(_export(app, db, round_, "json", False))
    assert sorted(p["state"] for p in public["proposals"]) == ["accepted", "rejected"]
    assert sorted(p["state"] for p in admin["proposals"]) == ["accepted", "draft", "rejected", "withdrawn"]
    assert "review_note" not in public["proposals"][0]
    assert next(p for p in admin["proposals"] if p["state"] == "draft")["review_note"] == "Bitte kürzen."
    accepted = next(p for p in public["proposals"] if p["state"] == "accepted")
    items = scope_items(db, round_)
    assert accepted["item_key"] == items[0].key and accepted["title_de"] == "Radverkehr zuerst"
    assert accepted["decision_reason"] == "Überzeugt den Rat." and accepted["decided_at"].startswith("2026-12-12")
    # The frozen figures: seven accounts and three ballots rated the item's agreement.
    result = next(r for r in public["results"] if r["item_key"] == items[0].key and r["question"] == "agreement"
                  and r["group"] == "all")
    assert accepted["evidence_agreement_n"] == result["n"] == 10
    assert accepted["evidence_agreement_share_agree"] == result["share_agree"]
    assert accepted["evidence_verified_agreement_n"] == 1
    # Evidence: links of decided proposals to comments the public sees; the admin gets every link.
    comments = {c.id: c for c in db.scalars(sa.select(Comment).where(Comment.round_id == round_.id))}
    public_links = {(e["proposal_id"], comments[e["comment_id"]].body) for e in public["evidence"]}
    assert public_links == {(by_state["accepted"].id, "Mehr Radwege, bitte."), (by_state["rejected"].id, "=1+2")}
    assert len(admin["evidence"]) == 5
    assert {e["comment_state"] for e in admin["evidence"]} == {"visible", "hidden"}
    public_ids = {c["comment_id"] for c in public["comments"]}
    assert {e["comment_id"] for e in public["evidence"]} <= public_ids


def test_comment_outcomes_and_citing_proposals(app, db, filled):
    round_, _other, _people = filled
    by_state = _proposals(db, round_)
    public = {c["text"]: c for c in _json_tables(_export(app, db, round_, "json", True))["comments"]}
    admin = {c["text"]: c for c in _json_tables(_export(app, db, round_, "json", False))["comments"]}
    top = public["Mehr Radwege, bitte."]
    assert (top["outcome"], top["outcome_explanation"]) == ("incorporated", "Im Zielbild aufgenommen.")
    assert top["proposal_ids"] == str(by_state["accepted"].id)  # not the draft, not the withdrawn one
    assert admin["Mehr Radwege, bitte."]["proposal_ids"] == f"{by_state['accepted'].id},{by_state['draft'].id}"
    assert public["=1+2"]["outcome"] == "not_adopted"
    assert public["Antwort"]["outcome"] is None and public["Antwort"]["proposal_ids"] is None
    # Before publication open data holds neither outcomes nor proposals (the CLI and the page refuse
    # it anyway); the administration's export has them.
    round_.stage = "consolidation"
    db.commit()
    ctx = ExportContext(db, round_, open_data=True)
    from participation.exports.tables import COMMENTS, PROPOSALS

    columns = [c.name for c in COMMENTS.columns_for(ctx)]
    with app.app_context():
        rows = [dict(zip(columns, row, strict=True)) for row in COMMENTS.rows(ctx)]
        assert rows and all(r["outcome"] is None and r["proposal_ids"] is None for r in rows)
        assert list(PROPOSALS.rows(ctx)) == []
        assert len(list(PROPOSALS.rows(ExportContext(db, round_, open_data=False)))) == 4


def test_changes_are_the_synopsis_of_the_next_version(app, db, filled):
    from participation.strategy.services import version_by_number

    round_, _other, _people = filled
    accepted = _proposals(db, round_)["accepted"]
    item = scope_items(db, round_)[0]
    admin = _json_tables(_export(app, db, round_, "json", False))
    assert "changes" not in _json_tables(_export(app, db, round_, "json", True))  # a draft is not public
    (row,) = admin["changes"]
    assert (row["version"], row["item_key"], row["change"], row["change_kinds"]) == ("2.0", item.key, "changed", "amend")
    assert (row["title_old"], row["title_new"]) == (item.title_de, "Radverkehr zuerst")
    assert row["summary_old"] == row["summary_new"] == item.summary_de
    assert row["proposal_ids"] == str(accepted.id) and row["editorial_reasons"] is None
    version = version_by_number(db, "2.0")
    version.state, version.published_at = "published", T0 + timedelta(days=50)
    db.commit()
    public = _csv_tables(_export(app, db, round_, "csv", True), excel=False)
    assert _rows(public["changes"])[0]["title_new"] == "Radverkehr zuerst"
    package = json.loads(_members(_export(app, db, round_, "csv", True))["datapackage.json"])
    assert "changes" in [r["name"] for r in package["resources"]]


def test_proposal_texts_that_look_like_formulas_stay_text(app, db, filled):
    round_, _other, _people = filled
    tables = _csv_tables(_export(app, db, round_, "csv-excel", True), excel=True)
    assert "'=HYPERLINK(\"x\")" in [row[tables["proposals"][0].index("Begründung")] for row in tables["proposals"][1:]]
    book = openpyxl.load_workbook(io.BytesIO(_export(app, db, round_, "xlsx", True)))
    values = [cell.value for row in book["Vorschläge"].iter_rows(min_row=2) for cell in row]
    assert '=HYPERLINK("x")' in values
    cell = next(c for row in book["Vorschläge"].iter_rows(min_row=2) for c in row if c.value == '=HYPERLINK("x")')
    assert cell.data_type == "s"


@pytest.mark.parametrize("open_data", [True, False])
def test_analysis_parameters_are_in_the_export(app, db, filled, open_data):
    from participation.analysis import compute

    round_, _other, _people = filled
    members = _members(_export(app, db, round_, "json", open_data))
    parameters = json.loads(members["datapackage.json"])["x_round"]["analysis"]
    assert parameters["seed"] == compute.SEED and "k" in parameters
    assert parameters["versions"] == compute.parameters()["versions"]
    readme = members["README.md"].decode()
    assert f"seed: {compute.SEED}" in readme and "scikit-learn" in readme
    book = openpyxl.load_workbook(io.BytesIO(_export(app, db, round_, "xlsx", open_data)))
    info = {row[0]: row[1] for row in book["Info"].iter_rows(min_row=2, values_only=True)}
    assert info["Analyse: Startwert / seed"] == str(compute.SEED)
    assert "numpy" in info["Analyse: Bibliotheken / libraries"]
    assert json.loads(info["Analyse: Parameter / parameters"]) == parameters


def test_report_shows_public_proposals_and_the_consideration_table(client, db, frozen, filled):
    round_, _other, _people = filled
    by_state = _proposals(db, round_)
    html = client.get(f"/runden/{round_.id}/bericht").get_data(as_text=True)
    assert f'id="bericht-vorschlag-{by_state["accepted"].id}"' in html
    assert f'id="bericht-vorschlag-{by_state["rejected"].id}"' in html
    assert "Entwurf im Haus" not in html and f'bericht-vorschlag-{by_state["draft"].id}"' not in html
    assert "Überzeugt den Rat." in html and "Radverkehr zuerst" in html
    assert "Abwägungstabelle" in html and "Im Zielbild aufgenommen." in html
    assert "Versteckt und beleidigend" not in html
    round_.stage = "consolidation"
    db.commit()
    html = client.get(f"/runden/{round_.id}/bericht").get_data(as_text=True)
    assert "Überzeugt den Rat." not in html and "Im Zielbild aufgenommen." not in html


def test_report_counts_offline_participants(client, db, frozen, filled):
    import re

    round_, _other, _people = filled
    html = client.get(f"/runden/{round_.id}/bericht").get_data(as_text=True)
    counts = re.search(r"<dt>Teilnehmende</dt><dd>(\d+)</dd>", html)
    assert counts and int(counts.group(1)) == 7 + 3  # seven accounts and three ballots


@pytest.mark.parametrize("open_data", [True, False])
def test_a_round_without_ratings_or_proposals_exports(app, db, make_round, open_data):
    round_ = make_round(state="published", results="live")
    tables = _json_tables(_export(app, db, round_, "json", open_data))
    assert tables["ratings"] == [] and tables["proposals"] == [] and tables["evidence"] == []
    assert "changes" not in tables
    package = json.loads(_members(_export(app, db, round_, "json", open_data))["datapackage.json"])
    assert package["x_round"]["analysis"]["k"] is None


def test_report_with_proposals_is_valid_html(client, frozen, filled, tmp_path):
    from .test_html_validity import validate, vnu_command

    vnu_command()  # skips without Java
    round_, _other, _people = filled
    page = tmp_path / "report.html"
    page.write_bytes(client.get(f"/runden/{round_.id}/bericht").get_data())
    assert validate([page]) == []


EXPORT_IN_A_PROCESS = """
import io, json, sys, zipfile
from participation import create_app
from participation.exports import services
from participation.rounds.models import Round

app = create_app({"DATABASE_URL": sys.argv[1], "EXPORT_ANALYSIS_IN_CHILD": True})
out = io.BytesIO()
with app.app_context(), app.extensions["db_sessionmaker"]() as session:
    services.write(session, session.get(Round, int(sys.argv[2])), "json", out, open_data=False)
package = json.loads(zipfile.ZipFile(out).read("datapackage.json"))
print(json.dumps({"analysis": package["x_round"]["analysis"],
                  "loaded": [name for name in ("numpy", "scipy", "sklearn") if name in sys.modules]}))
"""


def test_an_export_process_leaves_the_analysis_to_a_child_process(tmp_path_factory):
    """numpy and scikit-learn (about 145 MB) stay out of the exporting process; the parameters
    the child computed from the committed ratings are those of the analysis page."""
    import importlib.util
    import subprocess
    import sys
    from pathlib import Path

    from participation import create_app
    from participation.analysis.services import round_analysis
    from participation.rounds.models import Round

    from .conftest import new_database

    url, drop = new_database(tmp_path_factory)
    try:
        spec = importlib.util.spec_from_file_location(
            "export_benchmark", Path(__file__).resolve().parent.parent / "benchmarks" / "export.py")
        benchmark = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(benchmark)
        round_id = benchmark.fill(url, 10_000)  # migrates, imports the strategy, commits the ratings
        done = subprocess.run([sys.executable, "-c", EXPORT_IN_A_PROCESS, url, str(round_id)],  # noqa: S603
                              capture_output=True, text=True, check=True)
        answer = json.loads(done.stdout.strip().splitlines()[-1])
        assert answer["loaded"] == []
        app = create_app({"DATABASE_URL": url})
        with app.app_context(), app.extensions["db_sessionmaker"]() as session:
            expected = round_analysis(session, session.get(Round, round_id)).as_json()["parameters"]
        app.extensions["db_engine"].dispose()
        assert answer["analysis"] == expected and expected["k"] is not None
    finally:
        drop()
