"""The next strategy version: compose it from change requests, edit it, compare, publish.

Composing copies a published version item by item (same stable keys) into a new draft and
applies plain ``ChangeRequest`` records; for every item it changes it records where the change
came from (``VersionChange``). Editorial edits in the draft are recorded with a reason. So
every difference between a published version and its base can be traced to a proposal or an
editorial change — ``untraceable_keys`` checks that, and ``publish`` refuses otherwise.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from ..accounts.models import User
from ..db import utcnow
from ..moderation.services import audit
from ..rounds.models import Round, RoundItem
from ..strategy.models import StrategyItem, StrategyVersion
from ..strategy.services import LANGS, LIMITS, TEXT_FIELDS, VERSION_RE, load_tree, version_by_number
from .models import EditorialChange, VersionChange

ChangeKind = Literal["amend", "add", "remove", "keep"]
TEXT_COLUMNS = tuple(f"{name}_{lang}" for name in TEXT_FIELDS for lang in LANGS)
REASON_MAX = 2000
REFERENCE_MAX = 200
# New keys: a target gets "<field>/zielbild-<n>", other kinds "<prefix>-<n>".
KEY_PREFIXES = {"target": "zielbild", "coordinate": "leitkoordinate", "field": "handlungsfeld"}


class VersionError(ValueError):
    """A use case refused; ``code`` is stable for the API and CLI, ``message`` is for people."""

    def __init__(self, code: str, message: str, status: int = 422, details: list[str] | None = None):
        self.code = code
        self.message = message
        self.status = status
        self.details = details or []
        super().__init__(message)


@dataclass(frozen=True)
class Place:
    """Where an added item goes: under ``parent_key`` (targets) at ``position`` among its kind."""

    parent_key: str | None
    position: int
    kind: str


@dataclass(frozen=True)
class ChangeRequest:
    """One accepted change to apply when composing.

    ``texts`` maps a field (title, summary, body) to languages: ``{"title": {"de": "…"}}``;
    only the fields and languages given change (an empty English text removes the translation).
    """

    source: str  # "proposal"
    source_id: int
    kind: ChangeKind
    item_key: str | None = None
    texts: dict[str, dict[str, str | None]] | None = None
    place: Place | None = None

    @property
    def label(self) -> str:
        return f"{self.source} {self.source_id}"


def accepted_changes(db: Session, round_: Round) -> list[ChangeRequest]:
    """The change requests of a round's accepted proposals, oldest decision first.

    ``accepted`` and ``accepted_modified`` proposals count (for the latter the texts the
    administration edited when deciding, which replace the proposed ones); proposals the
    administration marked as superseded by another are skipped. An amendment changes only
    the fields and languages it gives; an addition goes to its place (position counted from 1
    in the proposal, appended when none is given).
    """
    from ..proposals.models import Proposal

    proposals = db.scalars(
        sa.select(Proposal).where(Proposal.round_id == round_.id,
                                  Proposal.state.in_(("accepted", "accepted_modified")),
                                  Proposal.superseded_by_id.is_(None))
        .options(selectinload(Proposal.item), selectinload(Proposal.place_parent))
        .order_by(Proposal.decided_at, Proposal.id)
    ).all()
    return [_change_of(proposal) for proposal in proposals]


def _change_of(proposal) -> ChangeRequest:
    texts: dict[str, dict[str, str | None]] = {}
    if proposal.kind in ("amend", "add"):
        for name in TEXT_FIELDS:
            given = {lang: getattr(proposal, f"{name}_{lang}") for lang in LANGS}
            given = {lang: value for lang, value in given.items() if value is not None}
            if given:
                texts[name] = given
    place = None
    if proposal.kind == "add":
        position = proposal.place_position - 1 if proposal.place_position else 10_000  # clamped to the end
        place = Place(proposal.place_parent.key if proposal.place_parent else None, position, proposal.place_kind)
    return ChangeRequest("proposal", proposal.id, proposal.kind, proposal.item.key if proposal.item else None,
                         texts or None, place)


@dataclass
class ComposeResult:
    version: StrategyVersion
    counts: dict[str, int]


# --- composing ---------------------------------------------------------------------------

def _conflicts(base_keys: dict[str, StrategyItem], changes: list[ChangeRequest]) -> list[str]:
    """Every problem that stops composing, named so the admin can resolve it."""
    problems: list[str] = []
    by_key: dict[str, list[ChangeRequest]] = {}
    removed: set[str] = set()
    for change in changes:
        if change.kind not in ("amend", "add", "remove", "keep"):
            problems.append(_("%(source)s: unknown kind %(kind)s.", source=change.label, kind=change.kind))
            continue
        if change.kind == "add":
            if change.place is None:
                problems.append(_("%(source)s adds an item but gives no place.", source=change.label))
            continue
        if not change.item_key or change.item_key not in base_keys:
            problems.append(_("%(source)s refers to the item %(key)s, which is not in the base version.",
                              source=change.label, key=change.item_key or "-"))
            continue
        by_key.setdefault(change.item_key, []).append(change)
        if change.kind == "remove":
            removed.add(change.item_key)
    for key, group in by_key.items():
        if len(group) > 1:
            problems.append(_("Conflict on %(key)s: %(sources)s change the same item.",
                              key=key, sources=", ".join(c.label for c in group)))
    for change in changes:
        if change.kind == "add" and change.place and change.place.parent_key in removed:
            problems.append(_("Conflict on %(key)s: %(source)s adds an item to it, but it is removed.",
                              key=change.place.parent_key, source=change.label))
    return problems


def _check_texts(texts: dict | None, label: str, need_title: bool) -> list[str]:
    problems = []
    texts = texts or {}
    for name, values in texts.items():
        if name not in TEXT_FIELDS or not isinstance(values, dict):
            problems.append(_("%(source)s: unknown text field %(field)s.", source=label, field=name))
            continue
        for lang, text in values.items():
            if lang not in LANGS:
                problems.append(_("%(source)s: unknown language %(lang)s.", source=label, lang=lang))
            elif text and len(text) > LIMITS[name]:
                problems.append(_("%(source)s: the %(field)s (%(lang)s) is longer than %(max)d characters.",
                                  source=label, field=name, lang=lang, max=LIMITS[name]))
            elif name == "title" and lang == "de" and not (text or "").strip():
                problems.append(_("%(source)s: the German title must not be empty.", source=label))
    if need_title and not ((texts.get("title") or {}).get("de") or "").strip():
        problems.append(_("%(source)s: a new item needs a German title.", source=label))
    return problems


def _apply_texts(item: StrategyItem, texts: dict | None) -> None:
    for name, values in (texts or {}).items():
        for lang, text in values.items():
            text = (text or "").strip("\n")
            setattr(item, f"{name}_{lang}", text or None)


def _new_title(base: StrategyVersion, number: str, lang: str) -> str | None:
    title = getattr(base, f"title_{lang}")
    if title and base.number in title:
        return title.replace(base.number, number)
    return title


def _free_key(db: Session, kind: str, parent_key: str | None) -> str:
    """A key never used by any version: keys are identities, a retired one is not reused."""
    prefix = f"{parent_key}/{KEY_PREFIXES[kind]}-" if kind == "target" else f"{KEY_PREFIXES[kind]}-"
    used = db.scalars(sa.select(StrategyItem.key).where(StrategyItem.key.startswith(prefix, autoescape=True)))
    numbers = [int(m.group(1)) for k in used if (m := re.fullmatch(re.escape(prefix) + r"(\d+)", k))]
    return f"{prefix}{max(numbers, default=0) + 1}"


def compose(db: Session, actor: User | None, base: StrategyVersion, number: str,
            changes: list[ChangeRequest]) -> ComposeResult:
    """A new draft ``number`` from the published ``base`` with ``changes`` applied.

    Nothing is written when a change conflicts with another or cannot be applied: the
    ``VersionError`` (code ``conflicts``) lists every problem in ``details``.
    """
    if base.state != "published":
        raise VersionError("base_not_published", _("A new version can only be based on a published version."))
    if not VERSION_RE.match(number or ""):
        raise VersionError("bad_number", _("A version number looks like 2.0 or 2.1.0."), status=400)
    if version_by_number(db, number) is not None:
        raise VersionError("number_taken", _("There is already a version %(number)s.", number=number))
    base_tree = load_tree(db, base)
    base_items = {item.key: item for item in base_tree.items}
    problems = _conflicts(base_items, changes)
    for change in changes:
        if change.kind == "amend":
            problems += _check_texts(change.texts, change.label, need_title=False)
        elif change.kind == "add" and change.place is not None:
            problems += _check_texts(change.texts, change.label, need_title=True)
            place = change.place
            if place.kind not in KEY_PREFIXES:
                problems.append(_("%(source)s: items of this kind cannot be added.", source=change.label))
            elif place.kind == "target" and (place.parent_key not in base_items
                                             or base_items[place.parent_key].kind != "field"):
                problems.append(_("%(source)s: a target picture must be added to a field of action.",
                                  source=change.label))
    if problems:
        raise VersionError("conflicts", _("The version cannot be composed: resolve these problems first."),
                           details=problems)

    version = StrategyVersion(
        number=number, state="draft", based_on=base, created_at=utcnow(),
        title_de=_new_title(base, number, "de") or number, title_en=_new_title(base, number, "en"),
        coordinates_intro_de=base.coordinates_intro_de, coordinates_intro_en=base.coordinates_intro_en,
        fields_intro_de=base.fields_intro_de, fields_intro_en=base.fields_intro_en,
    )
    try:
        with db.begin_nested():  # another admin may take the number at the same moment
            db.add(version)
            db.flush()
    except IntegrityError:
        raise VersionError("number_taken", _("There is already a version %(number)s.", number=number)) from None
    copies: dict[str, StrategyItem] = {}
    for item in base_tree.items:  # fields come before their targets
        copy = StrategyItem(
            version=version, key=item.key, kind=item.kind, position=item.position, is_example=item.is_example,
            parent=copies[item.parent.key] if item.parent is not None else None,
            **{column: getattr(item, column) for column in TEXT_COLUMNS},
        )
        db.add(copy)
        copies[item.key] = copy
    db.flush()

    def record(key: str, change: ChangeRequest, kind: str | None = None) -> None:
        db.add(VersionChange(version=version, item_key=key, kind=kind or change.kind, proposal_id=change.source_id))

    for change in changes:
        if change.kind == "amend":
            _apply_texts(copies[change.item_key], change.texts)
            record(change.item_key, change)
        elif change.kind == "keep":
            record(change.item_key, change)
        elif change.kind == "remove":
            item = copies.pop(change.item_key)
            for child in [c for c in copies.values() if c.parent is item]:
                copies.pop(child.key)
                db.delete(child)
                record(child.key, change)
            db.delete(item)
            record(change.item_key, change)
            db.flush()
    for change in changes:
        if change.kind != "add":
            continue
        place = change.place
        parent = copies.get(place.parent_key) if place.kind == "target" else None
        siblings = sorted((c for c in copies.values() if c.kind == place.kind and c.parent is parent),
                          key=lambda c: c.position)
        position = max(0, min(place.position, len(siblings)))
        for sibling in siblings:
            if sibling.position >= position:
                sibling.position += 1
        key = _free_key(db, place.kind, parent.key if parent else None)
        item = StrategyItem(version=version, key=key, kind=place.kind, position=position, parent=parent,
                            title_de="")
        _apply_texts(item, change.texts)
        db.add(item)
        copies[key] = item
        record(key, change)
        db.flush()
    audit(db, actor, "strategy.compose", "strategy_version", version.id, None,
          number=number, base=base.number, changes=[c.label for c in changes])
    # Loaded collections (a field's targets) still hold removed items and the old order.
    db.expire_all()
    counts = summary(compare(db, base, version))
    return ComposeResult(version=version, counts=counts)


# --- editorial changes ----------------------------------------------------------------------

def text_fingerprint(item: StrategyItem) -> str:
    """A digest of an item's texts: the editor sends back the one it started from."""
    digest = hashlib.sha256()
    for column in TEXT_COLUMNS:
        digest.update((getattr(item, column) or "").encode() + b"\x00")
    return digest.hexdigest()[:32]


