"""Strategy versions: queries, and import/export of the documented YAML format.

The importer validates the whole document before it touches the database and reports every
error with its place (``fields[2].targets[0].title.de``), so a broken file imports nothing.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy.orm import Session, selectinload

from ..db import utcnow
from .models import VERSION_STATES, StrategyItem, StrategyVersion

FORMAT = 1
KEY_PART = r"[a-z0-9]+(?:-[a-z0-9]+)*"
KEY_RE = re.compile(rf"^{KEY_PART}$")
TARGET_KEY_RE = re.compile(rf"^({KEY_PART})/({KEY_PART})$")
KEY_MAX = 120  # the database column's size
VERSION_RE = re.compile(r"^[0-9]+(?:\.[0-9]+){0,2}$")
# Path segments the item URLs use themselves.
RESERVED_KEYS = {"versionen", "api", "static"}
LANGS = ("de", "en")
LIMITS = {"title": 300, "summary": 2000, "body": 20000, "version.title": 200}
TEXT_FIELDS = ("title", "summary", "body")


# --- queries -----------------------------------------------------------------------------

def current_version(db: Session) -> StrategyVersion | None:
    """The most recently published version: what the public reads by default."""
    return db.scalars(
        sa.select(StrategyVersion)
        .where(StrategyVersion.state == "published")
        .order_by(StrategyVersion.published_at.desc(), StrategyVersion.id.desc())
        .limit(1)
    ).first()


def version_by_number(db: Session, number: str) -> StrategyVersion | None:
    return db.scalars(sa.select(StrategyVersion).where(StrategyVersion.number == number)).first()


def all_versions(db: Session) -> list[StrategyVersion]:
    return list(db.scalars(sa.select(StrategyVersion).order_by(StrategyVersion.created_at.desc())))


@dataclass
class StrategyTree:
    version: StrategyVersion
    vision: StrategyItem | None
    mission: StrategyItem | None
    coordinates: list[StrategyItem]
    fields: list[StrategyItem]  # each with .children loaded (its targets)

    @property
    def items(self) -> list[StrategyItem]:
        out = [i for i in (self.vision, self.mission) if i] + self.coordinates
        for field in self.fields:
            out.append(field)
            out.extend(field.children)
        return out


def load_tree(db: Session, version: StrategyVersion) -> StrategyTree:
    """All items of a version in two queries, arranged as the strategy's tree."""
    items = list(
        db.scalars(
            sa.select(StrategyItem)
            .where(StrategyItem.version_id == version.id)
            .order_by(StrategyItem.position, StrategyItem.id)
            .options(selectinload(StrategyItem.children))
        )
    )
    by_kind: dict[str, list[StrategyItem]] = {}
    for item in items:
        by_kind.setdefault(item.kind, []).append(item)
    return StrategyTree(
        version=version,
        vision=(by_kind.get("vision") or [None])[0],
        mission=(by_kind.get("mission") or [None])[0],
        coordinates=by_kind.get("coordinate", []),
        fields=by_kind.get("field", []),
    )


def item_by_key(db: Session, version: StrategyVersion, key: str) -> StrategyItem | None:
    return db.scalars(
        sa.select(StrategyItem)
        .where(StrategyItem.version_id == version.id, StrategyItem.key == key)
        .options(selectinload(StrategyItem.children), selectinload(StrategyItem.parent))
    ).first()


def neighbours(tree: StrategyTree, item: StrategyItem) -> tuple[StrategyItem | None, StrategyItem | None]:
    """The previous and next item in reading order, for paging through the strategy."""
    order = tree.items
    ids = [i.id for i in order]
    if item.id not in ids:
        return None, None
    index = ids.index(item.id)
    prev_item = order[index - 1] if index > 0 else None
    next_item = order[index + 1] if index + 1 < len(order) else None
    return prev_item, next_item


# --- validation --------------------------------------------------------------------------

