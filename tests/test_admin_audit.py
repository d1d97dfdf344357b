"""Every action of the administration and of the operator's console lands in the audit log;
closing early is confirmed on a page of its own; an open round can be extended.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from participation.moderation.models import AuditEntry
from participation.rounds.models import Round
from participation.rounds.services import rateable_items
from participation.strategy.services import version_by_number

from .test_admin_rounds import ADMIN, CREATE, NOW, created_round_id, invoke, make_round, round_form


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def admin(make_user, login):
    user = make_user(ADMIN, "Amt", role="admin", language="en")
    assert login(ADMIN).status_code == 302
    return user


@pytest.fixture
def version(db):
    return version_by_number(db, "1.0")


@pytest.fixture
def items(db, version):
    return rateable_items(db, version)


def entries(db, object_type: str | None = None) -> list[AuditEntry]:
    db.expire_all()
    query = sa.select(AuditEntry).order_by(AuditEntry.id)
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    return list(db.scalars(query))


def test_every_step_of_a_round_in_the_web_is_audited(client, db, admin, clock, version, items):
    round_id = created_round_id(client.submit("/verwaltung/runden/neu", round_form(version, items)))
    url = f"/verwaltung/runden/{round_id}"
    assert client.submit(f"{url}/bearbeiten", round_form(version, items[:3], title_de="Neu")).status_code == 302
    assert client.submit(f"{url}/codes", {"count": "7"}).status_code == 302
    clock.shift(60)
    assert client.submit(f"{url}/weiter", {"state": "draft"}).status_code == 302
    assert client.submit(f"{url}/verlaengern", {"closes": "2027-02-28T18:00"}).status_code == 302
    clock.shift(60)
    assert client.submit(f"{url}/weiter", {"state": "open", "confirmed": "1"}).status_code == 302
    clock.shift(60)
    assert client.submit(f"{url}/weiter", {"state": "closed"}).status_code == 302
    assert client.submit(f"{url}/weiter", {"state": "consolidation", "confirmed": "1"}).status_code == 302

    log = entries(db, "round")
    assert [e.action for e in log] == ["round.created", "round.edited", "round.codes_generated", "round.opened",
                                       "round.extended", "round.closed", "round.consolidation", "round.published"]
    assert {e.actor_id for e in log} == {admin.id} and {e.object_id for e in log} == {round_id}
    assert log[1].details["title"] == "Neu" and log[1].details["items"] == 3
    assert log[2].details["count"] == 7
    assert log[4].details["closes"] == "2027-02-28T17:00:00+00:00"

    page = client.get("/verwaltung/protokoll?object_type=round").get_data(as_text=True)
    for label in ("Round created", "Round edited", "Invitation codes generated", "Round opened",
                  "Closing time extended", "Round closed", "Consolidation started", "Results published"):
        assert label in page
    assert f'href="/verwaltung/runden/{round_id}"' in page
    assert "7 codes" in page


def test_console_actions_are_audited_as_the_console(app, client, db, admin, make_user):
    make_user("bea@example.org", "Bea")
    assert invoke(app, "users", "set-role", "bea@example.org", "moderator").exit_code == 0
    result = app.test_cli_runner().invoke(
        args=["users", "create", "carl@example.org", "--name", "Carl", "--role", "admin", "--password-stdin"],
        input="a-long-and-unusual-passphrase-42\n")
    assert result.exit_code == 0, result.output
    round_id = int(invoke(app, *CREATE).stdout)
    assert invoke(app, "rounds", "codes", str(round_id), "--count", "2",
                  "--base-url", "https://beteiligung.example.org").exit_code == 0

    log = [e for e in entries(db) if e.details and e.details.get("via") == "cli"]
    assert [e.action for e in log] == ["user.role_changed", "user.created", "round.created", "round.codes_generated"]
    assert all(e.actor_id is None for e in log)
    assert log[0].details["before"] == "resident" and log[0].details["role"] == "moderator"

    page = client.get("/verwaltung/protokoll").get_data(as_text=True)
    assert page.count("console (operator)") >= 4
    assert "Role changed" in page and "Participant → Moderator" in page


def test_setting_the_same_role_again_writes_nothing(app, db, make_user):
    make_user("bea@example.org", "Bea")
    assert invoke(app, "users", "set-role", "bea@example.org", "resident").exit_code == 0
    assert entries(db, "user") == []


# --- closing early asks first; extending ---------------------------------------------------------

def open_round(db, version, items) -> Round:
    return make_round(db, version, items, opens=NOW - timedelta(days=1), closes=NOW + timedelta(days=10))


def test_close_early_asks_on_a_page_of_its_own(client, db, admin, version, items):
    round_ = open_round(db, version, items)
    url = f"/verwaltung/runden/{round_.id}"
    page = client.get(url).get_data(as_text=True)
    assert f'<a class="button" href="{url}/bestaetigen"' in page
    assert f'action="{url}/weiter"' not in page  # no one-click close

    confirm = client.get(f"{url}/bestaetigen")
    assert confirm.status_code == 200
    html = confirm.get_data(as_text=True)
    assert "Close this round now?" in html and "This cannot be undone." in html
    assert f'action="{url}/weiter"' in html and "Yes, close the round now" in html
    assert f'href="{url}"' in html  # the way back

    response = client.submit(f"{url}/weiter", {"state": "open"})  # a form without the confirmation
    assert response.location.endswith(f"{url}/bestaetigen")
    db.expire_all()
    assert db.get(Round, round_.id).state == "open"
    assert client.submit(f"{url}/weiter", {"state": "open", "confirmed": "1"}).status_code == 302
    db.expire_all()
    assert db.get(Round, round_.id).state == "closed"
    # nothing left to confirm: back to the round
    assert client.get(f"{url}/bestaetigen").location.endswith(url)


def test_extend_an_open_round(client, db, admin, version, items):
    round_ = open_round(db, version, items)
    url = f"/verwaltung/runden/{round_.id}"
    page = client.get(url).get_data(as_text=True)
    assert f'action="{url}/verlaengern"' in page
    # earlier than now planned: refused, with the reason at the field
    response = client.submit(f"{url}/verlaengern", {"closes": "2026-11-05T10:00"})
    assert response.status_code == 422
    assert "The new closing time must be later than the current one." in response.get_data(as_text=True)
    response = client.submit(f"{url}/verlaengern", {"closes": "kein Datum"})
    assert response.status_code == 422
    db.expire_all()
    assert db.get(Round, round_.id).closes_at == NOW + timedelta(days=10)

    response = client.submit(f"{url}/verlaengern", {"closes": "2026-12-24T18:00"})
    assert response.status_code == 302
    db.expire_all()
    assert db.get(Round, round_.id).closes_at == datetime(2026, 12, 24, 17, 0, tzinfo=UTC)
    assert "The round now closes on" in client.get(url).get_data(as_text=True)


def test_only_an_open_round_can_be_extended(client, db, admin, version, items):
    draft = make_round(db, version, items)
    url = f"/verwaltung/runden/{draft.id}"
    assert 'verlaengern' not in client.get(url).get_data(as_text=True)
    response = client.submit(f"{url}/verlaengern", {"closes": "2027-12-24T18:00"})
    assert response.status_code == 302
    assert "Only an open round can be extended." in client.get(url).get_data(as_text=True)
    db.expire_all()
    assert db.get(type(draft), draft.id).closes_at == draft.closes_at


def test_residents_cannot_extend_or_see_the_confirmation(client, db, make_user, login, version, items):
    round_ = open_round(db, version, items)
    make_user()
    login()
    url = f"/verwaltung/runden/{round_.id}"
    assert client.get(f"{url}/bestaetigen").status_code == 403
    assert client.submit(f"{url}/verlaengern", {"closes": "2027-12-24T18:00"}).status_code == 403


def test_strategy_import_from_the_console_is_audited(app, client, db, admin, tmp_path):
    from .conftest import MUENSTER

    target = tmp_path / "next.yaml"
    target.write_text(MUENSTER.read_text(encoding="utf-8").replace('number: "1.0"', 'number: "1.1"', 1),
                      encoding="utf-8")
    result = invoke(app, "strategy", "import", str(target))
    assert result.exit_code == 0, result.output
    [entry] = [e for e in entries(db, "version")]
    assert entry.action == "version.imported" and entry.details == {"number": "1.1", "via": "cli"}
    page = client.get("/verwaltung/protokoll?object_type=version").get_data(as_text=True)
    assert "Strategy version imported" in page and "Strategy version 1.1" in page