def edit_item(db: Session, editor: User, item: StrategyItem, texts: dict[str, str | None],
              reason: str, started_from: str | None = None) -> EditorialChange:
    """Save the editor's texts of one draft item, recorded with the reason and audited.

    ``texts`` maps columns (``title_de`` … ``body_en``) to the new plain text. With
    ``started_from`` (a ``text_fingerprint``), a save over somebody else's newer save is refused
    instead of silently undoing it.
    """
    if item.version.state != "draft":
        raise VersionError("published", _("A published version cannot be changed."), status=409)
    if started_from is not None and started_from != text_fingerprint(item):
        raise VersionError("changed_meanwhile", _("Somebody else has changed this text in the meantime. "
                                                  "Please check the current text and enter your change again."),
                           status=409)
    reason = (reason or "").strip()
    if not reason:
        raise VersionError("reason_required", _("Please give a reason for the change."))
    if len(reason) > REASON_MAX:
        raise VersionError("reason_too_long", _("The reason may have at most %(max)d characters.", max=REASON_MAX))
    before, after = {}, {}
    for column in TEXT_COLUMNS:
        if column not in texts:
            continue
        new = (texts[column] or "").replace("\r\n", "\n").strip() or None
        name = column.rsplit("_", 1)[0]
        if new and len(new) > LIMITS[name]:
            raise VersionError("too_long", _("A text is longer than %(max)d characters.", max=LIMITS[name]))
        if getattr(item, column) != new:
            before[column], after[column] = getattr(item, column), new
    if "title_de" in after and not after["title_de"]:
        raise VersionError("title_required", _("The German title must not be empty."))
    if not after:
        raise VersionError("nothing_changed", _("Nothing has changed."))
    change = EditorialChange(version_id=item.version_id, item_key=item.key, editor_id=editor.id, reason=reason,
                             before=before, after=after, created_at=utcnow())
    db.add(change)
    for column, value in after.items():
        setattr(item, column, value)
    db.flush()
    db.add(VersionChange(version_id=item.version_id, item_key=item.key, kind="editorial",
                         editorial_change_id=change.id))
    audit(db, editor, "strategy.edit", "strategy_item", item.id, reason, version=item.version.number,
          key=item.key, fields=sorted(after))
    return change


