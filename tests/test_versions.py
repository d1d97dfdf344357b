"""The next strategy version: composing from change requests, editorial changes, comparing,
publishing (immutability, the traceability invariant, the update mails), item history — through
the services, the console, the JSON API and the pages, in German and English.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from participation import worddiff
from participation.accounts.models import User
from participation.moderation.models import AuditEntry
from participation.strategy.models import StrategyItem, StrategyVersion
from participation.strategy.services import item_by_key, load_tree, version_by_number
from participation.versions.guard import PublishedVersionError
from participation.versions.models import EditorialChange, VersionChange
from participation.versions.services import (
    ChangeRequest,
    Place,
    VersionError,
    compare,
    compose,
    edit_item,
    history,
    publish,
    untraceable_keys,
)

from .conftest import PASSWORD

TARGET = "mobilitaet-verkehr/zielbild-2"
NEW_TITLE = "Vernetzte Mobilität für alle Stadtteile"


@pytest.fixture
def ctx(app):
    """For tests that call the services only (requests of the test client bring their own)."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


# Ids of the proposals the hand-made change requests below name (version_change.proposal_id
# references proposal.id, so they must exist).
SOURCE_IDS = (1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 14, 15, 21, 31, 32, 41, 42, 51, 99)


@pytest.fixture(autouse=True)
def source_proposals(request):
    """Rejected proposals with the ids the tests' change requests cite (never composed from)."""
    if "db" not in request.fixturenames:
        return
    from participation.proposals.models import Proposal

    db = request.getfixturevalue("db")
    author = request.getfixturevalue("make_user")("sources@example.org", "Quellen", role="moderator")
    round_ = request.getfixturevalue("make_round")("draft", title="Quellenrunde", keys=["leitkoordinate-2"])
    item = db.scalar(sa.select(StrategyItem).where(StrategyItem.version_id == round_.version_id,
                                                   StrategyItem.key == TARGET))
    for pid in SOURCE_IDS:
        db.add(Proposal(id=pid, round_id=round_.id, kind="keep", item_id=item.id, rationale_de="Quelle",
                        state="rejected", author_id=author.id))
    db.commit()


def in_request(app):
    return app.test_request_context(headers={"Accept-Language": "en"})


def changes() -> list[ChangeRequest]:
    return [
        ChangeRequest("proposal", 11, "amend", TARGET, {"title": {"de": NEW_TITLE, "en": "Connected mobility"}}),
        ChangeRequest("proposal", 12, "add", None, {"title": {"de": "Offene Daten im Quartier"},
                                                    "summary": {"de": "Daten für alle."}},
                      Place("wohnen-leben", 1, "target")),
        ChangeRequest("proposal", 13, "remove", "teilhabe-kultur/zielbild-3"),
        ChangeRequest("proposal", 14, "keep", "leitkoordinate-1"),
        ChangeRequest("proposal", 15, "add", None, {"title": {"de": "Nachhaltigkeit"}}, Place(None, 8, "coordinate")),
    ]


def compose_two(db, admin=None, change_list=None):
    result = compose(db, admin, version_by_number(db, "1.0"), "2.0", changes() if change_list is None else change_list)
    db.commit()
    return result


@pytest.fixture
def admin(make_user):
    return make_user("admin@example.org", "Admin", role="admin")


@pytest.fixture
def as_admin(admin, login):
    login("admin@example.org")
    return admin


# --- word diff ---------------------------------------------------------------------------------

def test_word_diff_marks_words_and_escapes(app):
    ops = worddiff.word_diff("Die Stadt <plant> Wege.\n\nZweiter Absatz.", "Die Stadt baut Wege.\n\nZweiter Absatz.")
    assert [(op.op, op.text) for op in ops if op.op != "equal"] == [("delete", "<plant>"), ("insert", "baut")]
    with app.test_request_context(headers={"Accept-Language": "de"}):
        html = str(worddiff.render_inline(ops))
        side_old = str(worddiff.render_side(ops, "old"))
        side_new = str(worddiff.render_side(ops, "new"))
    assert html == ('<p>Die Stadt <del><span class="visually-hidden">gelöscht: </span>&lt;plant&gt;</del>'
                    '<ins><span class="visually-hidden">eingefügt: </span>baut</ins> Wege.</p><p>Zweiter Absatz.</p>')
    assert "<ins>" not in side_old and "&lt;plant&gt;" in side_old
    assert "<del>" not in side_new and "baut" in side_new
    assert not worddiff.has_changes(worddiff.word_diff("gleich", "gleich"))


