"""Exporting a round: one entry point for the CLI, the admin page and the open-data page.

``export`` writes one format to a binary stream and records it in the audit log. It flushes,
never commits: the caller commits once the file is written (the CLI, the views).
"""

from __future__ import annotations

from datetime import datetime
from typing import IO, Any

from sqlalchemy.orm import Session

from ..accounts.models import User
from ..moderation.services import audit
from ..rounds.models import Round
from . import writers
from .tables import ExportContext

# format -> file extension
FORMATS = {"csv-excel": "zip", "csv": "zip", "xlsx": "xlsx", "json": "zip"}
MIMETYPES = {
    "zip": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ExportError(ValueError):
    def __init__(self, code: str, message: str, status: int = 404):
        self.code = code
        self.message = message
        self.status = status
        super().__init__(message)


def file_name(round_: Round, fmt: str, open_data: bool) -> str:
    suffix = "-offene-daten" if open_data else ""
    return f"runde-{round_.id}-{fmt}{suffix}.{FORMATS[fmt]}"


def write(db: Session, round_: Round, fmt: str, out: IO[bytes], open_data: bool,
          exported_at: datetime | None = None) -> None:
    """Write the round's tables in one format (see ``FORMATS``) to ``out``."""
    if fmt not in FORMATS:
        raise ExportError("unknown_format", f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}", 400)
    context: dict[str, Any] = {"exported_at": exported_at} if exported_at else {}
    ctx = ExportContext(db, round_, open_data, **context)
    ctx.start_analysis()
    if fmt == "xlsx":
        writers.write_xlsx(ctx, out)
    else:
        writers.write_zip(ctx, out, fmt)


def record(db: Session, actor: Any, round_: Round, fmt: str, open_data: bool, via: str) -> None:
    """Put an export (``via``: cli or admin) or a public download (``via``: public) in the audit log."""
    audit(db, actor if getattr(actor, "is_authenticated", False) else None,
          "round.data_downloaded" if via == "public" else "round.exported", "round", round_.id,
          format=fmt, open_data=open_data, via=via)


def export(db: Session, actor: Any, round_: Round, fmt: str, out: IO[bytes], open_data: bool, via: str) -> None:
    """Write the export, then record it.

    The rows are read in one transaction (one consistent snapshot); it ends before the audit entry
    is written in a fresh one, so on SQLite a long read never has to become the writer (which
    fails when someone else wrote meanwhile) and an export never holds the write lock while it
    reads. The caller commits.
    """
    round_id = round_.id
    write(db, round_, fmt, out, open_data)
    actor_id = getattr(actor, "id", None) if getattr(actor, "is_authenticated", False) else None
    db.rollback()
    round_ = db.get(Round, round_id)
    audit_actor = db.get(User, actor_id) if actor_id is not None else None
    record(db, audit_actor, round_, fmt, open_data, via)
