"""Exports of the administration that the web and the console share."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from sqlalchemy.orm import Session

from ..rounds.models import Round
from ..rounds.services import codes_of, utc_to_berlin
from ..urls import public_url

# The file is for German Excel, so it speaks German whoever downloads it.
CSV_COLUMNS = ("Code", "Link zum Einlösen", "Eingelöst", "Eingelöst am")
# Codes can only be redeemed while a round is open, so new ones make sense until it closes.
CODE_STATES = ("draft", "open")


def _redeem_link(base_url: str | None) -> Callable[[int, str], str]:
    """Links on the configured public address (PARTICIPATION_BASE_URL) unless told another."""
    return lambda round_id, code: public_url("rounds.redeem", base_url=base_url, round_id=round_id, code=code)


def codes_csv(db: Session, round_: Round, base_url: str | None = None) -> str:
    """The round's invitation codes for a mail merge, as German Excel opens CSV files.

    Excel needs the byte order mark to read UTF-8 and, in a German locale, ``;`` between
    columns; rows end in CRLF. Headers, "ja"/"nein" and dates are German. The links point to
    ``base_url`` (the console's ``--base-url``), else to PARTICIPATION_BASE_URL.
    """
    link = _redeem_link(base_url)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    yes, no = "ja", "nein"
    for code in codes_of(db, round_):
        # dd.mm.yyyy hh:mm is what German Excel reads as a date and time.
        redeemed_at = utc_to_berlin(code.redeemed_at).strftime("%d.%m.%Y %H:%M") if code.redeemed_at else ""
        writer.writerow([
            code.code,
            link(round_.id, code.code),
            yes if code.redeemed_by_id is not None else no,
            redeemed_at,
        ])
    return "\ufeff" + buffer.getvalue()