def test_word_diff_keeps_html_valid_when_a_change_spans_paragraphs(app):
    with app.test_request_context():
        html = str(worddiff.render_inline(worddiff.word_diff("Eins.", "Eins.\n\nZwei neu.")))
    assert html.count("<ins>") == html.count("</ins>") == 1
    assert re.fullmatch(r"<p>Eins\.</p><p><ins>.*Zwei neu\.</ins></p>", html)


# --- composing --------------------------------------------------------------------------------

def test_compose_applies_every_kind_and_records_its_sources(app, db, ctx):
    result = compose_two(db)
    version = result.version
    assert version.state == "draft" and version.based_on.number == "1.0" and version.title_de == "Smart City Strategie 2.0"
    assert result.counts == {"changed": 1, "added": 2, "removed": 1, "unchanged": 32}
    tree = load_tree(db, version)
    keys = [item.key for item in tree.items]
    old_keys = [item.key for item in load_tree(db, version_by_number(db, "1.0")).items]
    # Stable keys: everything but the removed item is still there under its key.
    assert set(old_keys) - set(keys) == {"teilhabe-kultur/zielbild-3"}
    assert item_by_key(db, version, TARGET).title_de == NEW_TITLE
    field = item_by_key(db, version, "wohnen-leben")
    assert [c.key for c in field.children] == [
        "wohnen-leben/zielbild-1", "wohnen-leben/zielbild-4", "wohnen-leben/zielbild-2", "wohnen-leben/zielbild-3"]
    assert [c.position for c in field.children] == [0, 1, 2, 3]
    assert tree.coordinates[-1].key == "leitkoordinate-9" and tree.coordinates[-1].title_de == "Nachhaltigkeit"
    rows = db.execute(sa.select(VersionChange.item_key, VersionChange.kind, VersionChange.proposal_id)
                      .where(VersionChange.version_id == version.id).order_by(VersionChange.proposal_id)).all()
    assert rows == [(TARGET, "amend", 11), ("wohnen-leben/zielbild-4", "add", 12),
                    ("teilhabe-kultur/zielbild-3", "remove", 13), ("leitkoordinate-1", "keep", 14),
                    ("leitkoordinate-9", "add", 15)]
    # The published base is untouched.
    assert item_by_key(db, version_by_number(db, "1.0"), TARGET).title_de != NEW_TITLE


def test_every_changed_item_links_to_a_proposal_or_an_editorial_change(app, db, ctx, admin):
    version = compose_two(db, admin).version
    edit_item(db, admin, item_by_key(db, version, "vision"), {"body_de": "Eine neue Vision."}, "Sprachlich geglättet")
    db.commit()
    compared = compare(db, version.based_on, version)
    changed = [e for e in compared if e.change != "unchanged"]
    assert len(changed) == 5
    assert all(entry.proposals or entry.editorial for entry in changed), [e.key for e in changed if not e.traceable]
    assert untraceable_keys(db, version) == []


def test_removing_a_field_removes_its_targets_with_the_same_source(app, db, ctx):
    version = compose_two(db, change_list=[ChangeRequest("proposal", 21, "remove", "teilhabe-kultur")]).version
    compared = {e.key: e for e in compare(db, version.based_on, version)}
    removed = [k for k, e in compared.items() if e.change == "removed"]
    assert sorted(removed) == ["teilhabe-kultur", "teilhabe-kultur/zielbild-1", "teilhabe-kultur/zielbild-2",
                               "teilhabe-kultur/zielbild-3"]
    assert all(compared[k].proposals == [21] for k in removed)


@pytest.mark.parametrize(("change_list", "expected"), [
    ([ChangeRequest("proposal", 1, "amend", TARGET, {"title": {"de": "A"}}),
      ChangeRequest("proposal", 2, "remove", TARGET)], f"Conflict on {TARGET}: proposal 1, proposal 2"),
    ([ChangeRequest("proposal", 3, "keep", "vision"), ChangeRequest("proposal", 4, "amend", "vision", {})],
     "Conflict on vision: proposal 3, proposal 4"),
    ([ChangeRequest("proposal", 5, "remove", "wohnen-leben"),
      ChangeRequest("proposal", 6, "add", None, {"title": {"de": "Neu"}}, Place("wohnen-leben", 0, "target"))],
     "Conflict on wohnen-leben: proposal 6 adds an item to it"),
    ([ChangeRequest("proposal", 7, "amend", "gibt-es-nicht", {"title": {"de": "X"}})], "gibt-es-nicht"),
    ([ChangeRequest("proposal", 8, "add", None, {"summary": {"de": "ohne Titel"}}, Place(None, 0, "coordinate"))],
     "needs a German title"),
])
def test_conflicts_stop_composing_and_name_the_proposals(app, db, ctx, change_list, expected):
    with pytest.raises(VersionError) as caught:
        compose(db, None, version_by_number(db, "1.0"), "2.0", change_list)
    assert caught.value.code == "conflicts"
    assert any(expected in detail for detail in caught.value.details), caught.value.details
    db.rollback()
    assert version_by_number(db, "2.0") is None