# --- comparing -------------------------------------------------------------------------------

@dataclass
class Compared:
    key: str
    kind: str
    change: str  # unchanged, changed, added, removed
    before: StrategyItem | None
    after: StrategyItem | None
    proposals: list[int] = field(default_factory=list)
    editorial: list[EditorialChange] = field(default_factory=list)

    @property
    def item(self) -> StrategyItem:
        return self.after or self.before  # type: ignore[return-value]

    @property
    def traceable(self) -> bool:
        return bool(self.proposals or self.editorial)


def texts_of(item: StrategyItem | None) -> dict | None:
    if item is None:
        return None
    return {name: {lang: getattr(item, f"{name}_{lang}") for lang in LANGS} for name in TEXT_FIELDS}


def lineage(db: Session, older: StrategyVersion, newer: StrategyVersion) -> list[int]:
    """Ids of the versions whose recorded changes lead from ``older`` to ``newer``.

    Walks the ``based_on`` chain from the newer (or, for a backwards comparison, from the
    older) version; versions that are not related yield nothing.
    """
    for start, stop in ((newer, older), (older, newer)):
        ids, current = [], start
        while current is not None and current.id != stop.id:
            ids.append(current.id)
            current = current.based_on
        if current is not None:
            return ids
    return []


def _sources(db: Session, version_ids: list[int], keys: set[str] | None = None) -> dict[str, list[VersionChange]]:
    if not version_ids:
        return {}
    query = (sa.select(VersionChange).where(VersionChange.version_id.in_(version_ids))
             .options(selectinload(VersionChange.editorial_change))
             .order_by(VersionChange.id))
    if keys is not None:
        query = query.where(VersionChange.item_key.in_(keys))
    out: dict[str, list[VersionChange]] = {}
    for row in db.scalars(query):
        out.setdefault(row.item_key, []).append(row)
    return out


