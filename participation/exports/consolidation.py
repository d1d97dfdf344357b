"""The consolidation in the exports: comment outcomes, proposals, the comments they cite
(``evidence``) and the Synopse of the version composed from the round (``changes``).

Visibility as on the pages: open data holds decided proposals and outcomes only once the round is
published (``ctx.hides_consolidation``), the links of those proposals to comments the public sees,
and the changes of a published next version. The administration's export holds every proposal
(with the reviewer's note), every link and a draft next version too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from ..comments.models import Comment
from ..proposals.models import DECIDED, KINDS, OUTCOMES, PLACE_KINDS, STATES, CommentOutcome, Proposal, ProposalComment
from ..rounds.models import QUESTIONS
from ..strategy.models import ITEM_KINDS, StrategyItem, StrategyVersion
from ..versions.models import VersionChange
from .tables import ITEM_KEY, Column, Table, plain

if TYPE_CHECKING:
    from .tables import ExportContext

CHANGES_KINDS = ("changed", "added", "removed", "unchanged")


def _proposal_states(ctx: ExportContext) -> sa.ColumnElement[bool]:
    """Which proposals the file speaks of: the public the decided ones, the administration all
    but withdrawn ones (as the comment pages cite them)."""
    return Proposal.state.in_(DECIDED) if ctx.open_data else Proposal.state != "withdrawn"


def _sorted_ids(ctx: ExportContext) -> Callable[[str | None], str | None]:
    def sort(value: str | None) -> str | None:
        return ",".join(str(i) for i in sorted(int(part) for part in value.split(","))) if value else None

    return sort


def _unless_hidden(ctx: ExportContext, expression: Any) -> Any:
    return sa.null() if ctx.hides_consolidation else expression


COMMENT_CONSOLIDATION_COLUMNS = (
    Column("outcome", "string", "Berücksichtigung", "Outcome",
           "Wie die Stadt den Kommentar berücksichtigt hat: incorporated = übernommen, partly = teilweise, "
           "not_adopted = nicht übernommen, out_of_scope = nicht Gegenstand, duplicate = doppelt, noted = zur "
           "Kenntnis genommen; leer = noch offen (offene Daten: leer bis zur Veröffentlichung der Runde).",
           "How the city considered the comment: incorporated, partly, not_adopted, out_of_scope, duplicate, "
           "noted; empty = still open (open data: empty until the round is published).",
           values=OUTCOMES,
           sql=lambda ctx: _unless_hidden(ctx, sa.select(plain(CommentOutcome.outcome))
                                          .where(CommentOutcome.comment_id == Comment.id).scalar_subquery())),
    Column("outcome_explanation", "string", "Begründung der Berücksichtigung", "Outcome explanation",
           "Die Begründung zur Berücksichtigung, wie veröffentlicht.", "The explanation of the outcome as published.",
           sql=lambda ctx: _unless_hidden(ctx, sa.select(CommentOutcome.explanation)
                                          .where(CommentOutcome.comment_id == Comment.id).scalar_subquery())),
    Column("proposal_ids", "string", "Vorschläge", "Proposal ids",
           "Kommagetrennte Nummern der Vorschläge, die den Kommentar zitieren (offene Daten: nur entschiedene, "
           "nach der Veröffentlichung); siehe proposals und evidence.",
           "Comma-separated ids of the proposals that cite the comment (open data: decided ones only, after "
           "publication); see proposals and evidence.",
           sql=lambda ctx: _unless_hidden(ctx, sa.select(sa.func.aggregate_strings(
               sa.cast(ProposalComment.proposal_id, sa.String), ","))
               .join(Proposal, Proposal.id == ProposalComment.proposal_id)
               .where(ProposalComment.comment_id == Comment.id, _proposal_states(ctx)).scalar_subquery()),
           convert=_sorted_ids, safe=True),
)


# --- proposals -------------------------------------------------------------------------------------

PLACE_PARENT = aliased(StrategyItem, name="place_parent")
GROUP_NAMES = {"all": ("ratings", "alle Teilnehmenden", "all participants"),
               "verified": ("ratings_verified", "verifizierte Teilnehmende", "verified participants")}
FIGURES = {
    "n": ("integer", "Anzahl", "Bewertungen ({group}, Frage {question}), „keine Angabe“ eingeschlossen",
          "Ratings ({group}, question {question}), “no answer” included", "ratings", None),
    "mean": ("number", "Mittelwert", "Mittelwert 1–5 ({group}, Frage {question})",
             "Mean 1–5 ({group}, question {question})", "scale 1-5", "0.00"),
    "share_agree": ("number", "Zustimmungsanteil", "Anteil 4 oder 5 unter den Antworten ({group}, Frage {question})",
                    "Share of 4 or 5 among the answers ({group}, question {question})", "share 0-1", "0.0%"),
}


def _figure(key: str, question: str, figure: str) -> Callable[[ExportContext], Callable[[Any], Any]]:
    def convert(ctx: ExportContext) -> Callable[[Any], Any]:
        def value(evidence: dict | None) -> Any:
            found = ((evidence or {}).get(key) or {}).get(question)
            return found.get(figure) if found else None

        return value

    return convert


def _evidence_columns() -> Iterator[Column]:
    for group, (key, group_de, group_en) in GROUP_NAMES.items():
        for question in QUESTIONS:
            for figure, (type_, title, text_de, text_en, unit, number_format) in FIGURES.items():
                suffix = "" if group == "all" else " verifiziert"
                yield Column(
                    f"evidence_{'' if group == 'all' else 'verified_'}{question}_{figure}", type_,
                    f"{title} {question}{suffix} (Stand Prüfung)", f"{figure} {question} {group} (at review)",
                    text_de.format(group=group_de, question=question)
                    + " zum Zeitpunkt der Einreichung zur Prüfung (eingefroren); leer bei neuen Elementen.",
                    text_en.format(group=group_en, question=question)
                    + " when the proposal was submitted for review (frozen); empty for new items.",
                    unit=unit, number_format=number_format,
                    sql=lambda ctx: Proposal.evidence, convert=_figure(key, question, figure))


def _proposals_query(ctx: ExportContext, columns: list) -> sa.Select:
    query = (
        sa.select(*columns)
        .select_from(Proposal)
        .outerjoin(StrategyItem, StrategyItem.id == Proposal.item_id)
        .outerjoin(PLACE_PARENT, PLACE_PARENT.id == Proposal.place_parent_id)
        .where(Proposal.round_id == ctx.round.id)
        .order_by(Proposal.id)
    )
    if ctx.open_data:
        query = query.where(Proposal.state.in_(DECIDED), sa.true() if ctx.consolidation_public else sa.false())
    return query


def _text(field: str, lang: str, de: str, en: str) -> Column:
    language = {"de": ("deutsch", "German"), "en": ("englisch", "English")}[lang]
    return Column(f"{field}_{lang}", "string", f"{de} ({language[0]})", f"{en} ({language[1]})",
                  f"Vorgeschlagener Text ({language[0]}); bei amend: leer = unverändert.",
                  f"Proposed text ({language[1]}); for amend: empty = unchanged.",
                  sql=lambda ctx: getattr(Proposal, f"{field}_{lang}"))


PROPOSALS = Table(
    "proposals", "Vorschläge", "Proposals",
    "Die Vorschläge für die nächste Strategieversion mit Entscheidung und Begründung. Offene Daten: nur "
    "entschiedene Vorschläge einer veröffentlichten Runde.",
    "The proposals for the next strategy version with their decision and reason. Open data: decided "
    "proposals of a published round only.",
    columns=(
        Column("proposal_id", "integer", "Vorschlag-Nr.", "Proposal id", "Nummer des Vorschlags.",
               "Id of the proposal.", sql=lambda ctx: Proposal.id),
        Column("kind", "string", "Art des Vorschlags", "Kind",
               "amend = ändern, add = hinzufügen, remove = streichen, keep = beibehalten.",
               "amend, add, remove, keep.", values=KINDS, sql=lambda ctx: plain(Proposal.kind)),
        Column(ITEM_KEY.name, "string", ITEM_KEY.title_de, ITEM_KEY.title_en,
               ITEM_KEY.description_de + " Leer bei add (neues Element).",
               ITEM_KEY.description_en + " Empty for add (a new item).", sql=lambda ctx: StrategyItem.key, safe=True),
        Column("place_kind", "string", "Neues Element: Art", "New item kind",
               "Bei add: target (Zielbild) oder coordinate (Leitkoordinate).",
               "For add: target (target picture) or coordinate (guiding coordinate).",
               values=PLACE_KINDS, sql=lambda ctx: plain(Proposal.place_kind)),
        Column("place_parent_key", "string", "Neues Element: unter", "New item under",
               "Bei add eines Zielbilds: Schlüssel des Handlungsfelds.",
               "For an added target picture: key of the field.",
               sql=lambda ctx: PLACE_PARENT.key, safe=True),
        Column("state", "string", "Stand / Entscheidung", "State / decision",
               "accepted = angenommen, accepted_modified = geändert angenommen, rejected = abgelehnt, deferred = "
               "zurückgestellt; im Export der Verwaltung auch die Stände davor (draft, in_review, …).",
               "accepted, accepted_modified, rejected, deferred; in the administration's export also the states "
               "before (draft, in_review, …).", values=STATES, sql=lambda ctx: plain(Proposal.state)),
        _text("title", "de", "Titel", "Title"), _text("title", "en", "Titel", "Title"),
        _text("summary", "de", "Kurzfassung", "Summary"), _text("summary", "en", "Kurzfassung", "Summary"),
        _text("body", "de", "Text", "Body"), _text("body", "en", "Text", "Body"),
        Column("rationale_de", "string", "Begründung", "Rationale", "Begründung des Vorschlags (deutsch).",
               "Reasons for the proposal (German).", sql=lambda ctx: Proposal.rationale_de),
        Column("rationale_en", "string", "Begründung (englisch)", "Rationale (English)",
               "Begründung des Vorschlags (englisch).", "Reasons for the proposal (English).",
               sql=lambda ctx: Proposal.rationale_en),
        Column("decision_reason", "string", "Begründung der Entscheidung", "Decision reason",
               "Die öffentliche Begründung der Entscheidung.", "The public reason of the decision.",
               sql=lambda ctx: Proposal.decision_reason),
        Column("decided_at", "datetime", "Entschieden", "Decided at", "Wann entschieden wurde; leer, wenn offen.",
               "When it was decided; empty while open.", sql=lambda ctx: Proposal.decided_at),
        Column("review_note", "string", "Hinweis der Prüfung", "Review note",
               "Was die Prüfung zu ändern bat (nur im Export der Verwaltung).",
               "What the review asked to change (only in the administration's export).",
               admin_only=True, sql=lambda ctx: Proposal.review_note),
        Column("snapshot_at", "datetime", "Zahlen vom", "Evidence at",
               "Wann die Bewertungszahlen eingefroren wurden (Einreichung zur Prüfung).",
               "When the rating figures were frozen (submission for review).",
               sql=lambda ctx: Proposal.snapshot_at),
        *_evidence_columns(),
    ),
    query=_proposals_query,
)


# --- evidence: proposal × comment ----------------------------------------------------------------

def _evidence_query(ctx: ExportContext, columns: list) -> sa.Select:
    query = (
        sa.select(*columns)
        .select_from(ProposalComment)
        .join(Proposal, Proposal.id == ProposalComment.proposal_id)
        .join(Comment, Comment.id == ProposalComment.comment_id)
        .where(Proposal.round_id == ctx.round.id)
        .order_by(ProposalComment.proposal_id, ProposalComment.comment_id)
    )
    if ctx.open_data:
        query = query.where(Proposal.state.in_(DECIDED), Comment.state.in_(ctx.comment_states),
                            sa.true() if ctx.consolidation_public else sa.false())
    return query


EVIDENCE = Table(
    "evidence", "Belege", "Evidence",
    "Welche Kommentare ein Vorschlag als Quelle zitiert (eine Zeile je Vorschlag × Kommentar). Offene Daten: "
    "nur entschiedene Vorschläge und öffentlich sichtbare Kommentare.",
    "Which comments a proposal cites as its source (one row per proposal × comment). Open data: decided "
    "proposals and comments visible to the public only.",
    columns=(
        Column("proposal_id", "integer", "Vorschlag-Nr.", "Proposal id", "Nummer des Vorschlags (proposals).",
               "Id of the proposal (proposals).", sql=lambda ctx: ProposalComment.proposal_id),
        Column("comment_id", "integer", "Kommentar-Nr.", "Comment id", "Nummer des zitierten Kommentars (comments).",
               "Id of the cited comment (comments).", sql=lambda ctx: ProposalComment.comment_id),
        Column("comment_state", "string", "Status des Kommentars", "Comment state",
               "Status des Kommentars (nur im Export der Verwaltung; deleted = von der Person zurückgezogen).",
               "State of the comment (only in the administration's export; deleted = taken back by its author).",
               admin_only=True, sql=lambda ctx: plain(Comment.state)),
    ),
    query=_evidence_query,
)


# --- changes: the Synopse of the next version ------------------------------------------------------

def next_version(ctx: ExportContext) -> StrategyVersion | None:
    """The version based on the round's version whose recorded changes cite a proposal of the
    round: a published one first (the earliest), a draft only for the administration."""
    round_ = ctx.round
    query = (
        sa.select(StrategyVersion)
        .join(VersionChange, VersionChange.version_id == StrategyVersion.id)
        .join(Proposal, Proposal.id == VersionChange.proposal_id)
        .where(Proposal.round_id == round_.id, StrategyVersion.based_on_id == round_.version_id)
        .order_by(sa.case((StrategyVersion.state == "published", 0), else_=1), StrategyVersion.published_at,
                  StrategyVersion.id)
        .limit(1)
    )
    if ctx.open_data:
        query = query.where(StrategyVersion.state == "published")
    return ctx.db.scalars(query).first()


def _changes_rows(ctx: ExportContext) -> Iterator[tuple]:
    from ..versions.services import compare

    version = ctx.next_version
    kinds: dict[str, list[str]] = {}
    for key, kind in ctx.db.execute(sa.select(VersionChange.item_key, plain(VersionChange.kind))
                                    .where(VersionChange.version_id == version.id).order_by(VersionChange.id)):
        if kind not in kinds.setdefault(key, []):
            kinds[key].append(kind)
    for entry in compare(ctx.db, ctx.round.version, version):
        if entry.change == "unchanged" and not entry.traceable:
            continue
        before, after = entry.before, entry.after
        yield (
            version.number, entry.key, entry.kind, entry.change, ",".join(kinds.get(entry.key, [])) or None,
            *(getattr(item, f"{field}_de") if item is not None else None
              for field in ("title", "summary", "body") for item in (before, after)),
            ",".join(str(i) for i in sorted(entry.proposals)) or None,
            " | ".join(change.reason for change in entry.editorial) or None,
        )


def _old_new(field: str, de: str, en: str) -> tuple[Column, Column]:
    return (
        Column(f"{field}_old", "string", f"{de} bisher", f"{en} before",
               f"{de} (deutsch) in der Version der Runde; leer bei neuen Elementen.",
               f"{en} (German) in the round's version; empty for added items."),
        Column(f"{field}_new", "string", f"{de} neu", f"{en} after",
               f"{de} (deutsch) in der neuen Version; leer bei gestrichenen Elementen.",
               f"{en} (German) in the new version; empty for removed items."),
    )


CHANGES = Table(
    "changes", "Synopse", "Changes",
    "Die Synopse der aus dieser Runde entstandenen Strategieversion: je geändertes Element der alte und der "
    "neue Text und was die Änderung begründet (Vorschläge, redaktionelle Änderungen). Offene Daten: nur eine "
    "veröffentlichte Version.",
    "The synopsis of the strategy version composed from this round: per changed item the old and the new "
    "text and what made the change (proposals, editorial changes). Open data: a published version only.",
    columns=(
        Column("version", "string", "Neue Version", "Version", "Nummer der neuen Strategieversion.",
               "Number of the new strategy version.", safe=True),
        ITEM_KEY,
        Column("item_kind", "string", "Art", "Item kind", "Art des Elements (siehe results).",
               "Kind of the item (see results).", values=ITEM_KINDS),
        Column("change", "string", "Änderung", "Change",
               "changed = geändert, added = neu, removed = gestrichen, unchanged = unverändert beibehalten.",
               "changed, added, removed, unchanged (kept).", values=CHANGES_KINDS),
        Column("change_kinds", "string", "Art der Änderung", "Change kinds",
               "Kommagetrennt, was aufgezeichnet wurde: amend, add, remove, keep (Vorschlag), editorial "
               "(redaktionell).", "Comma-separated, what was recorded: amend, add, remove, keep (proposal), "
               "editorial.", safe=True),
        *_old_new("title", "Titel", "Title"),
        *_old_new("summary", "Kurzfassung", "Summary"),
        *_old_new("body", "Text", "Body"),
        Column("proposal_ids", "string", "Vorschläge", "Proposal ids",
               "Kommagetrennte Nummern der Vorschläge, die die Änderung begründen (proposals).",
               "Comma-separated ids of the proposals that made the change (proposals).", safe=True),
        Column("editorial_reasons", "string", "Redaktionelle Gründe", "Editorial reasons",
               "Begründungen redaktioneller Änderungen, getrennt durch „ | “.",
               "Reasons of editorial changes, separated by “ | ”."),
    ),
    generate=_changes_rows,
    applies=lambda ctx: ctx.next_version is not None,
)
