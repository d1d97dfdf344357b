"""The administration of consultation rounds: the form, the steps of a round, invitation codes,
who may do it, and the console commands. The clock is frozen (a round's state follows from it).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from markupsafe import escape

from participation.rounds.models import InvitationCode, Round
from participation.rounds.services import RoundData, create_round, rateable_items, redeem_code
from participation.strategy.models import StrategyItem
from participation.strategy.services import version_by_number

ADMIN = "admin@example.org"
NOW = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)  # a month before the rounds below open


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def admin(make_user, login):
    # English: the admin's messages are compared with their msgids.
    user = make_user(ADMIN, "Amt", role="admin", language="en")
    assert login(ADMIN).status_code == 302
    return user


@pytest.fixture
def version(db):
    return version_by_number(db, "1.0")


@pytest.fixture
def items(db, version) -> list[StrategyItem]:
    return rateable_items(db, version)


def round_form(version, chosen, **overrides) -> dict:
    data = {
        "version": str(version.id),
        "title_de": "Beteiligung Smart City 2026",
        "title_en": "Smart City consultation 2026",
        "description_de": "Sagen Sie uns Ihre Meinung.",
        "description_en": "",
        "opens": "2026-12-01T09:00",
        "closes": "2027-01-31T18:00",
        "items": [str(item.id) for item in chosen],
        "results_visibility": "after_close",
        "participation": "accounts",
    }
    data.update(overrides)
    return data


def round_count(db) -> int:
    return db.scalar(sa.select(sa.func.count()).select_from(Round))


def make_round(db, version, items, opens=datetime(2026, 12, 1, 8, 0, tzinfo=UTC),
               closes=datetime(2027, 1, 31, 17, 0, tzinfo=UTC)) -> Round:
    round_ = create_round(db, RoundData(
        version=version, title_de="Runde", title_en=None, description_de=None, description_en=None,
        opens_at=opens, closes_at=closes, item_ids=[item.id for item in items],
    ))
    db.commit()
    return round_


def created_round_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)
    match = re.search(r"/verwaltung/runden/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def checked_items(html: str) -> list[str]:
    return re.findall(r'<input checked id="items-\d+" name="items" type="checkbox" value="(\d+)">', html)


# --- creating ------------------------------------------------------------------------------------

def test_new_round_form_offers_every_rateable_item_checked_in_groups(client, admin, items):
    response = client.get("/verwaltung/runden/neu")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert len(items) == 26  # 8 Leitkoordinaten and 18 Zielbilder
    assert checked_items(html) == [str(item.id) for item in items]
    legends = re.findall(r"<legend>([^<]+)</legend>", html)
    fields = {str(escape(item.parent.title_en or item.parent.title_de)) for item in items if item.parent is not None}
    assert len(fields) == 6
    assert legends == ["Items in scope", "Guiding coordinates", *sorted(fields, key=legends.index), "Results",
                       "Who may take part", "Comments"]
    assert 'type="datetime-local"' in html
    assert 'value="after_close" checked' in html or 'checked id="results_visibility-1"' in html


def test_admin_creates_a_round_with_the_default_scope(client, db, admin, version, items):
    response = client.submit("/verwaltung/runden/neu", round_form(version, items))
    round_id = created_round_id(response)
    round_ = db.get(Round, round_id)
    assert [entry.item_id for entry in round_.scope] == [item.id for item in items]
    assert round_.title_de == "Beteiligung Smart City 2026"
    assert round_.description_en is None
    # Münster wall-clock time, stored as UTC: winter is UTC+1.
    assert round_.opens_at == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert round_.closes_at == datetime(2027, 1, 31, 17, 0, tzinfo=UTC)
    assert (round_.asks_importance, round_.results_visibility, round_.participation) == (
        False, "after_close", "accounts")
    page = client.get(f"/verwaltung/runden/{round_id}").get_data(as_text=True)
    assert "has been created" in page
    assert "Open now" in page


def test_admin_creates_a_round_with_a_narrowed_checklist(client, db, admin, version, items):
    chosen = [items[0], items[3]] + [item for item in items if item.kind == "target"][:3]
    response = client.submit("/verwaltung/runden/neu", round_form(
        version, chosen, asks_importance="y", results_visibility="live", participation="codes"))
    round_ = db.get(Round, created_round_id(response))
    assert [entry.item_id for entry in round_.scope] == [item.id for item in chosen]
    assert [entry.position for entry in round_.scope] == [0, 1, 2, 3, 4]
    assert (round_.asks_importance, round_.results_visibility, round_.participation) == (True, "live", "codes")


@pytest.mark.parametrize("title", ["Runde\x0bZwei", "Runde\x1b[31m", "Runde \u202eowT"])
def test_a_title_with_control_characters_is_refused_next_to_the_field(client, db, admin, version, items, title):
    """Pasted from a word processor (a vertical tab is Word's manual line break), an escape, a
    direction override: refused with the message every text field gives, nothing stored."""
    before = db.scalar(sa.select(sa.func.count()).select_from(Round))
    response = client.submit("/verwaltung/runden/neu", round_form(version, items, title_de=title))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "invisible control characters" in html or "change the writing direction" in html
    assert db.scalar(sa.select(sa.func.count()).select_from(Round)) == before


def test_summer_time_is_two_hours_ahead_of_utc(client, db, admin, version, items):
    response = client.submit("/verwaltung/runden/neu", round_form(
        version, items, opens="2027-06-01T09:00", closes="2027-07-01T18:30"))
    round_ = db.get(Round, created_round_id(response))
    assert round_.opens_at == datetime(2027, 6, 1, 7, 0, tzinfo=UTC)
    assert round_.closes_at == datetime(2027, 7, 1, 16, 30, tzinfo=UTC)


def test_dashboard_lists_rounds_in_berlin_time(client, db, admin, version, items):
    make_round(db, version, items)
    html = client.get("/verwaltung/").get_data(as_text=True)
    assert "Create a round" in html and 'href="/verwaltung/runden/neu"' in html
    assert "Runde" in html and "1.0" in html and "Draft" in html
    assert "1 Dec 2026, 09:00" in html


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"closes": "2026-11-30T18:00"}, "closes", "The closing time must be after the opening time."),
        ({"closes": "2026-12-01T09:00"}, "closes", "The closing time must be after the opening time."),
        ({"items": []}, "items", "Choose at least one item for the round."),
        ({"title_de": "   "}, "title_de", "Please enter a German title."),
        ({"title_de": "x" * 201}, "title_de", "Use at most 200 characters."),
        ({"description_de": "x" * 5001}, "description_de", "Use at most 5000 characters."),
        ({"opens": "morgen früh"}, "opens", "Please enter a date and time, such as 2026-12-01 09:00."),
        ({"opens": "2026-02-30T09:00"}, "opens", "Please enter a date and time, such as 2026-12-01 09:00."),
        ({"closes": ""}, "closes", "Please enter a date and time."),
        ({"results_visibility": "sometimes"}, "results_visibility", "Not a valid choice."),
    ],
)
def test_bad_input_is_shown_next_to_the_field_and_nothing_is_stored(
        client, db, admin, version, items, overrides, field, message):
    response = client.submit("/verwaltung/runden/neu", round_form(version, items, **overrides))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', html)
    assert error, html
    assert message in error.group(1).replace("&#39;", "'")
    assert f'aria-describedby="{field}-hint {field}-error"' in html or f'aria-describedby="{field}-error"' in html
    assert 'class="error-summary"' in html
    assert round_count(db) == 0
    # The form keeps what was typed.
    if field != "title_de":
        assert 'value="Beteiligung Smart City 2026"' in html


def test_items_of_another_kind_are_refused(client, db, admin, version, items):
    vision = db.scalar(sa.select(StrategyItem).where(StrategyItem.version_id == version.id,
                                                     StrategyItem.kind == "vision"))
    response = client.submit("/verwaltung/runden/neu", round_form(version, [items[0], vision]))
    assert response.status_code == 422
    assert "Some chosen items do not belong to this strategy version." in response.get_data(as_text=True)
    assert round_count(db) == 0


def test_errors_come_in_the_admins_language(client, db, make_user, login, version, items):
    make_user("amt@example.org", "Amt", role="admin", language="de")
    login("amt@example.org")
    response = client.submit("/verwaltung/runden/neu", round_form(version, items, title_de="x" * 201))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Verwenden Sie höchstens 200 Zeichen." in html
    assert "Bitte prüfen Sie Ihre Eingaben" in html
    assert "<legend>Leitkoordinaten</legend>" in html


def test_admin_pages_are_valid_for_the_csp_and_assistive_technology(client, db, admin, version, items):
    round_ = make_round(db, version, items)
    client.submit(f"/verwaltung/runden/{round_.id}/codes", {"count": "2"})
    for path in ["/verwaltung/", "/verwaltung/runden/neu", f"/verwaltung/runden/{round_.id}",
                 f"/verwaltung/runden/{round_.id}/bearbeiten"]:
        html = client.get(path).get_data(as_text=True)
        ids = re.findall(r'\sid="([^"]+)"', html)
        assert len(ids) == len(set(ids)), (path, sorted(i for i in ids if ids.count(i) > 1))
        assert " style=" not in html and "<style" not in html, path
        assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/js/app.js" defer>'], path
        for target in re.findall(r'aria-describedby="([^"]+)"', html):
            assert all(f'id="{i}"' in html for i in target.split()), (path, target)


# --- editing -------------------------------------------------------------------------------------

def test_edit_a_draft_round(client, db, admin, version, items):
    round_ = make_round(db, version, items)
    page = client.get(f"/verwaltung/runden/{round_.id}")
    assert f'href="/verwaltung/runden/{round_.id}/bearbeiten"' in page.get_data(as_text=True)
    form = client.get(f"/verwaltung/runden/{round_.id}/bearbeiten")
    html = form.get_data(as_text=True)
    assert form.status_code == 200
    # Prefilled in Münster time.
    assert 'value="2026-12-01T09:00"' in html and 'value="2027-01-31T18:00"' in html
    assert checked_items(html) == [str(item.id) for item in items]
    response = client.submit(f"/verwaltung/runden/{round_.id}/bearbeiten", round_form(
        version, items[:2], title_de="Neuer Titel", opens="2027-03-01T10:00", closes="2027-04-01T10:00"))
    assert response.status_code == 302
    db.expire_all()
    round_ = db.get(Round, round_.id)
    assert round_.title_de == "Neuer Titel"
    assert [entry.item_id for entry in round_.scope] == [items[0].id, items[1].id]
    assert round_.opens_at == datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    assert round_.closes_at == datetime(2027, 4, 1, 8, 0, tzinfo=UTC)  # summer time since 28 March


def test_edit_shows_errors_and_keeps_the_round(client, db, admin, version, items):
    round_ = make_round(db, version, items)
    response = client.submit(f"/verwaltung/runden/{round_.id}/bearbeiten",
                             round_form(version, items, title_de="Neu", closes="2026-11-30T09:00"))
    assert response.status_code == 422
    assert "The closing time must be after the opening time." in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(Round, round_.id).title_de == "Runde"


def test_edit_is_refused_once_the_round_has_opened(client, db, make_user, login, clock, version, items):
    round_ = make_round(db, version, items)
    make_user(ADMIN, "Amt", role="admin", language="en")
    clock.move_to(datetime(2026, 12, 2, 12, 0, tzinfo=UTC), tick=False)
    login(ADMIN)
    response = client.get(f"/verwaltung/runden/{round_.id}/bearbeiten")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/verwaltung/runden/{round_.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "A round can only be changed until it opens." in page
    assert "/bearbeiten" not in page
    response = client.submit(f"/verwaltung/runden/{round_.id}/bearbeiten",
                             round_form(version, items, title_de="Zu spät"))
    assert response.status_code == 302
    db.expire_all()
    assert db.get(Round, round_.id).title_de == "Runde"


# --- the steps of a round -------------------------------------------------------------------------

def test_advance_through_every_state(client, db, admin, clock, version, items):
    round_ = make_round(db, version, items)
    url = f"/verwaltung/runden/{round_.id}"
    steps = [
        ("draft", "Open now", "open", "The round is open now."),
        ("open", "Close early", "closed", "The round is closed."),
        ("closed", "Start consolidation", "consolidation", "Consolidation has started."),
        ("consolidation", "Publish results", "published", "The results are published."),
    ]
    for before, button, after, flash in steps:
        clock.shift(60)  # frozen, one minute per step
        page = client.get(url).get_data(as_text=True)
        if before in ("open", "consolidation"):  # cannot be undone: asked on a page of its own
            assert f'href="{url}/bestaetigen"' in page and f"{button} …</a>" in page
            response = client.submit(f"{url}/weiter", {"state": before})  # without the confirmation
            assert response.status_code == 302 and response.location.endswith(f"{url}/bestaetigen")
            db.expire_all()
            assert db.get(Round, round_.id).state == before
            page = client.get(f"{url}/bestaetigen").get_data(as_text=True)
            assert 'name="confirmed" type="hidden" value="1"' in page
            response = client.submit(f"{url}/weiter", {"state": before, "confirmed": "1"})
        else:
            assert f">{button}</button>" in page
            assert f'name="state" type="hidden" value="{before}"' in page
            response = client.submit(f"{url}/weiter", {"state": before})
        assert response.status_code == 302
        db.expire_all()
        assert db.get(Round, round_.id).state == after
        assert flash in client.get(url).get_data(as_text=True)
    round_ = db.get(Round, round_.id)
    assert round_.opens_at == NOW + timedelta(minutes=1)
    assert round_.closes_at == round_.closed_early_at == NOW + timedelta(minutes=2)
    page = client.get(url).get_data(as_text=True)
    assert f"{url}/weiter" not in page
    assert "This round has no further step." in page


def test_a_second_click_does_not_skip_a_step(client, db, admin, version, items):
    round_ = make_round(db, version, items)
    url = f"/verwaltung/runden/{round_.id}"
    assert client.submit(f"{url}/weiter", {"state": "draft"}).status_code == 302
    response = client.submit(f"{url}/weiter", {"state": "draft"})  # the same form again
    assert response.status_code == 302
    db.expire_all()
    assert db.get(Round, round_.id).state == "open"
    assert "The round has changed in the meantime." in client.get(url).get_data(as_text=True)


def test_advancing_without_a_csrf_token_is_refused(client, db, admin, version, items):
    round_ = make_round(db, version, items)
    response = client.post(f"/verwaltung/runden/{round_.id}/weiter", data={"state": "draft"})
    assert response.status_code == 400
    db.expire_all()
    assert db.get(Round, round_.id).state == "draft"


def test_advancing_by_get_is_not_possible(client, db, admin, version, items):
    round_ = make_round(db, version, items)
    assert client.get(f"/verwaltung/runden/{round_.id}/weiter").status_code == 405


def test_unknown_round_is_404(client, admin):
    assert client.get("/verwaltung/runden/999999").status_code == 404
    assert client.get("/verwaltung/runden/999999/codes.csv").status_code == 404
    assert client.submit("/verwaltung/runden/999999/weiter", {"state": "draft"}).status_code == 404


# --- who may -----------------------------------------------------------------------------------

ADMIN_GETS = ["/verwaltung/", "/verwaltung/runden/neu", "/verwaltung/runden/{id}",
              "/verwaltung/runden/{id}/bearbeiten", "/verwaltung/runden/{id}/codes.csv"]
ADMIN_POSTS = [("/verwaltung/runden/neu", {"title_de": "X"}), ("/verwaltung/runden/{id}/bearbeiten", {"title_de": "X"}),
               ("/verwaltung/runden/{id}/weiter", {"state": "draft"}), ("/verwaltung/runden/{id}/codes", {"count": "5"})]


@pytest.mark.parametrize("role", [None, "resident", "moderator"])
def test_only_admins_reach_the_administration(client, db, make_user, login, version, items, role):
    round_ = make_round(db, version, items)
    if role is not None:
        make_user("someone@example.org", "Jemand", role=role)
        assert login("someone@example.org").status_code == 302
    for path in ADMIN_GETS:
        response = client.get(path.format(id=round_.id))
        if role is None:
            assert response.status_code == 302 and "/login" in response.headers["Location"], path
        else:
            assert response.status_code == 403, path
    for path, data in ADMIN_POSTS:
        response = client.submit(path.format(id=round_.id), data)
        if role is None:
            assert response.status_code == 302 and "/login" in response.headers["Location"], path
        else:
            assert response.status_code == 403, path
    db.expire_all()
    assert db.get(Round, round_.id).state == "draft" and db.get(Round, round_.id).title_de == "Runde"
    assert round_count(db) == 1
    assert db.scalar(sa.select(sa.func.count()).select_from(InvitationCode)) == 0


def test_an_unconfirmed_admin_is_not_let_in(client, db, make_user, login):
    make_user(ADMIN, "Amt", role="admin", confirmed=False)
    login(ADMIN)
    response = client.get("/verwaltung/")
    assert response.status_code in (302, 403)


# --- invitation codes ------------------------------------------------------------------------

def read_csv(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with a byte order mark
    text = body[3:].decode("utf-8")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def test_generate_codes_and_download_them_for_excel(client, db, admin, make_user, version, items):
    round_ = make_round(db, version, items)
    url = f"/verwaltung/runden/{round_.id}"
    response = client.submit(f"{url}/codes", {"count": "25"})
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "25 invitation codes have been generated." in page
    assert f'href="{url}/codes.csv"' in page
    assert client.submit(f"{url}/codes", {"count": "1"}).status_code == 302
    assert "1 invitation code has been generated." in client.get(url).get_data(as_text=True)

    # One is redeemed while the round is open.
    resident = make_user("bea@example.org", "Bea")
    first = db.scalars(sa.select(InvitationCode).where(InvitationCode.round_id == round_.id)
                       .order_by(InvitationCode.id)).first()
    round_.opens_at = NOW
    redeem_code(db, round_, resident, first.code)
    db.commit()

    response = client.get(f"{url}/codes.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    rows = read_csv(response)
    assert rows[0] == ["Code", "Link zum Einlösen", "Eingelöst", "Eingelöst am"]  # German Excel
    assert len(rows) == 27
    codes = [row[0] for row in rows[1:]]
    assert len(set(codes)) == 26
    assert all(re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", code) for code in codes)
    assert rows[1] == [first.code, f"http://localhost/runden/{round_.id}/code?code={first.code}", "ja",
                       "01.11.2026 11:00"]  # Berlin time, as German Excel reads dates
    assert all(row[2] == "nein" and row[3] == "" for row in rows[2:])
    page = client.get(url).get_data(as_text=True)
    assert re.search(r"<dt>Generated</dt><dd>26</dd>", page) and re.search(r"<dt>Redeemed</dt><dd>1</dd>", page)


@pytest.mark.parametrize("count", ["0", "10001", "viele", ""])
def test_bad_code_counts_are_refused(client, db, admin, version, items, count):
    round_ = make_round(db, version, items)
    response = client.submit(f"/verwaltung/runden/{round_.id}/codes", {"count": count})
    assert response.status_code == 422
    assert 'id="count-error"' in response.get_data(as_text=True)
    assert db.scalar(sa.select(sa.func.count()).select_from(InvitationCode)) == 0


def test_no_new_codes_after_the_round_closed(client, db, admin, version, items):
    round_ = make_round(db, version, items, opens=datetime(2026, 10, 1, tzinfo=UTC),
                        closes=datetime(2026, 10, 31, tzinfo=UTC))
    page = client.get(f"/verwaltung/runden/{round_.id}").get_data(as_text=True)
    assert f"/verwaltung/runden/{round_.id}/codes\"" not in page
    response = client.submit(f"/verwaltung/runden/{round_.id}/codes", {"count": "5"})
    assert response.status_code == 302
    assert db.scalar(sa.select(sa.func.count()).select_from(InvitationCode)) == 0


# --- console -----------------------------------------------------------------------------------

def invoke(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


CREATE = ["rounds", "create", "--version", "1.0", "--title", "Konsole", "--opens", "2026-12-01 09:00",
          "--closes", "2027-01-31 18:00"]


def test_cli_creates_a_round_and_prints_only_its_id(app, db, items):
    result = invoke(app, *CREATE, "--title-en", "Console", "--description", "Text", "--importance",
                    "--results", "live", "--codes-required")
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"\d+\n", result.stdout)
    round_ = db.get(Round, int(result.stdout))
    assert (round_.title_de, round_.title_en, round_.description_de) == ("Konsole", "Console", "Text")
    assert round_.opens_at == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert round_.closes_at == datetime(2027, 1, 31, 17, 0, tzinfo=UTC)
    assert [entry.item_id for entry in round_.scope] == [item.id for item in items]
    assert (round_.asks_importance, round_.results_visibility, round_.participation) == (True, "live", "codes")


def test_cli_defaults(app, db):
    result = invoke(app, *CREATE)
    round_ = db.get(Round, int(result.stdout))
    assert (round_.asks_importance, round_.results_visibility, round_.participation) == (
        False, "after_close", "accounts")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"--version": "9.9"}, "there is no strategy version '9.9'"),
        ({"--opens": "1.12.2026"}, "not a date and time"),
        ({"--closes": "2027-13-01 18:00"}, "not a date and time"),
        ({"--closes": "2026-11-30 18:00"}, "The closing time must be after the opening time."),
        ({"--title": " "}, "a title must have 1 to 200 characters"),
        ({"--results": "never"}, "Invalid value for '--results'"),
    ],
)
def test_cli_create_refuses_bad_input(app, db, change, message):
    args = list(CREATE)
    for option, value in change.items():
        if option in args:
            args[args.index(option) + 1] = value
        else:
            args += [option, value]
    result = invoke(app, *args)
    assert result.exit_code != 0
    assert message in result.output
    assert result.stdout == ""
    assert round_count(db) == 0


def test_cli_lists_rounds_in_berlin_time(app, db):
    first = int(invoke(app, *CREATE).stdout)
    second = int(invoke(app, "rounds", "create", "--version", "1.0", "--title", "Sommer",
                        "--opens", "2027-06-01 09:00", "--closes", "2027-07-01 18:00").stdout)
    result = invoke(app, "rounds", "list")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert f"{first}\tdraft\tKonsole\t2026-12-01 09:00\t2027-01-31 18:00" in lines
    assert f"{second}\tdraft\tSommer\t2027-06-01 09:00\t2027-07-01 18:00" in lines


def test_cli_writes_the_same_csv_as_the_download(app, db, client, admin, version, items, tmp_path):
    round_ = make_round(db, version, items)
    result = invoke(app, "rounds", "codes", str(round_.id), "--count", "4")
    assert result.exit_code == 0, result.output
    stdout = result.stdout_bytes
    assert stdout.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(stdout[3:].decode("utf-8"), newline=""), delimiter=";"))
    assert rows[0] == ["Code", "Link zum Einlösen", "Eingelöst", "Eingelöst am"] and len(rows) == 5
    assert all(row[1].startswith(f"http://localhost/runden/{round_.id}/code?code=") and row[2] == "nein"
               for row in rows[1:])
    assert client.get(f"/verwaltung/runden/{round_.id}/codes.csv").get_data() == stdout

    target = tmp_path / "codes.csv"
    result = invoke(app, "rounds", "codes", str(round_.id), "--count", "2", "--output", str(target),
                    "--base-url", "https://beteiligung.example.org")
    assert result.exit_code == 0, result.output
    rows = read_csv_bytes(target.read_bytes())
    assert len(rows) == 7 and len({row[0] for row in rows[1:]}) == 6
    assert all(row[1].startswith(f"https://beteiligung.example.org/runden/{round_.id}/code?code=") for row in rows[1:])


def read_csv_bytes(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline=""), delimiter=";"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["999999", "--count", "3"], "there is no round 999999"),
        (["{id}", "--count", "0"], "Invalid value for '--count'"),
        (["{id}", "--count", "10001"], "Invalid value for '--count'"),
        (["{id}"], "Missing option '--count'"),
        (["{id}", "--count", "3", "--base-url", "beteiligung.example.org"], "https://"),
    ],
)
def test_cli_codes_refuses_bad_input(app, db, version, items, args, message):
    round_ = make_round(db, version, items)
    result = invoke(app, "rounds", "codes", *[a.format(id=round_.id) for a in args])
    assert result.exit_code != 0
    assert message in result.output
    assert db.scalar(sa.select(sa.func.count()).select_from(InvitationCode)) == 0


def test_cli_codes_refuses_a_closed_round(app, db, version, items):
    round_ = make_round(db, version, items, opens=datetime(2026, 10, 1, tzinfo=UTC),
                        closes=datetime(2026, 10, 31, tzinfo=UTC))
    result = invoke(app, "rounds", "codes", str(round_.id), "--count", "3")
    assert result.exit_code == 1 and "closed" in result.output


def test_cli_codes_link_to_the_configured_public_address(app, db, version, items):
    round_ = make_round(db, version, items)
    app.config["SERVER_NAME"] = None
    app.config["BASE_URL"] = "https://beteiligung.example.org/app"
    result = invoke(app, "rounds", "codes", str(round_.id), "--count", "3")
    assert result.exit_code == 0, result.output
    assert f"https://beteiligung.example.org/app/runden/{round_.id}/code?code=" in result.stdout
    assert db.scalar(sa.select(sa.func.count()).select_from(InvitationCode)) == 3