def _differs(a: StrategyItem, b: StrategyItem) -> bool:
    return any(getattr(a, column) != getattr(b, column) for column in TEXT_COLUMNS)


def compare(db: Session, older: StrategyVersion, newer: StrategyVersion) -> list[Compared]:
    """Every item of both versions in reading order, with its change and its reasons."""
    old_items = {item.key: item for item in load_tree(db, older).items}
    new_order = load_tree(db, newer).items
    new_items = {item.key: item for item in new_order}
    # Reading order of the newer version; removed items follow the item they followed before.
    keys = [item.key for item in new_order]
    previous: str | None = None
    for key in old_items:
        if key not in new_items:
            keys.insert(keys.index(previous) + 1 if previous in keys else len(keys), key)
        previous = key
    sources = _sources(db, lineage(db, older, newer))
    out = []
    for key in keys:
        before, after = old_items.get(key), new_items.get(key)
        if before is None:
            change = "added"
        elif after is None:
            change = "removed"
        else:
            change = "changed" if _differs(before, after) else "unchanged"
        entry = Compared(key=key, kind=(after or before).kind, change=change, before=before, after=after)
        for row in sources.get(key, []):
            if row.proposal_id is not None and row.proposal_id not in entry.proposals:
                entry.proposals.append(row.proposal_id)
            if row.editorial_change is not None:
                entry.editorial.append(row.editorial_change)
        out.append(entry)
    return out


