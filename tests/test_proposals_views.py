"""The consolidation in the browser without JavaScript (test client): the workbench, the editor
with its word diff, the review, bulk outcomes, publishing from the admin page, and the public
pages in German and English. Plus: the workbench runs a fixed number of queries however many
comments an item has."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from participation.accounts.models import User
from participation.comments.models import Comment
from participation.db import utcnow
from participation.proposals import services
from participation.proposals.models import CommentOutcome, Proposal

from .proposal_support import ADMIN, ITEM, MOD, OTHER_MOD, add_comment, item_of
from .test_ratings import QueryCounter


@pytest.fixture
def people(make_user):
    return {
        "anna": make_user("anna@example.org", "Anna", language="de"),
        "mod": make_user(MOD, "Moritz", role="moderator", language="en"),
        "mod2": make_user(OTHER_MOD, "Mira", role="moderator", language="en"),
        "admin": make_user(ADMIN, "Amt", role="admin", language="en"),
    }


def text(response) -> str:
    return response.get_data(as_text=True)


def as_(client, login, email):
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    assert login(email).status_code == 302


def proposal_form(**changes) -> dict:
    data = {"kind": "amend", "item": ITEM, "title_de": "Sichere Radwege überall", "title_en": "",
            "summary_de": "", "summary_en": "", "body_de": "", "body_en": "",
            "rationale_de": "Viele Beiträge fordern sichere Radwege.", "rationale_en": "", "place_kind": "",
            "place_parent": "", "place_position": "", "action": "save"}
    data.update(changes)
    return data


def test_workbench_loop_without_javascript(client, db, frozen, make_round, people, login):
    round_ = make_round("closed")
    first = add_comment(db, round_, people["anna"], "Radwege sind zu schmal.", stance="criticism")
    second = add_comment(db, round_, people["anna"], "Bitte Fahrradstraßen.")
    as_(client, login, MOD)

    assert f"/moderation/runden/{round_.id}" in text(client.get("/moderation"))
    overview = client.get(f"/moderation/runden/{round_.id}")
    assert overview.status_code == 200
    assert "0 of 2 comments have an outcome" in text(overview)

    page = client.get(f"/moderation/runden/{round_.id}/{ITEM}?stance=criticism")
    assert page.status_code == 200
    assert "Radwege sind zu schmal." in text(page) and "Fahrradstraßen" not in text(page)
    assert f'name="comments" value="{first.id}"' in text(page)

    # Select both and open the editor from the selection: prefilled with the item and its text.
    editor = client.submit(f"/moderation/runden/{round_.id}/vorschlaege/neu",
                           {"action": "select", "item": ITEM, "comments": [first.id, second.id]})
    assert editor.status_code == 200
    html = text(editor)
    assert f'id="cite-{first.id}"' in html and f'id="cite-{second.id}"' in html
    current_title = item_of(db, round_).title_de
    assert f'value="{current_title}"' in html
    assert "proposal-diff.js" in html and "<script>" not in html

    # Preview: the server's word diff, with text labels.
    preview = client.submit(f"/moderation/runden/{round_.id}/vorschlaege/neu",
                            proposal_form(action="preview", comments=[first.id]))
    assert preview.status_code == 200
    assert re.search(r"<ins><span class=\"visually-hidden\">added: </span>Sichere", text(preview))
    assert "<del>" in text(preview)
    assert db.scalar(sa.select(sa.func.count()).select_from(Proposal)) == 0

    missing = client.submit(f"/moderation/runden/{round_.id}/vorschlaege/neu",
                            proposal_form(rationale_de="", comments=[first.id]))
    assert missing.status_code == 422 and "Please give the reasons" in text(missing)

    saved = client.submit(f"/moderation/runden/{round_.id}/vorschlaege/neu",
                          proposal_form(comments=[first.id, second.id]))
    assert saved.status_code == 302
    proposal = db.scalars(sa.select(Proposal)).one()
    assert proposal.comment_ids == [first.id, second.id] and proposal.title_de == "Sichere Radwege überall"

    page = client.get(f"/moderation/vorschlaege/{proposal.id}")
    assert page.status_code == 200 and "Submit for review" in text(page)
    assert client.submit(f"/moderation/vorschlaege/{proposal.id}/status", {"to": "in_review"}).status_code == 302
    page = text(client.get(f"/moderation/vorschlaege/{proposal.id}"))
    assert "Four eyes" in page and "Recommend" not in page
    refused = client.submit(f"/moderation/vorschlaege/{proposal.id}/status", {"to": "recommended"})
    assert refused.status_code == 403 and "Four eyes" in text(refused)

    as_(client, login, OTHER_MOD)
    assert client.submit(f"/moderation/vorschlaege/{proposal.id}/status", {"to": "recommended"}).status_code == 302
    as_(client, login, ADMIN)
    no_reason = client.submit(f"/moderation/vorschlaege/{proposal.id}/status", {"to": "accepted", "reason": ""})
    assert no_reason.status_code == 422 and "Every decision needs a public reason." in text(no_reason)
    assert client.submit(f"/moderation/vorschlaege/{proposal.id}/status",
                         {"to": "accepted", "reason": "Wird in Version 2.0 übernommen."}).status_code == 302
    db.expire_all()
    assert db.get(Proposal, proposal.id).state == "accepted"

    # The round: closed → consolidation → published (every comment has an outcome now).
    admin_page = f"/verwaltung/runden/{round_.id}"
    client.submit(admin_page + "/weiter", {"state": "closed"})
    # Publishing cannot be undone: without the confirmation page's "confirmed" it only leads there.
    unconfirmed = client.submit(admin_page + "/weiter", {"state": "consolidation"})
    assert unconfirmed.status_code == 302 and unconfirmed.headers["Location"].endswith("/bestaetigen")
    assert client.submit(admin_page + "/weiter", {"state": "consolidation", "confirmed": "1"}).status_code == 302
    db.expire_all()
    assert db.get(type(round_), round_.id).state == "published"

    # The public: outcome on the item page, the proposals page, the consideration table, my comments.
    as_(client, login, "anna@example.org")
    item_page = text(client.get(f"/runden/{round_.id}/{ITEM}"))
    assert "Berücksichtigung:" in item_page and "Berücksichtigt" in item_page
    assert f"#vorschlag-{proposal.id}" in item_page
    thread = text(client.get(f"/runden/{round_.id}/beitraege/{first.id}"))
    assert "Berücksichtigung:" in thread and "Wird in Version 2.0 übernommen." in thread
    listing = text(client.get(f"/runden/{round_.id}/vorschlaege"))
    assert "Wird in Version 2.0 übernommen." in listing and "<ins>" in listing
    table = client.get(f"/runden/{round_.id}/abwaegung")
    assert table.status_code == 200 and "Radwege sind zu schmal." in text(table)
    mine = text(client.get("/konto/beitraege"))
    assert "Meine Beiträge" in mine and "Berücksichtigt" in mine


def test_bulk_outcome_and_its_errors(client, db, frozen, make_round, people, login):
    round_ = make_round("consolidation")
    comments = [add_comment(db, round_, people["anna"], f"Lob {i}", stance="support") for i in range(3)]
    as_(client, login, MOD)
    path = f"/moderation/runden/{round_.id}/ergebnisse"
    bad = client.submit(path, {"item": ITEM, "comments": [comments[0].id], "outcome": "", "explanation": "Danke"})
    assert bad.status_code == 422 and "Please choose an outcome." in text(bad)
    assert "Danke" in text(bad)  # nothing typed is lost
    none = client.submit(path, {"item": ITEM, "outcome": "noted", "explanation": "Danke"})
    assert none.status_code == 422 and "Please select at least one comment." in text(none)
    done = client.submit(path, {"item": ITEM, "comments": [c.id for c in comments[:2]], "outcome": "noted",
                                "explanation": "Danke für das Lob.",
                                "next": f"/moderation/runden/{round_.id}/{ITEM}?open=1"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/{ITEM}?open=1")
    page = text(client.get(f"/moderation/runden/{round_.id}/{ITEM}?open=1"))
    assert "Lob 2" in page and "Lob 0" not in page and "2 of 3 comments have an outcome" in page


def test_admin_page_refuses_to_publish_with_open_comments_unless_a_reason_is_given(
        client, db, frozen, make_round, people, login):
    round_ = make_round("consolidation")
    add_comment(db, round_, people["anna"])
    as_(client, login, ADMIN)
    page = text(client.get(f"/verwaltung/runden/{round_.id}"))
    # the title people know, not the key
    assert f"1 comment has no outcome yet: {item_of(db, round_).title_en or item_of(db, round_).title_de} (1)." in page
    confirm = text(client.get(f"/verwaltung/runden/{round_.id}/bestaetigen"))
    assert "1 comment has no outcome yet" in confirm and 'name="override_reason"' in confirm
    refused = client.submit(f"/verwaltung/runden/{round_.id}/weiter", {"state": "consolidation", "confirmed": "1"},
                            follow_redirects=True)
    assert "1 comment has no outcome yet" in text(refused)
    db.expire_all()
    assert db.get(type(round_), round_.id).state == "consolidation"
    client.submit(f"/verwaltung/runden/{round_.id}/weiter",
                  {"state": "consolidation", "confirmed": "1", "override_reason": "Der Rat tagt morgen."})
    db.expire_all()
    assert db.get(type(round_), round_.id).state == "published"
    transparency = text(client.get(f"/runden/{round_.id}/transparenz"))
    assert "Der Rat tagt morgen." in transparency and "1 comment had no outcome." in transparency


@pytest.mark.parametrize("language", ["de", "en"])
def test_pages_speak_both_languages(client, db, frozen, make_round, people, login, language):
    round_ = make_round("consolidation")
    comment = add_comment(db, round_, people["anna"])
    with client.application.test_request_context(method="POST"):
        proposal = services.create_proposal(db, round_, people["mod"], services.ProposalData(
            kind="amend", item_key=ITEM, texts={"title": {"de": "Neu"}}, rationale_de="Grund",
            comment_ids=[comment.id]))
    db.commit()
    as_(client, login, MOD)
    client.post("/sprache", data={"language": language, "csrf_token": client.csrf_token()})
    expected = {
        f"/moderation/runden/{round_.id}": ("Konsolidierung", "Consolidation"),
        f"/moderation/runden/{round_.id}/{ITEM}": ("Bewertungen", "Rating figures"),
        f"/moderation/vorschlaege/{proposal.id}": ("Vorschlag", "Proposal"),
        f"/moderation/vorschlaege/{proposal.id}/bearbeiten": (f"Vorschlag {proposal.id} bearbeiten", f"Edit proposal {proposal.id}"),
        f"/moderation/runden/{round_.id}/vorschlaege/neu?item={ITEM}": ("Neuer Vorschlag", "New proposal"),
        f"/runden/{round_.id}/vorschlaege": ("Vorschläge", "Proposals"),
        f"/runden/{round_.id}/abwaegung": ("Abwägungstabelle", "Consideration table"),
        "/konto/beitraege": ("Meine Beiträge", "My comments"),
    }
    for path, (german, english) in expected.items():
        response = client.get(path)
        assert response.status_code == 200, path
        assert (german if language == "de" else english) in text(response), path


@pytest.mark.parametrize("role", ["visitor", "resident"])
def test_the_workbench_is_for_moderators(client, db, frozen, make_round, people, login, role):
    round_ = make_round("consolidation")
    if role == "resident":
        as_(client, login, "anna@example.org")
    for path in (f"/moderation/runden/{round_.id}", f"/moderation/runden/{round_.id}/{ITEM}",
                 f"/moderation/runden/{round_.id}/vorschlaege/neu"):
        response = client.get(path)
        assert response.status_code == (302 if role == "visitor" else 403), path
    # Before publication the public pages say when they come, and show nothing else.
    comment = add_comment(db, round_, people["anna"], "Geheim bis zur Veröffentlichung")
    with client.application.test_request_context(method="POST"):
        services.set_outcome(db, round_, [comment.id], people["mod"], "noted", "Notiert")
    db.commit()
    assert "Geheim" not in text(client.get(f"/runden/{round_.id}/abwaegung"))
    assert "Notiert" not in text(client.get(f"/runden/{round_.id}/{ITEM}"))


def _fill(db, round_, count: int) -> None:
    """``count`` comments on ITEM in bulk, every third with an outcome, every fifth cited."""
    item_id = item_of(db, round_).id
    now = utcnow()
    author = db.scalar(sa.insert(User).returning(User.id).values(
        email=f"bulk{round_.id}@example.org", display_name="Viele", role="resident", language="de",
        session_token=f"bulk{round_.id}", created_at=now, confirmed_at=now))
    ids = db.scalars(sa.insert(Comment).returning(Comment.id), [
        {"round_id": round_.id, "item_id": item_id, "author_id": author, "stance": "suggestion",
         "body": f"Beitrag {i}", "body_html": f"<p>Beitrag {i}</p>", "state": "visible", "created_at": now,
         "helpful_count": i % 4, "reply_count": i % 2}
        for i in range(count)]).all()
    db.execute(sa.insert(CommentOutcome), [{"comment_id": cid, "outcome": "noted", "explanation": "Danke",
                                            "explicit": True, "set_at": now} for cid in ids[::3]])
    mod = db.scalar(sa.select(User.id).where(User.email == MOD))
    proposal = Proposal(round_id=round_.id, kind="keep", item_id=item_id, rationale_de="Grund", author_id=mod,
                        created_at=now, updated_at=now)
    proposal.links = []
    db.add(proposal)
    db.flush()
    from participation.proposals.models import ProposalComment

    db.execute(sa.insert(ProposalComment), [{"proposal_id": proposal.id, "comment_id": cid} for cid in ids[::5]])
    db.commit()


@pytest.mark.parametrize("query", ["", "?open=1", "?helpful=1&replies=1&stance=suggestion", "?page=3"])
def test_workbench_queries_do_not_grow_with_the_comments(client, db, engine, frozen, make_round, people, login,
                                                         query):
    small, large = make_round("consolidation", title="Klein"), make_round("consolidation", title="Groß")
    _fill(db, small, 10)
    _fill(db, large, 1000)
    as_(client, login, MOD)
    counts = {}
    for round_ in (small, large):
        for path in (f"/moderation/runden/{round_.id}/{ITEM}{query}", f"/moderation/runden/{round_.id}"):
            client.get(path)
            with QueryCounter(engine) as counter:
                response = client.get(path)
            assert response.status_code == 200
            counts[(round_.id, path.split("/")[-1][:4])] = counter.count
            assert text(response).count("<p>Beitrag ") <= services.WORKBENCH_PAGE
    assert counts[(small.id, "ziel")] == counts[(large.id, "ziel")]
    assert counts[(small.id, str(small.id)[:4])] == counts[(large.id, str(large.id)[:4])]


def test_texts_of_proposals_and_outcomes_are_escaped_everywhere(client, db, frozen, make_round, people, login):
    evil = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    round_ = make_round("consolidation")
    comment = add_comment(db, round_, people["anna"])
    with client.application.test_request_context(method="POST"):
        proposal = services.create_proposal(db, round_, people["mod"], services.ProposalData(
            kind="amend", item_key=ITEM, texts={"title": {"de": evil}, "body": {"de": evil}}, rationale_de=evil,
            comment_ids=[comment.id]))
        services.transition(db, proposal, people["mod"], "in_review")
        services.transition(db, proposal, people["mod2"], "recommended", evil)
        services.transition(db, proposal, people["admin"], "rejected", evil)
        services.set_outcome(db, round_, [comment.id], people["mod"], "noted", evil)
        from participation.rounds.services import advance

        advance(db, round_, people["admin"])
    db.commit()
    as_(client, login, MOD)
    for path in (f"/moderation/vorschlaege/{proposal.id}", f"/moderation/runden/{round_.id}/{ITEM}",
                 f"/runden/{round_.id}/vorschlaege", f"/runden/{round_.id}/abwaegung", f"/runden/{round_.id}/{ITEM}",
                 f"/moderation/runden/{round_.id}"):
        html = text(client.get(path))
        assert "<script>alert(1)" not in html and "<img src=x" not in html, path
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text(client.get(f"/runden/{round_.id}/vorschlaege"))


@pytest.mark.parametrize(("path", "data"), [
    ("/moderation/runden/{id}/vorschlaege/neu", {"action": "select", "comments": ["abc", "-1"]}),
    ("/moderation/runden/{id}/vorschlaege/neu", {"kind": "amend", "item": "nope", "rationale_de": "x",
                                                 "place_position": "abc", "comments": ["x"]}),
    ("/moderation/runden/{id}/vorschlaege/neu", {"kind": "add", "rationale_de": "x", "place_kind": "moon"}),
    ("/moderation/runden/{id}/ergebnisse", {"item": ITEM, "comments": ["x"], "outcome": "noted",
                                            "explanation": "x"}),
    ("/moderation/runden/{id}/ergebnisse", {"item": "nope"}),
])
def test_bad_form_input_is_a_clear_4xx_or_a_fresh_form(client, db, frozen, make_round, people, login, path, data):
    round_ = make_round("consolidation")
    as_(client, login, MOD)
    response = client.submit(path.format(id=round_.id), data)
    assert response.status_code in (200, 404, 422)
    assert db.scalar(sa.select(sa.func.count()).select_from(Proposal)) == 0
    for query in ("?page=abc", "?page=99999999999", "?stance=nonsense&open=2"):
        assert client.get(f"/moderation/runden/{round_.id}/{ITEM}{query}").status_code == 200
    assert client.get(f"/moderation/vorschlaege/{2**40}").status_code == 404
    assert client.submit("/moderation/vorschlaege/1/status", {"to": "nonsense"}).status_code == 404


def test_a_proposal_has_a_stable_address_that_respects_who_may_see_it(client, db, frozen, make_round, people, login):
    """``/vorschlaege/<id>`` (cited by versions and the Synopse) leads to the proposal where the
    viewer may see it, and is a 404 for everyone else."""
    round_ = make_round("consolidation")
    item = item_of(db, round_)
    decided = Proposal(round_id=round_.id, kind="keep", item_id=item.id, state="accepted",
                       author_id=people["mod"].id, rationale_de="Passt.", decision_reason="Überzeugt.",
                       decided_at=utcnow())
    draft = Proposal(round_id=round_.id, kind="keep", item_id=item.id, state="draft", author_id=people["mod"].id,
                     rationale_de="Entwurf.")
    db.add_all([decided, draft])
    db.commit()
    assert client.get(f"/vorschlaege/{decided.id}").status_code == 404  # not published yet
    round_.stage = "published"
    db.commit()
    visitor = client.get(f"/vorschlaege/{decided.id}")
    assert visitor.status_code == 302
    assert visitor.headers["Location"].endswith(f"/runden/{round_.id}/vorschlaege#vorschlag-{decided.id}")
    assert client.get(f"/vorschlaege/{draft.id}").status_code == 404
    assert client.get("/vorschlaege/99999999").status_code == 404
    as_(client, login, MOD)
    assert client.get(f"/vorschlaege/{draft.id}").headers["Location"].endswith(
        f"/runden/{round_.id}/vorschlaege#vorschlag-{draft.id}")