def test_compose_refuses_a_taken_number_and_a_draft_base(app, db, ctx):
    compose_two(db)
    with pytest.raises(VersionError) as taken:
        compose(db, None, version_by_number(db, "1.0"), "2.0", [])
    assert taken.value.code == "number_taken"
    with pytest.raises(VersionError) as draft:
        compose(db, None, version_by_number(db, "2.0"), "3.0", [])
    assert draft.value.code == "base_not_published"


def test_added_keys_are_never_reused(app, db, ctx):
    """A key retired in an earlier version is not given to a new item."""
    compose_two(db, change_list=[ChangeRequest("proposal", 1, "remove", "wohnen-leben/zielbild-3")])
    publish(db, None, version_by_number(db, "2.0"))
    db.commit()
    result = compose(db, None, version_by_number(db, "2.0"), "3.0", [
        ChangeRequest("proposal", 2, "add", None, {"title": {"de": "Neu"}}, Place("wohnen-leben", 5, "target"))])
    assert [c.key for c in item_by_key(db, result.version, "wohnen-leben").children][-1] == "wohnen-leben/zielbild-4"


# --- editorial changes -----------------------------------------------------------------------

def test_editorial_change_records_before_after_reason_and_audit(app, db, ctx, admin):
    version = compose_two(db, admin).version
    item = item_by_key(db, version, TARGET)
    old_body = item.body_de
    with pytest.raises(VersionError) as no_reason:
        edit_item(db, admin, item, {"body_de": "Neu"}, "  ")
    assert no_reason.value.code == "reason_required"
    with pytest.raises(VersionError) as same:
        edit_item(db, admin, item, {"body_de": old_body}, "nichts")
    assert same.value.code == "nothing_changed"
    change = edit_item(db, admin, item, {"body_de": "Erster Absatz.\r\n\r\nZweiter.", "title_de": NEW_TITLE},
                       "Mit der Antragstellerin abgestimmt")
    db.commit()
    assert change.before == {"body_de": old_body} and change.after == {"body_de": "Erster Absatz.\n\nZweiter."}
    assert change.editor_id == admin.id and change.fields == ["body_de"]
    entry = db.scalars(sa.select(AuditEntry).where(AuditEntry.action == "strategy.edit")).one()
    assert entry.actor_id == admin.id and entry.reason == "Mit der Antragstellerin abgestimmt"
    assert entry.details["fields"] == ["body_de"] and entry.details["key"] == TARGET
    compared = {e.key: e for e in compare(db, version.based_on, version)}
    assert compared[TARGET].proposals == [11] and [c.id for c in compared[TARGET].editorial] == [change.id]


def test_published_versions_cannot_be_edited(app, db, ctx, admin):
    item = item_by_key(db, version_by_number(db, "1.0"), TARGET)
    with pytest.raises(VersionError) as caught:
        edit_item(db, admin, item, {"title_de": "Anders"}, "Grund")
    assert caught.value.code == "published"


def test_the_orm_refuses_changes_to_published_versions(app, db):
    item = item_by_key(db, version_by_number(db, "1.0"), TARGET)
    item.title_de = "Heimlich geändert"
    with pytest.raises(PublishedVersionError):
        db.flush()
    db.rollback()
    db.delete(item_by_key(db, version_by_number(db, "1.0"), TARGET))
    with pytest.raises(PublishedVersionError):
        db.flush()
    db.rollback()
    version = version_by_number(db, "1.0")
    db.add(StrategyItem(version=version, key="leitkoordinate-99", kind="coordinate", title_de="X"))
    with pytest.raises(PublishedVersionError):
        db.flush()
    db.rollback()
    assert item_by_key(db, version_by_number(db, "1.0"), TARGET).title_de != "Heimlich geändert"


def test_import_replace_of_a_published_version_changes_nothing(app, db, tmp_path):
    runner = app.test_cli_runner()
    exported = runner.invoke(args=["strategy", "export", "1.0"]).output
    before = db.execute(sa.select(StrategyItem.id, StrategyItem.key, StrategyItem.title_de)
                        .join(StrategyVersion).where(StrategyVersion.number == "1.0").order_by(StrategyItem.id)).all()
    path = tmp_path / "changed.yaml"
    path.write_text(exported.replace("Vision", "Geänderte Vision", 1), encoding="utf-8")
    result = runner.invoke(args=["strategy", "import", "--replace", str(path)])
    assert result.exit_code == 1 and "published and cannot be replaced" in result.output
    db.expire_all()
    after = db.execute(sa.select(StrategyItem.id, StrategyItem.key, StrategyItem.title_de)
                       .join(StrategyVersion).where(StrategyVersion.number == "1.0").order_by(StrategyItem.id)).all()
    assert after == before


