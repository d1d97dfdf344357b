"""Downloads for the administration, the public open-data page, and the printable report.

Downloads are GET links: they change nothing but the audit log (like an access log), so they
work as plain links and ``download`` attributes without JavaScript or a form per format. Each
export is written to a temporary file first (never into memory) and streamed from there.
"""

from __future__ import annotations

import tempfile

from flask import Blueprint, abort, make_response, render_template, request, send_file
from flask_babel import format_date, get_locale
from flask_login import current_user, login_required
from markupsafe import Markup

from .. import db, page_cache, permissions
from ..db import utcnow
from ..extensions import limiter
from ..ratings import scales, tallies
from ..results.services import QuestionResult, participant_count, round_results
from ..rounds.models import Round
from ..rounds.services import get_round, scope_items
from . import services
from .tables import DISTRICTS_TABLE, PARTICIPATION, SUPPRESS_BELOW, ExportContext, tables_for, wilson
from .writers import LICENSE

bp = Blueprint("exports", __name__, template_folder="templates")

FORMAT_ORDER = ("csv-excel", "csv", "xlsx", "json")
# Each public download is written afresh (seconds of CPU for a big round): a limit per address
# keeps anyone from keeping the server busy with them.
PUBLIC_DOWNLOAD_LIMIT = "20 per hour"


def _round_or_404(round_id: int) -> Round:
    round_ = get_round(db.session(), round_id)
    if round_ is None or not permissions.can_view_round(current_user, round_):
        abort(404)
    return round_


def _send(round_: Round, fmt: str, open_data: bool, via: str):
    if fmt not in services.FORMATS:
        abort(404)
    session = db.session()
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - send_file closes it (and so deletes it) after sending
    try:
        services.export(session, current_user, round_, fmt, spool, open_data, via=via)
        session.commit()
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    extension = services.FORMATS[fmt]
    response = send_file(spool, mimetype=services.MIMETYPES[extension], as_attachment=True,
                         download_name=services.file_name(round_, fmt, open_data), max_age=0)
    response.headers["Cache-Control"] = "no-store" if via == "admin" else "no-cache"
    return response


@bp.get("/verwaltung/runden/<int:round_id>/export/<fmt>")
@login_required
def admin_download(round_id: int, fmt: str):
    permissions.require(permissions.can_export(current_user))
    round_ = get_round(db.session(), round_id)
    if round_ is None:
        abort(404)
    open_data = request.args.get("offen") == "1"
    if open_data and not permissions.can_download_open_data(round_):
        abort(404)
    return _send(round_, fmt, open_data, via="admin")


def _open_data_round(round_id: int) -> Round:
    round_ = _round_or_404(round_id)
    if not permissions.can_download_open_data(round_):
        abort(404)
    return round_


@bp.get("/runden/<int:round_id>/daten")
def open_data(round_id: int):
    round_ = _open_data_round(round_id)
    ctx = ExportContext(db.session(), round_, open_data=True)
    german = str(get_locale()) == "de"
    return render_template("exports/open_data.html", round=round_, tables=tables_for(ctx), ctx=ctx, german=german,
                           formats=FORMAT_ORDER, license=LICENSE, file_name=services.file_name)


@bp.get("/runden/<int:round_id>/daten/<fmt>")
@limiter.limit(PUBLIC_DOWNLOAD_LIMIT)
def open_data_download(round_id: int, fmt: str):
    return _send(_open_data_round(round_id), fmt, open_data=True, via="public")


@bp.get("/runden/<int:round_id>/bericht")
def report(round_id: int):
    """The printable report. It reads every rating of the round (participation per day), about
    0.7 s for a million, and is the same for everyone who may see it: its body is rendered once
    per change (``page_cache.fragment``, keyed on the round's tallies), and visitors share the
    whole page."""
    return page_cache.visitor_page(round_id, lambda: _report(round_id))


def _report(round_id: int) -> str:
    round_ = _round_or_404(round_id)
    if not permissions.can_see_results(current_user, round_):
        abort(make_response(render_template("rounds/results_hidden.html", round=round_), 403))
    body = page_cache.fragment(("report", round_.id, tallies.generation(round_.id)), lambda: _report_body(round_))
    # The body is our template's output (everything in it escaped there), kept as text.
    return render_template("exports/report.html", round=round_, body=Markup(body))  # noqa: S704


def _report_body(round_: Round) -> str:
    session = db.session()
    items = scope_items(session, round_)
    found = {"all": round_results(session, round_), "verified": round_results(session, round_, verified_only=True)}
    results = {group: {item.id: {q: by_item.get(item.id, {}).get(q) or QuestionResult(q) for q in round_.questions}
                       for item in items} for group, by_item in found.items()}
    intervals = {item.id: {q: wilson(r.counts[4] + r.counts[5], r.answered) for q, r in per_item.items()}
                 for item, per_item in ((item, results["all"][item.id]) for item in items)}
    ctx = ExportContext(session, round_, open_data=True)
    days: dict = {}
    for day, mode, ratings, new, total in PARTICIPATION.rows(ctx):
        entry = days.setdefault(day, {"day": format_date(day, "medium"), "total": 0})
        entry[mode] = {"ratings": ratings, "new": new}
        entry["total"] += total
    return render_template(
        "exports/_report_body.html", round=round_, items=items, results=results, intervals=intervals, scales=scales,
        participants=participant_count(session, round_),
        verified_participants=participant_count(session, round_, verified_only=True),
        days=list(days.values()),
        districts=list(DISTRICTS_TABLE.rows(ctx)), suppress_below=SUPPRESS_BELOW,
        open_data=permissions.can_download_open_data(round_), now=utcnow(),
        **_report_consolidation(session, round_),
    )


def _report_consolidation(session, round_: Round) -> dict:
    """The report's proposals and Abwägungstabelle: what the public sees (decided proposals and
    outcomes once the round is published), whoever prints it."""
    from ..proposals import services as proposals
    from ..proposals.views import template_helpers as proposal_helpers

    public = permissions.can_see_outcomes(None, round_)
    decided = proposals.proposals_of(session, round_, decided_only=True) if public else []
    groups: list[tuple] = []
    for comment, item, outcome in (proposals.consideration_rows(session, round_) if public else []):
        if not groups or groups[-1][0].id != item.id:
            groups.append((item, []))
        groups[-1][1].append((comment, outcome))
    helpers = proposal_helpers()
    helpers.pop("scales")  # the report passes the same
    return {"consolidation_public": public, "proposals": decided, "proposal_by_id": {p.id: p for p in decided},
            "consideration": groups, **helpers}