class StrategyFileError(ValueError):
    """The file is not a valid strategy document; ``errors`` lists each problem with its place."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


# Bounds for files from outside: a strategy is a few hundred KB of text, nested five deep.
MAX_DOCUMENT_CHARS = 2_000_000
MAX_DEPTH = 20
MAX_ALIASES = 100  # and only of plain values: an alias of a list or mapping could multiply
MAX_ERRORS = 50
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing deep nesting and aliases that would expand the document.

    Without these bounds an 18 KB file of nested aliases ("billion laughs") expands to millions
    of nodes, and 5,000 nested lists exhaust Python's recursion limit.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent, index):  # noqa: ANN001 - PyYAML's signature
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            self._aliases += 1
            anchored = self.anchors.get(event.anchor)
            if self._aliases > MAX_ALIASES:
                raise yaml.composer.ComposerError(None, None, f"more than {MAX_ALIASES} aliases", event.start_mark)
            if anchored is not None and not isinstance(anchored, yaml.ScalarNode):
                raise yaml.composer.ComposerError(
                    None, None, "aliases (*name) may only repeat a plain value, not a list or mapping",
                    event.start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nested more than {MAX_DEPTH} levels deep", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _TooManyErrors(Exception):
    pass


class _Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.keys: dict[str, str] = {}

    def error(self, path: str, message: str) -> None:
        if len(self.errors) >= MAX_ERRORS:
            self.errors.append(f"… more errors not shown (the first {MAX_ERRORS} are listed)")
            raise _TooManyErrors
        self.errors.append(f"{path}: {message}")

    def mapping(self, value: Any, path: str, allowed: set[str], required: set[str]) -> dict | None:
        if not isinstance(value, dict):
            self.error(path, "must be a mapping")
            return None
        for key in value:
            if key not in allowed:
                self.error(f"{path}.{key}" if path else str(key), "unknown field")
        for key in sorted(required):
            if key not in value or value[key] is None:
                self.error(f"{path}.{key}" if path else key, "required")
        return value

    def text(self, value: Any, path: str, limit: int, required: bool) -> None:
        if value is None:
            if required:
                self.error(path, "required")
            return
        data = self.mapping(value, path, set(LANGS), {"de"} if required else set())
        if data is None:
            return
        if not required and "de" not in data and data:
            self.error(f"{path}.de", "required when another language is given")
        for lang, text in data.items():
            if lang not in LANGS or text is None:
                continue
            if not isinstance(text, str):
                self.error(f"{path}.{lang}", "must be text")
            elif _CONTROL_RE.search(text):
                self.error(f"{path}.{lang}", "contains control characters (such as NUL); remove them")
            elif not text.strip():
                self.error(f"{path}.{lang}", "must not be empty")
            elif len(text) > limit:
                self.error(f"{path}.{lang}", f"too long ({len(text)} characters, at most {limit})")

    def item(self, value: Any, path: str, kind: str, field_key: str | None = None) -> None:
        allowed = {"key", "example", *TEXT_FIELDS}
        if kind == "field":
            allowed.add("targets")
        data = self.mapping(value, path, allowed, {"key"})  # title: checked as text below
        if data is None:
            return
        key = data.get("key")
        if isinstance(key, str) and len(key) > KEY_MAX:
            self.error(f"{path}.key", f"too long ({len(key)} characters, at most {KEY_MAX})")
        elif isinstance(key, str):
            if kind == "target":
                match = TARGET_KEY_RE.match(key)
                if not match:
                    self.error(
                        f"{path}.key",
                        f"{key!r} must look like '{field_key or 'field'}/name' (lower-case letters, digits, hyphens)",
                    )
                elif field_key and match.group(1) != field_key:
                    self.error(f"{path}.key", f"{key!r} must start with its field's key '{field_key}/'")
            elif not KEY_RE.match(key):
                self.error(f"{path}.key", f"{key!r} may contain only lower-case letters, digits and single hyphens")
            if key in RESERVED_KEYS:
                self.error(f"{path}.key", f"{key!r} is reserved")
            if key in self.keys:
                self.error(f"{path}.key", f"{key!r} is used twice (also at {self.keys[key]})")
            else:
                self.keys[key] = path
        elif key is not None:
            self.error(f"{path}.key", "must be text")
        if "example" in data and not isinstance(data["example"], bool):
            self.error(f"{path}.example", "must be true or false")
        self.text(data.get("title"), f"{path}.title", LIMITS["title"], required=True)
        self.text(data.get("summary"), f"{path}.summary", LIMITS["summary"], required=False)
        self.text(data.get("body"), f"{path}.body", LIMITS["body"], required=False)
        if kind == "field":
            targets = data.get("targets", [])
            if not isinstance(targets, list):
                self.error(f"{path}.targets", "must be a list")
                return
            for index, target in enumerate(targets):
                self.item(target, f"{path}.targets[{index}]", "target", key if isinstance(key, str) else None)

    def document(self, doc: Any) -> None:
        top = self.mapping(
            doc, "", {"format", "version", "vision", "mission", "coordinates", "fields"},
            {"format", "version"},
        )
        if top is None:
            return
        if "format" in top and top["format"] != FORMAT:
            self.error("format", f"must be {FORMAT} (this platform reads format {FORMAT})")
        version = self.mapping(
            top.get("version"), "version",
            {"number", "state", "title", "adopted_on", "coordinates_intro", "fields_intro"},
            {"number"},
        ) if top.get("version") is not None else None
        if version is not None:
            number = version.get("number")
            if number is not None and not (isinstance(number, str) and VERSION_RE.match(number)):
                self.error("version.number", "must be a quoted version number such as \"1.0\"")
            state = version.get("state", "draft")
            if state not in VERSION_STATES:
                self.error("version.state", f"must be one of {', '.join(VERSION_STATES)}")
            adopted = version.get("adopted_on")
            if adopted is not None and not isinstance(adopted, date):
                self.error("version.adopted_on", "must be a date (YYYY-MM-DD)")
            self.text(version.get("title"), "version.title", LIMITS["version.title"], required=True)
            self.text(version.get("coordinates_intro"), "version.coordinates_intro", LIMITS["body"], required=False)
            self.text(version.get("fields_intro"), "version.fields_intro", LIMITS["body"], required=False)
        for kind in ("vision", "mission"):
            if top.get(kind) is not None:
                self.item(top[kind], kind, kind)
        for name, kind in (("coordinates", "coordinate"), ("fields", "field")):
            items = top.get(name)
            if items is None:
                continue
            if not isinstance(items, list):
                self.error(name, "must be a list")
                continue
            for index, item in enumerate(items):
                self.item(item, f"{name}[{index}]", kind)


def parse(text: str) -> dict:
    """Parse and validate a strategy document; raise StrategyFileError listing every problem."""
    if len(text) > MAX_DOCUMENT_CHARS:
        raise StrategyFileError([f"file: too large ({len(text)} characters, at most {MAX_DOCUMENT_CHARS})"])
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise StrategyFileError([f"line {line}: contains a NUL byte; is this really a YAML text file?"])
    loader = _BoundedLoader(text)
    try:
        doc = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "file"
        problem = getattr(exc, "problem", None) or str(exc)
        raise StrategyFileError([f"{where}: not valid YAML ({problem})"]) from None
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. the date 2026-02-30
        raise StrategyFileError([f"file: a value cannot be read ({exc})"]) from None
    finally:
        loader.dispose()
    checker = _Checker()
    with contextlib.suppress(_TooManyErrors):  # the list ends with a note that there are more
        checker.document(doc)
    if checker.errors:
        raise StrategyFileError(checker.errors)
    return doc


# --- import ------------------------------------------------------------------------------

def _texts(target: object, prefix: str, value: dict | None) -> None:
    value = value or {}
    for lang in LANGS:
        text = value.get(lang)
        setattr(target, f"{prefix}_{lang}", text.strip("\n") if isinstance(text, str) else None)


def import_version(db: Session, doc: dict, replace: bool = False) -> StrategyVersion:
    """Create (or with ``replace`` update in place) the version a validated document describes.

    Replacing matches items by key, so anything that refers to an item (ratings, comments)
    keeps pointing at the same thing. Items no longer in the file are removed.
    """
    meta = doc["version"]
    number = meta["number"]
    version = version_by_number(db, number)
    if version is not None and not replace:
        raise StrategyFileError([f"version.number: version {number} exists already (use --replace to update it)"])
    if version is not None and version.state == "published":
        # Published versions never change (see participation/versions/guard.py).
        raise StrategyFileError([f"version.number: version {number} is published and cannot be replaced"])
    if version is None:
        version = StrategyVersion(number=number, state="draft")
        db.add(version)
    version.adopted_on = meta.get("adopted_on")
    _texts(version, "title", meta["title"])
    _texts(version, "coordinates_intro", meta.get("coordinates_intro"))
    _texts(version, "fields_intro", meta.get("fields_intro"))
    db.flush()

    existing = {item.key: item for item in version.items}
    seen: set[str] = set()

    def upsert(data: dict, kind: str, position: int, parent: StrategyItem | None) -> StrategyItem:
        item = existing.get(data["key"])
        if item is None or item.kind != kind:
            if item is not None:
                db.delete(item)
                db.flush()
            item = StrategyItem(version=version, key=data["key"], kind=kind)
            db.add(item)
        item.parent = parent
        item.position = position
        item.is_example = bool(data.get("example", False))
        for field in TEXT_FIELDS:
            _texts(item, field, data.get(field))
        seen.add(data["key"])
        return item

    position = 0
    for kind in ("vision", "mission"):
        if doc.get(kind):
            upsert(doc[kind], kind, position, None)
            position += 1
    for index, data in enumerate(doc.get("coordinates") or []):
        upsert(data, "coordinate", index, None)
    for index, data in enumerate(doc.get("fields") or []):
        field = upsert(data, "field", index, None)
        db.flush()
        for target_index, target in enumerate(data.get("targets") or []):
            upsert(target, "target", target_index, field)
    for key, item in existing.items():
        if key not in seen:
            db.delete(item)
    db.flush()
    # Published last: from then on its items are frozen.
    version.state = meta.get("state", "draft")
    if version.state == "published" and version.published_at is None:
        version.published_at = utcnow()
    db.flush()
    db.expire(version, ["items"])
    return version


# --- export ------------------------------------------------------------------------------

def _text_map(obj: object, prefix: str) -> dict | None:
    out = {lang: getattr(obj, f"{prefix}_{lang}") for lang in LANGS if getattr(obj, f"{prefix}_{lang}")}
    return out or None


def _item_doc(item: StrategyItem) -> dict:
    out: dict[str, Any] = {"key": item.key}
    if item.is_example:
        out["example"] = True
    for field in TEXT_FIELDS:
        text = _text_map(item, field)
        if text:
            out[field] = text
    return out


def export_document(db: Session, version: StrategyVersion) -> dict:
    tree = load_tree(db, version)
    meta: dict[str, Any] = {"number": version.number, "state": version.state}
    meta["title"] = _text_map(version, "title")
    if version.adopted_on:
        meta["adopted_on"] = version.adopted_on
    for name in ("coordinates_intro", "fields_intro"):
        text = _text_map(version, name)
        if text:
            meta[name] = text
    doc: dict[str, Any] = {"format": FORMAT, "version": meta}
    if tree.vision:
        doc["vision"] = _item_doc(tree.vision)
    if tree.mission:
        doc["mission"] = _item_doc(tree.mission)
    doc["coordinates"] = [_item_doc(item) for item in tree.coordinates]
    doc["fields"] = []
    for field in tree.fields:
        entry = _item_doc(field)
        entry["targets"] = [_item_doc(target) for target in field.children]
        doc["fields"].append(entry)
    return doc


class _BlockDumper(yaml.SafeDumper):
    """Multi-line texts as ``|`` blocks, so exported files stay readable and diffable."""


def _str_representer(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_BlockDumper.add_representer(str, _str_representer)


def dump(doc: dict) -> str:
    header = (
        "# Strategy file, format 1 (see docs/strategy-format.md).\n"
        "# Items with `example: true` are example content, not adopted text.\n"
    )
    return header + yaml.dump(doc, Dumper=_BlockDumper, allow_unicode=True, sort_keys=False, width=100)