def summary(compared: list[Compared]) -> dict[str, int]:
    counts = {"changed": 0, "added": 0, "removed": 0, "unchanged": 0}
    for entry in compared:
        counts[entry.change] += 1
    return counts


def untraceable_keys(db: Session, version: StrategyVersion) -> list[str]:
    """Items that differ from the base version without a proposal or editorial change."""
    if version.based_on is None:
        return []
    return [e.key for e in compare(db, version.based_on, version) if e.change != "unchanged" and not e.traceable]


# --- publishing ------------------------------------------------------------------------------

def publish(db: Session, actor: User | None, version: StrategyVersion, adopted_on: date | None = None,
            council_reference: str | None = None) -> int:
    """Make the draft the current version; returns how many update mails were queued.

    The caller commits once: the state change, the audit entry and every mail go together.
    """
    if version.state != "draft":
        raise VersionError("already_published", _("Version %(number)s is published already.",
                                                  number=version.number), status=409)
    if not version.items:
        raise VersionError("empty", _("A version without items cannot be published."))
    missing = untraceable_keys(db, version)
    if missing:
        raise VersionError("untraceable", _("These items changed without a proposal or an editorial change: "
                                            "%(keys)s.", keys=", ".join(missing)), details=missing)
    council_reference = (council_reference or "").strip() or None
    if council_reference and len(council_reference) > REFERENCE_MAX:
        raise VersionError("reference_too_long", _("The council reference may have at most %(max)d characters.",
                                                   max=REFERENCE_MAX))
    # A conditional UPDATE: of two admins publishing at the same moment, one does it (and
    # queues the mails); the other is told it is published already.
    now = utcnow()
    published = db.execute(
        sa.update(StrategyVersion).where(StrategyVersion.id == version.id, StrategyVersion.state == "draft")
        .values(state="published", published_at=now).execution_options(synchronize_session=False)
    ).rowcount
    if not published:
        raise VersionError("already_published", _("Version %(number)s is published already.",
                                                  number=version.number), status=409)
    set_committed_value(version, "state", "published")
    set_committed_value(version, "published_at", now)
    if adopted_on is not None:
        version.adopted_on = adopted_on
    if council_reference is not None:
        version.council_reference = council_reference
    db.flush()
    audit(db, actor, "strategy.publish", "strategy_version", version.id, None, number=version.number,
          adopted_on=adopted_on.isoformat() if adopted_on else None, council_reference=council_reference)
    from .notify import notify_subscribers

    return notify_subscribers(db, version)