# --- publishing --------------------------------------------------------------------------------

def test_publishing_refuses_untraceable_changes(app, db, ctx, admin):
    version = compose_two(db, admin).version
    item_by_key(db, version, "leitbild").title_de = "Ohne Grund geändert"  # not through the editor
    db.commit()
    assert untraceable_keys(db, version) == ["leitbild"]
    with pytest.raises(VersionError) as caught:
        publish(db, admin, version)
    assert caught.value.code == "untraceable" and caught.value.details == ["leitbild"]


def test_publish_makes_the_version_current_and_mails_opted_in_accounts_once(
        app, db, admin, make_user, client, mailbox):
    de = make_user("de@example.org", "Dora", language="de")
    en = make_user("en@example.org", "Emil", language="en")
    make_user("quiet@example.org", "Quiet")
    unconfirmed = make_user("new@example.org", "Neu", confirmed=False)
    for user in (de, en, unconfirmed):
        user.notify_strategy_updates = True
    db.commit()
    with in_request(app):
        version = compose_two(db, admin).version
        mails = publish(db, admin, version, date(2027, 3, 18), "V/0123/2027")
        db.commit()
        assert mails == 2
        assert version.state == "published" and version.council_reference == "V/0123/2027"
        assert version.adopted_on == date(2027, 3, 18)
        with pytest.raises(VersionError):
            publish(db, admin, version)
        from participation.mail.services import deliver_due

        deliver_due(db)
    assert sorted(m["To"] for m in mailbox.messages) == ["de@example.org", "en@example.org"]
    german, english = mailbox.last_to("de@example.org"), mailbox.last_to("en@example.org")
    assert german["Subject"] == "Die Strategie wurde aktualisiert: Version 2.0"
    assert english["Subject"] == "The strategy has been updated: version 2.0"
    body = german.get_content()
    assert body.startswith("Hallo Dora,") and english.get_content().startswith("Hello Emil,")
    assert "1 Element geändert" in body and "2 Elemente hinzugefügt" in body and "1 Element entfernt" in body
    assert "http://localhost/strategie/versionen/1.0/vergleich/2.0" in body
    assert "http://localhost/konto/beitraege" in body
    # The public sees 2.0 now; 1.0 stays readable, marked as superseded.
    assert client.get("/api/v1/strategy").get_json()["version"] == "2.0"
    assert NEW_TITLE in client.get(f"/strategie/{TARGET}").get_data(as_text=True)
    old = client.get(f"/strategie/versionen/1.0/{TARGET}", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Sie wurde durch Version 2.0 ersetzt" in old and NEW_TITLE not in old.split("<main")[1].split("superseded")[0]
    overview = client.get("/strategie/versionen/1.0", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "It has been superseded by version 2.0" in overview
    assert "superseded" not in client.get("/strategie").get_data(as_text=True)


def test_unsubscribe_link_works_without_login_and_only_by_post(app, db, admin, make_user, client, mailbox):
    user = make_user("de@example.org", "Dora")
    user.notify_strategy_updates = True
    db.commit()
    with in_request(app):
        publish(db, admin, compose_two(db, admin).version)
        db.commit()
        from participation.mail.services import deliver_due

        deliver_due(db)
    link = mailbox.link("de@example.org", "/abmelden/")
    path = link.removeprefix("http://localhost")
    page = client.get(path)
    assert page.status_code == 200 and "Diese E-Mails abbestellen" in page.get_data(as_text=True)
    db.refresh(user)
    assert user.notify_strategy_updates  # a GET (a mail scanner) changes nothing
    assert client.raw.post(path, data={}).status_code == 400  # no CSRF token
    done = client.submit(path)
    assert done.status_code == 200
    db.refresh(user)
    assert not user.notify_strategy_updates
    assert client.get(path[:-4] + "xxxx").status_code == 404


def test_profile_checkbox_switches_update_mails(app, db, make_user, login, client):
    user = make_user()
    login()
    page = client.get("/konto").get_data(as_text=True)
    assert "Benachrichtige mich, wenn die Strategie aktualisiert wird" in page
    assert 'name="notify" type="checkbox" value="y"' in page and "checked" not in page.split('name="notify"')[1][:40]
    client.submit("/konto/benachrichtigungen", {"notify": "y"})
    db.refresh(user)
    assert user.notify_strategy_updates
    client.submit("/konto/benachrichtigungen", {})
    db.refresh(user)
    assert not user.notify_strategy_updates


# --- history ------------------------------------------------------------------------------------

def test_history_shows_each_version_what_changed_and_the_rounds(app, db, admin, make_round, client):
    round_ = make_round("closed", title="Winterrunde")
    with in_request(app):
        version = compose_two(db, admin).version
        edit_item(db, admin, item_by_key(db, version, TARGET), {"summary_de": "Kurz und neu."}, "Kürzer gefasst")
        publish(db, admin, version)
        db.commit()
    steps = history(db, TARGET)
    assert [(s.version.number, s.change) for s in steps] == [("1.0", "first"), ("2.0", "changed")]
    assert steps[1].proposals == [11] and steps[1].editorial[0].reason == "Kürzer gefasst"
    html = client.get(f"/strategie/{TARGET}/verlauf", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Kürzer gefasst" in html and 'href="/vorschlaege/11"' in html and "Vorschlag 11" in html
    assert f'href="/runden/{round_.id}"' in html and "Winterrunde" in html
    assert "<ins><span class=\"visually-hidden\">eingefügt: </span>" in html
    removed = client.get("/strategie/teilhabe-kultur/zielbild-3/verlauf").get_data(as_text=True)
    assert "entfernt" in removed
    api = client.get(f"/api/v1/strategy/items/{TARGET}/history").get_json()
    assert [v["version"] for v in api["versions"]] == ["1.0", "2.0"]
    assert api["versions"][1]["texts"]["title"]["de"] == NEW_TITLE
    assert api["versions"][1]["editorial"][0]["reason"] == "Kürzer gefasst"
    assert api["rounds"][0]["id"] == round_.id
    assert client.get("/strategie/gibt-es-nicht/verlauf").status_code == 404
    assert client.get("/api/v1/strategy/items/gibt-es-nicht/history").get_json()["error"]["code"] == "not_found"


def test_item_page_links_to_its_history(client):
    html = client.get(f"/strategie/{TARGET}").get_data(as_text=True)
    assert f'href="/strategie/{TARGET}/verlauf"' in html


# --- comparing: pages and API ---------------------------------------------------------------------

@pytest.mark.parametrize(("language", "words"), [
    ("de", ["geändert", "hinzugefügt", "entfernt", "eingefügt:", "gelöscht:", "Vorschlag 11", "Warum"]),
    ("en", ["changed", "added", "removed", "inserted:", "deleted:", "Proposal 11", "Why"]),
])
def test_compare_page_in_both_languages(app, db, admin, as_admin, client, language, words):
    admin.language = language  # the profile's language wins over Accept-Language
    db.commit()
    with in_request(app):
        compose_two(db, admin)
    headers = {"Accept-Language": language}
    # Drafts are for the administration only.
    html = client.get("/strategie/versionen/1.0/vergleich/2.0", headers=headers).get_data(as_text=True)
    for word in words:
        assert word in html, word
    assert 'href="/vorschlaege/11"' in html and "<ins>" in html and "<del>" in html
    assert "leitkoordinate-2" not in html  # unchanged items only on request
    side = client.get("/strategie/versionen/1.0/vergleich/2.0?ansicht=nebeneinander&alle=1",
                      headers=headers).get_data(as_text=True)
    assert "leitkoordinate-2" in side and 'class="diff-side"' in side
    synopsis = client.get("/strategie/versionen/1.0/vergleich/2.0/synopse", headers=headers).get_data(as_text=True)
    assert synopsis.count("<tr>") == 1 + 4 and "Stadtteile</ins>" in synopsis and "<del>" in synopsis


def test_drafts_are_not_public(app, db, client):
    with in_request(app):
        compose_two(db)
    assert client.get("/strategie/versionen/1.0/vergleich/2.0").status_code == 404
    assert client.get("/api/v1/strategy/compare?from=1.0&to=2.0").status_code == 404


def test_compare_api(app, db, admin, client):
    with in_request(app):
        version = compose_two(db, admin).version
        edit_item(db, admin, item_by_key(db, version, "vision"), {"title_en": "Our vision"}, "Translation improved")
        publish(db, admin, version)
        db.commit()
    data = client.get("/api/v1/strategy/compare?from=1.0&to=2.0").get_json()
    assert data["from"] == "1.0" and data["to"] == "2.0"
    assert data["summary"] == {"changed": 2, "added": 2, "removed": 1, "unchanged": 31}
    items = {item["key"]: item for item in data["items"]}
    assert items[TARGET]["change"] == "changed" and items[TARGET]["proposals"] == [11]
    assert items[TARGET]["after"]["title"] == {"de": NEW_TITLE, "en": "Connected mobility"}
    assert items["teilhabe-kultur/zielbild-3"]["after"] is None and items["teilhabe-kultur/zielbild-3"]["proposals"] == [13]
    assert items["wohnen-leben/zielbild-4"]["before"] is None
    assert items["leitkoordinate-1"] == {**items["leitkoordinate-1"], "change": "unchanged", "proposals": [14]}
    editorial = items["vision"]["editorial"][0]
    assert editorial["reason"] == "Translation improved" and editorial["fields"] == ["title_en"]
    assert editorial["before"] == {"title_en": "Vision"} and editorial["after"] == {"title_en": "Our vision"}
    backwards = client.get("/api/v1/strategy/compare?from=2.0&to=1.0").get_json()
    assert {i["key"]: i["change"] for i in backwards["items"]}["teilhabe-kultur/zielbild-3"] == "added"


@pytest.mark.parametrize(("query", "status", "code"), [
    ("", 400, "bad_request"), ("?from=1.0", 400, "bad_request"), ("?from=1.0&to=9.9", 404, "not_found"),
    ("?from=x&to=1.0", 404, "not_found"),
])
def test_compare_api_refuses_bad_parameters(client, query, status, code):
    response = client.get(f"/api/v1/strategy/compare{query}", headers={"Accept-Language": "en"})
    assert response.status_code == status and response.get_json()["error"]["code"] == code


def test_unknown_versions_are_404_pages(client):
    assert client.get("/strategie/versionen/1.0/vergleich/9.9").status_code == 404
    assert client.get("/strategie/versionen/9.9/vergleich/1.0/synopse").status_code == 404


# --- console ---------------------------------------------------------------------------------------

def test_cli_compose_and_publish(app, db, make_round):
    runner = app.test_cli_runner()
    round_ = make_round("closed")
    result = runner.invoke(args=["strategy", "compose", "--from", "1.0", "--round", str(round_.id), "--number", "2.0"])
    assert result.exit_code == 0, result.output
    assert "Composed draft 2.0 from 1.0: 0 changed, 0 added, 0 removed, 34 unchanged." in result.output
    again = runner.invoke(args=["strategy", "compose", "--from", "1.0", "--number", "2.0"])
    assert again.exit_code == 1 and "There is already a version 2.0" in again.output
    published = runner.invoke(args=["strategy", "publish", "2.0", "--adopted-on", "2027-03-18", "--reference", "V/1"])
    assert published.exit_code == 0, published.output
    assert "Published version 2.0; 0 update e-mails queued." in published.output
    db.expire_all()
    version = version_by_number(db, "2.0")
    assert version.state == "published" and version.council_reference == "V/1"
    refused = runner.invoke(args=["strategy", "publish", "2.0"])
    assert refused.exit_code == 1 and "published already" in refused.output
    missing = runner.invoke(args=["strategy", "publish", "7.0"])
    assert missing.exit_code == 1 and "no version" in missing.output


def test_cli_compose_lists_conflicts(app, db, make_round, monkeypatch):
    """The round's accepted proposals come through the seam ``accepted_changes`` (step 5)."""
    from participation.versions import services

    round_ = make_round("closed")
    monkeypatch.setattr(services, "accepted_changes", lambda _db, _round: [
        ChangeRequest("proposal", 31, "amend", TARGET, {"title": {"de": "A"}}),
        ChangeRequest("proposal", 32, "remove", TARGET)])
    result = app.test_cli_runner().invoke(
        args=["strategy", "compose", "--from", "1.0", "--round", str(round_.id), "--number", "2.0"])
    assert result.exit_code == 1
    assert f"Conflict on {TARGET}: proposal 31, proposal 32 change the same item." in result.output
    assert version_by_number(db, "2.0") is None


# --- administration pages ---------------------------------------------------------------------------

def test_admin_pages_need_an_admin(client, make_user, login):
    make_user()
    login()
    for path in ("/verwaltung/strategie", "/verwaltung/strategie/1.0",
                 "/verwaltung/strategie/1.0/veroeffentlichen", f"/verwaltung/strategie/1.0/{TARGET}/bearbeiten"):
        assert client.get(path).status_code == 403, path
    assert client.submit("/verwaltung/strategie/zusammenstellen", {"number": "2.0"}).status_code == 403


def test_admin_composes_edits_and_publishes(app, db, as_admin, client, make_round):
    round_ = make_round("closed")
    page = client.get("/verwaltung/strategie", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Nächste Version zusammenstellen" in page
    base = version_by_number(db, "1.0")
    bad = client.submit("/verwaltung/strategie/zusammenstellen", {"base": base.id, "round": 0, "number": "zwei"})
    assert bad.status_code == 422 and "2.1.0" in bad.get_data(as_text=True)
    made = client.submit("/verwaltung/strategie/zusammenstellen",
                         {"base": base.id, "round": round_.id, "number": "2.0"})
    assert made.status_code == 302 and made.headers["Location"].endswith("/verwaltung/strategie/2.0")
    edit_path = f"/verwaltung/strategie/2.0/{TARGET}/bearbeiten"
    form = client.get(edit_path).get_data(as_text=True)
    assert 'name="body_de"' in form and 'name="reason"' in form
    item = item_by_key(db, version_by_number(db, "2.0"), TARGET)
    fields = {f"{n}_{g}": getattr(item, f"{n}_{g}") or "" for n in ("title", "summary", "body") for g in ("de", "en")}
    no_reason = client.submit(edit_path, {**fields, "title_de": NEW_TITLE, "reason": ""})
    assert no_reason.status_code == 422 and "Bitte geben Sie einen Grund" in no_reason.get_data(as_text=True)
    saved = client.submit(edit_path, {**fields, "title_de": NEW_TITLE, "reason": "Titel geschärft"})
    assert saved.status_code == 302
    change = db.scalars(sa.select(EditorialChange)).one()
    assert change.after == {"title_de": NEW_TITLE} and change.reason == "Titel geschärft"
    overview = client.get("/verwaltung/strategie/2.0").get_data(as_text=True)
    assert "Titel geschärft" in overview
    unconfirmed = client.submit("/verwaltung/strategie/2.0/veroeffentlichen", {})
    assert unconfirmed.status_code == 422 and version_by_number(db, "2.0").state == "draft"
    done = client.submit("/verwaltung/strategie/2.0/veroeffentlichen",
                         {"confirm": "y", "adopted_on": "2027-03-18", "council_reference": "V/0123/2027"})
    assert done.status_code == 302
    db.expire_all()
    assert version_by_number(db, "2.0").state == "published"
    assert client.get(edit_path).status_code == 302  # published: back to the overview
    assert db.scalars(sa.select(AuditEntry).where(AuditEntry.action == "strategy.publish")).one()


def test_admin_sees_conflicts_on_the_compose_form(app, db, as_admin, client, make_round, monkeypatch):
    from participation.versions import services

    round_ = make_round("closed")
    monkeypatch.setattr(services, "accepted_changes", lambda _db, _round: [
        ChangeRequest("proposal", 41, "keep", "vision"), ChangeRequest("proposal", 42, "remove", "vision")])
    response = client.submit("/verwaltung/strategie/zusammenstellen",
                             {"base": version_by_number(db, "1.0").id, "round": round_.id, "number": "2.0"})
    assert response.status_code == 422  # in the admin's language (German)
    assert "Konflikt bei vision: proposal 41, proposal 42 ändern dasselbe Element." in response.get_data(as_text=True)


def test_user_column_defaults_to_no_mail(db, make_user):
    user = make_user()
    assert db.scalar(sa.select(User.notify_strategy_updates).where(User.id == user.id)) is False
    assert PASSWORD


def test_editor_refuses_to_undo_a_concurrent_save(app, db, as_admin, client):
    with in_request(app):
        compose_two(db, as_admin)
    path = f"/verwaltung/strategie/2.0/{TARGET}/bearbeiten"
    page = client.get(path).get_data(as_text=True)
    started_from = re.search(r'name="started_from" type="hidden" value="([0-9a-f]+)"', page).group(1)
    item = item_by_key(db, version_by_number(db, "2.0"), TARGET)
    fields = {f"{n}_{g}": getattr(item, f"{n}_{g}") or "" for n in ("title", "summary", "body") for g in ("de", "en")}
    with in_request(app):  # another admin saves first
        edit_item(db, as_admin, item, {"summary_de": "Die Fassung der anderen Person."}, "Kürzer")
        db.commit()
    late = client.submit(path, {**fields, "body_de": "Meine Fassung.", "reason": "Meins", "started_from": started_from})
    html = late.get_data(as_text=True)
    assert late.status_code == 422 and "in der Zwischenzeit" in html and "Die Fassung der anderen Person." in html
    db.refresh(item)
    assert item.summary_de == "Die Fassung der anderen Person." and item.body_de != "Meine Fassung."
    assert db.scalar(sa.select(sa.func.count()).select_from(EditorialChange)) == 1


def test_publishing_twice_at_the_same_moment_publishes_once(app, db, admin):
    with in_request(app):
        version = compose_two(db, admin).version
        stale = db.get(StrategyVersion, version.id)
        db.execute(sa.update(StrategyVersion).where(StrategyVersion.id == version.id)
                   .values(state="published", published_at=sa.func.now())
                   .execution_options(synchronize_session=False))
        assert stale.state == "draft"  # this session has not seen the other publication
        with pytest.raises(VersionError) as caught:
            publish(db, admin, stale)
    assert caught.value.code == "already_published"


@pytest.mark.parametrize("path", ["/strategie/versionen/1.0/vergleich/2.0", "/strategie/versionen/1.0/vergleich/2.0/synopse",
                                  f"/strategie/{TARGET}/verlauf", "/api/v1/strategy/compare?from=1.0&to=2.0"])
def test_pages_run_a_fixed_number_of_queries(app, db, engine, admin, client, path):
    from .test_ratings import QueryCounter

    with in_request(app):
        version = compose_two(db, admin, change_list=[changes()[0]]).version
        publish(db, admin, version)
        db.commit()
    client.get(path)  # warm up
    with QueryCounter(engine) as few:
        assert client.get(path).status_code == 200
    with in_request(app):
        result = compose(db, admin, version, "3.0", changes()[2:] + [
            ChangeRequest("proposal", 51, "amend", "vision", {"body": {"de": "Neu"}})])
        for key in ("leitbild", "leitkoordinate-2", "leitkoordinate-3"):
            edit_item(db, admin, item_by_key(db, result.version, key), {"title_en": f"New {key}"}, "Übersetzung")
        publish(db, admin, result.version)
        db.commit()
    with QueryCounter(engine) as many:
        assert client.get(path.replace("2.0", "3.0")).status_code == 200
    # Independent of the number of items and changes; each further version in the lineage
    # (1.0 → 2.0 → 3.0) costs a lookup of its base.
    assert many.count <= few.count + 2
    assert few.count <= 14


def test_mail_links_use_the_configured_public_address(app, db, admin, make_user, mailbox):
    app.config["BASE_URL"] = "https://beteiligung.example.org/"
    user = make_user("de@example.org", "Dora")
    user.notify_strategy_updates = True
    db.commit()
    with in_request(app):
        publish(db, admin, compose_two(db, admin).version)
        db.commit()
        from participation.mail.services import deliver_due

        deliver_due(db)
    body = mailbox.last_to("de@example.org").get_content()
    assert "https://beteiligung.example.org/strategie/versionen/1.0/vergleich/2.0" in body
    assert "https://beteiligung.example.org/abmelden/strategie/" in body
    assert "http://localhost" not in body


def test_versions_page_links_each_version_to_its_changes(app, db, admin, client):
    with in_request(app):
        publish(db, admin, compose_two(db, admin).version)
        db.commit()
    html = client.get("/strategie/versionen").get_data(as_text=True)
    assert 'href="/strategie/versionen/1.0/vergleich/2.0"' in html


def test_api_answers_match_their_openapi_schemas(app, db, admin, client):
    from .test_api import schema_validator

    with in_request(app):
        version = compose_two(db, admin).version
        edit_item(db, admin, item_by_key(db, version, "vision"), {"body_de": "Neu."}, "Gekürzt")
        publish(db, admin, version)
        db.commit()
    schema_validator("VersionComparison").validate(client.get("/api/v1/strategy/compare?from=1.0&to=2.0").get_json())
    schema_validator("ItemHistory").validate(client.get("/api/v1/strategy/items/vision/history").get_json())
    schema_validator("ItemHistory").validate(
        client.get("/api/v1/strategy/items/teilhabe-kultur/zielbild-3/history").get_json())


def test_version_of_a_proposal_once_published(app, db, admin):
    """What a comment's outcome will show as ``version`` (step 5 links comments to proposals)."""
    from participation.versions.services import version_of_proposal

    with in_request(app):
        version = compose_two(db, admin).version
        assert version_of_proposal(db, 11) is None  # still a draft
        publish(db, admin, version)
        db.commit()
    assert version_of_proposal(db, 11).number == "2.0"
    assert version_of_proposal(db, 99) is None


def test_admin_discards_a_draft_and_composes_it_again(app, db, as_admin, client):
    with in_request(app):
        version = compose_two(db, as_admin).version
        edit_item(db, as_admin, item_by_key(db, version, "vision"), {"body_de": "Neu."}, "Gekürzt")
        db.commit()
    assert client.get("/verwaltung/strategie/2.0/verwerfen").status_code == 200
    assert client.submit("/verwaltung/strategie/2.0/verwerfen", {}).status_code == 422
    done = client.submit("/verwaltung/strategie/2.0/verwerfen", {"confirm": "y"})
    assert done.status_code == 302
    db.expire_all()
    assert version_by_number(db, "2.0") is None
    assert db.scalar(sa.select(sa.func.count()).select_from(VersionChange)) == 0
    assert db.scalar(sa.select(sa.func.count()).select_from(EditorialChange)) == 0
    assert db.scalars(sa.select(AuditEntry).where(AuditEntry.action == "strategy.discard")).one()
    with in_request(app):
        assert compose_two(db, as_admin).version.number == "2.0"
    # Published versions are not discarded.
    assert client.submit("/verwaltung/strategie/1.0/verwerfen", {"confirm": "y"}).status_code == 302
    assert version_by_number(db, "1.0") is not None