def discard(db: Session, actor: User | None, version: StrategyVersion) -> None:
    """Delete a draft with its items and recorded changes, e.g. to compose it again later."""
    if version.state != "draft":
        raise VersionError("published", _("A published version cannot be changed."), status=409)
    # Rounds ask only about published versions, so nothing else refers to a draft's items.
    number, version_id = version.number, version.id
    db.execute(sa.delete(VersionChange).where(VersionChange.version_id == version_id))
    db.execute(sa.delete(EditorialChange).where(EditorialChange.version_id == version_id))
    # Targets first: they point at their fields.
    db.execute(sa.delete(StrategyItem)
               .where(StrategyItem.version_id == version_id, StrategyItem.parent_id.is_not(None)))
    db.execute(sa.delete(StrategyItem).where(StrategyItem.version_id == version_id))
    db.execute(sa.delete(StrategyVersion).where(StrategyVersion.id == version_id, StrategyVersion.state == "draft"))
    db.expunge(version)
    audit(db, actor, "strategy.discard", "strategy_version", version_id, None, number=number)


def is_superseded(db: Session, version: StrategyVersion, current: StrategyVersion | None) -> bool:
    return version.state == "published" and current is not None and current.id != version.id


def version_of_proposal(db: Session, proposal_id: int) -> StrategyVersion | None:
    """The first published version a proposal went into (for a comment's outcome ``version``)."""
    return db.scalars(
        sa.select(StrategyVersion).join(VersionChange, VersionChange.version_id == StrategyVersion.id)
        .where(VersionChange.proposal_id == proposal_id, StrategyVersion.state == "published")
        .order_by(StrategyVersion.published_at).limit(1)
    ).first()


# --- history of one item -----------------------------------------------------------------------

@dataclass
class HistoryStep:
    version: StrategyVersion
    item: StrategyItem | None
    change: str  # "first", "unchanged", "changed", "added", "removed"
    previous: StrategyItem | None = None
    proposals: list[int] = field(default_factory=list)
    editorial: list[EditorialChange] = field(default_factory=list)


def history(db: Session, key: str, include_drafts: bool = False) -> list[HistoryStep]:
    """The item ``key`` through the versions (oldest first), with what changed and why."""
    query = sa.select(StrategyVersion).order_by(
        StrategyVersion.published_at.is_(None), StrategyVersion.published_at, StrategyVersion.created_at)
    if not include_drafts:
        query = query.where(StrategyVersion.state == "published")
    versions = list(db.scalars(query))
    items = {item.version_id: item for item in db.scalars(
        sa.select(StrategyItem).where(StrategyItem.key == key).options(selectinload(StrategyItem.parent)))}
    if not items or not any(v.id in items for v in versions):
        return []
    sources = _sources(db, [v.id for v in versions], {key}).get(key, [])
    steps: list[HistoryStep] = []
    previous: StrategyVersion | None = None
    for version in versions:
        item = items.get(version.id)
        before = items.get(previous.id) if previous else None
        if previous is None or (item is None and before is None):
            change = "first" if item is not None else ""
        elif before is None:
            change = "added"
        elif item is None:
            change = "removed"
        else:
            change = "changed" if _differs(before, item) else "unchanged"
        previous = version
        if not change:
            continue
        step = HistoryStep(version=version, item=item, change=change, previous=before)
        for row in sources:
            if row.version_id != version.id:
                continue
            if row.proposal_id is not None and row.proposal_id not in step.proposals:
                step.proposals.append(row.proposal_id)
            if row.editorial_change is not None:
                step.editorial.append(row.editorial_change)
        steps.append(step)
    return steps


def rounds_with_key(db: Session, key: str) -> list[Round]:
    """Rounds whose scope contains the item with this key (in whichever version)."""
    return list(db.scalars(
        sa.select(Round).join(RoundItem, RoundItem.round_id == Round.id)
        .join(StrategyItem, StrategyItem.id == RoundItem.item_id)
        .where(StrategyItem.key == key).order_by(Round.opens_at).distinct()
    ))
