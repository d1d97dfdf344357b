"""Writers: turn the tables' rows into files, streamed a batch of rows at a time to a binary stream.

* CSV for German Excel: UTF-8 with BOM, ``;``, CRLF, decimal comma, German column titles, times
  in Europe/Berlin, booleans ``ja``/``nein``.
* Open-data CSV: RFC 4180 (``,``, CRLF, quotes where needed), UTF-8, ``.`` decimals, ISO 8601
  times with offset, English snake_case column names, booleans ``true``/``false``.
* JSON: one array of objects per table, English names, ISO 8601 times.
* XLSX: openpyxl in write-only mode (rows go to a temporary file, not to memory).

Text that a spreadsheet would take for a formula (``=``, ``+``, ``-``, ``@``, tab, CR, or their
full-width forms first) gets a leading ``'`` in both CSV variants; in XLSX it is a string cell,
never a formula. Numbers stay numbers. JSON is not opened by spreadsheets and keeps the text.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import IO, Any

from . import database_csv
from .tables import BERLIN, Column, ExportContext, Table, tables_for

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
LICENSE = {
    "name": "dl-de-by-2.0",
    "title": "Datenlizenz Deutschland – Namensnennung – Version 2.0",
    "path": "https://www.govdata.de/dl-de/by-2-0",
}
EXCEL_DATETIME = "%Y-%m-%d %H:%M:%S"
XLSX_ROWS_PER_SHEET = 1_048_575  # Excel's limit, less the header row


def defuse(text: str) -> str:
    """Text that would start a formula, made plain text for spreadsheets."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _excel_number(value: float) -> str:
    return repr(value).replace(".", ",")


@lru_cache(maxsize=65536)
def _berlin_hour(hour: str) -> str:
    """A UTC hour ``YYYY-MM-DDTHH`` as the hour in Europe/Berlin, ``YYYY-MM-DD HH`` (its offsets
    are whole hours: minutes and seconds stay as they are). Remembered: a round's times fall
    into few hours."""
    return datetime.strptime(hour, "%Y-%m-%dT%H").replace(tzinfo=UTC).astimezone(BERLIN).strftime("%Y-%m-%d %H")


def _excel_datetime(value: str) -> str:
    """A time from the database (ISO 8601 in UTC, ``tables.utc``) as local time in Europe/Berlin,
    ``EXCEL_DATETIME``."""
    return _berlin_hour(value[:13]) + value[13:19]


def _iso(value: date) -> str:
    return value.isoformat()


BOOLEANS = {"csv-excel": ("nein", "ja"), "csv": ("false", "true")}  # (false, true)
CSV_FORMATS: dict[str, dict[str, Callable[[Any], Any] | None]] = {
    # Times come as ISO 8601 in UTC from the database (``tables.utc``): open data takes them as
    # they are. Booleans come as bool (PostgreSQL, SQLAlchemy) or 0/1 (SQLite's cursor): both
    # index a pair.
    "csv-excel": {
        "integer": None, "number": _excel_number, "string": defuse, "datetime": _excel_datetime,
        "date": _iso, "boolean": BOOLEANS["csv-excel"].__getitem__,
    },
    "csv": {
        "integer": None, "number": repr, "string": defuse, "datetime": None, "date": _iso,
        "boolean": BOOLEANS["csv"].__getitem__,
    },
    "json": {
        "integer": None, "number": None, "string": None, "datetime": None, "date": _iso,
        "boolean": bool,
    },
}


def header(columns: list[Column], variant: str) -> list[str]:
    return [c.title_de if variant in ("csv-excel", "xlsx") else c.name for c in columns]


def needs_guard(column: Column) -> bool:
    """Could a value of this column start like a formula?"""
    if column.type != "string" or column.safe:
        return False
    return not column.values or any(str(value).startswith(FORMULA_STARTS) for value in column.values)


def _converted_batches(table: Table, ctx: ExportContext, variant: str) -> tuple[list[Column], Iterable[list]]:
    """The table's rows in batches, formatted for ``variant``. Only text columns whose values
    could start like a formula pass through the guard; numbers and listed values do not."""
    columns = table.columns_for(ctx)
    plan = [(i, CSV_FORMATS[variant][c.type]) for i, c in enumerate(columns)
            if c.type != "string" or needs_guard(c)]
    plan = [(i, convert) for i, convert in plan if convert is not None]
    return columns, table.batches(ctx, dict(plan))


def write_csv(table: Table, ctx: ExportContext, out: IO[bytes], variant: str, in_database: bool = True) -> None:
    """A batch of rows at a time: ``csv.writer`` fills a text buffer, which is encoded and
    written at once (a text stream would encode row by row). The big tables' lines are made by
    the database (``database_csv``) unless ``in_database`` is false."""
    buffer = io.StringIO()
    separator = ";" if variant == "csv-excel" else ","
    if variant == "csv-excel":
        buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=separator, lineterminator="\r\n")
    if in_database and database_csv.supports(table, ctx):
        writer.writerow(header(table.columns_for(ctx), variant))
        out.write(buffer.getvalue().encode())
        style = database_csv.Style(separator, BOOLEANS[variant], local_times=variant == "csv-excel",
                                   guard=needs_guard, formula_starts=FORMULA_STARTS)
        for text in database_csv.lines(table, ctx, style):
            out.write(text.encode())
        return
    columns, batches = _converted_batches(table, ctx, variant)
    writer.writerow(header(columns, variant))
    for batch in batches:
        writer.writerows(batch)
        out.write(buffer.getvalue().encode())
        buffer.seek(0)
        buffer.truncate()
    out.write(buffer.getvalue().encode())


def write_json(table: Table, ctx: ExportContext, out: IO[bytes]) -> None:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="\n", write_through=False)
    columns, batches = _converted_batches(table, ctx, "json")
    names = [c.name for c in columns]
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    text.write("[")
    separator = "\n"
    for batch in batches:
        for row in batch:
            text.write(separator)
            text.write(dumps(dict(zip(names, row, strict=True))))
            separator = ",\n"
    text.write("\n]\n")
    text.flush()
    text.detach()


# --- the data package: datapackage.json, README, SHA256SUMS -------------------------------------

def file_name(table: Table, variant: str) -> str:
    return f"{table.name}.{'json' if variant == 'json' else 'csv'}"


def _field(column: Column, variant: str) -> dict:
    german = variant == "csv-excel"
    described: dict[str, Any] = {
        "name": column.title_de if german else column.name,
        "type": column.type,
        "title": column.title_de if german else column.title_en,
        "description": column.description_de if german else column.description_en,
        "x_name": column.name,
        "x_title_de": column.title_de,
        "x_description_de": column.description_de,
    }
    if column.unit:
        described["x_unit"] = column.unit
    if column.values:
        described["constraints"] = {"enum": list(column.values)}
    if german and column.type == "number":
        described["decimalChar"] = ","
    if german and column.type == "boolean":
        described["trueValues"], described["falseValues"] = ["ja"], ["nein"]
    if german and column.type == "datetime":
        described["format"] = EXCEL_DATETIME  # local time in Europe/Berlin
    return described


def datapackage(ctx: ExportContext, variant: str) -> dict:
    round_ = ctx.round
    resources = []
    for table in tables_for(ctx):
        resource: dict[str, Any] = {
            "name": table.name,
            "path": file_name(table, variant),
            "profile": "tabular-data-resource",
            "title": table.title_de if variant == "csv-excel" else table.title_en,
            "description": table.description_de if variant == "csv-excel" else table.description_en,
            "x_title_de": table.title_de,
            "x_description_de": table.description_de,
            "schema": {"fields": [_field(c, variant) for c in table.columns_for(ctx)]},
        }
        if variant == "json":
            resource.update(format="json", mediatype="application/json", encoding="utf-8")
        else:
            resource.update(format="csv", mediatype="text/csv", encoding="utf-8-sig" if variant == "csv-excel"
                            else "utf-8")
            resource["dialect"] = {"delimiter": ";" if variant == "csv-excel" else ",", "lineTerminator": "\r\n",
                                   "quoteChar": '"', "doubleQuote": True, "header": True}
        note = table.note_de if variant == "csv-excel" else table.note_en
        if note:
            resource["x_note"] = note
        resources.append(resource)
    return {
        "profile": "tabular-data-package",
        "name": f"beteiligungsrunde-{round_.id}" + ("-open-data" if ctx.open_data else ""),
        "title": round_.title_de,
        "description": (f"Ergebnisse der Beteiligungsrunde {round_.id} ({round_.title_de}), "
                        + ("offene Daten." if ctx.open_data else "Export der Verwaltung (nicht öffentlich).")),
        "licenses": [LICENSE] if ctx.open_data else [],
        "created": ctx.exported_at.isoformat(timespec="seconds"),
        "x_round": info(ctx),
        "resources": resources,
    }


def info(ctx: ExportContext) -> dict:
    """What the files are about (the Info sheet, the README, datapackage.json)."""
    round_ = ctx.round
    return {
        "round_id": round_.id,
        "title": round_.title_de,
        "strategy_version": round_.version.number,
        "opens_at": round_.opens_at.isoformat(timespec="seconds"),
        "closes_at": round_.closes_at.isoformat(timespec="seconds"),
        "state": round_.state,
        "open_data": ctx.open_data,
        "comments_included": list(ctx.comment_states),
        "exported_at": ctx.exported_at.isoformat(timespec="seconds"),
        "license": LICENSE["title"] if ctx.open_data else "nicht zur Veröffentlichung / not for publication",
        "analysis": ctx.analysis,
    }


def analysis_lines(parameters: dict | None) -> list[tuple[str, str]]:
    """The analysis parameters as (label, text) for the Info sheet and the README."""
    if not parameters:
        return []
    versions = ", ".join(f"{name} {version}" for name, version in parameters["versions"].items())
    k = parameters.get("k")
    return [
        ("Analyse: Meinungsgruppen k / opinion groups k", "keine / none" if k is None else str(k)),
        ("Analyse: Startwert / seed", str(parameters["seed"])),
        ("Analyse: Bibliotheken / libraries", versions),
        ("Analyse: Parameter / parameters", json.dumps(parameters, ensure_ascii=False, sort_keys=True)),
    ]


PRIVACY_DE = """\
Datenschutz: Die Dateien enthalten keine E-Mail-Adressen und keine Namen. Teilnehmende erscheinen
unter einem Pseudonym, das nur in dieser Runde gilt (HMAC der Konto-Id mit einem Schlüssel je Runde);
dieselbe Person hat in einer anderen Runde ein anderes Pseudonym. Offline-Teilnehmende (Papier,
Workshop, Telefon) erscheinen unter der Nummer ihres Fragebogens. Offene Daten enthalten nur
öffentlich sichtbare Kommentare; Stadtbezirke mit weniger als 5 Teilnehmenden sind leer.
Text, der mit =, +, -, @, Tabulator oder Wagenrücklauf beginnt, steht in CSV-Dateien mit einem
vorangestellten ' (kein Tabellenprogramm soll ihn als Formel ausführen)."""

PRIVACY_EN = """\
Privacy: the files hold no e-mail addresses and no names. Participants appear under a pseudonym
valid in this round only (an HMAC of the account id under a key per round); the same person has
another pseudonym in another round. Offline participants (paper, workshop, phone) appear under
the id of their ballot. Open data holds only comments visible to the public; districts with fewer
than 5 participants are empty. Text beginning with =, +, -, @, tab or carriage return carries a
leading ' in the CSV files (so that no spreadsheet runs it as a formula)."""


def readme(ctx: ExportContext, variant: str) -> str:
    round_ = ctx.round
    about = info(ctx)
    lines = [
        f"# Beteiligungsrunde {round_.id}: {round_.title_de}",
        "",
        f"Strategieversion {about['strategy_version']}, {about['opens_at']} bis {about['closes_at']}, "
        f"Stand: {about['state']}. Exportiert: {about['exported_at']}.",
        f"{'Offene Daten' if ctx.open_data else 'Export der Verwaltung – nicht zur Veröffentlichung'}. "
        f"Lizenz / licence: {about['license']}.",
        "",
        {"csv-excel": "Format: CSV für deutsches Excel (UTF-8 mit BOM, Semikolon, Dezimalkomma, Zeiten in "
                      "Europe/Berlin, deutsche Spaltentitel).",
         "csv": "Format: CSV (RFC 4180, UTF-8, comma, decimal point, ISO 8601 times with offset, English "
                "column names).",
         "json": "Format: JSON, one array of objects per table (English names, ISO 8601 times)."}[variant],
        "Jede Spalte ist in datapackage.json beschrieben (Frictionless Data Package); SHA256SUMS enthält "
        "die Prüfsummen. / Every column is described in datapackage.json; SHA256SUMS holds the checksums.",
        "",
        PRIVACY_DE,
        "",
        PRIVACY_EN,
        "",
    ]
    analysis = analysis_lines(about["analysis"])
    if analysis:
        lines += ["## Analyse / analysis", "",
                  "Meinungsgruppen, Konsens und Gewichtung sind mit diesen Parametern aus der Tabelle ratings "
                  "(Frage agreement) berechnet. / Opinion groups, consensus and weighting are computed from the "
                  "ratings table (question agreement) with these parameters.", ""]
        lines += [f"- {label}: {text}" for label, text in analysis]
        lines.append("")
    for table in tables_for(ctx):
        lines += [f"## {file_name(table, variant)} – {table.title_de} / {table.title_en}", "",
                  table.description_de, "", table.description_en, ""]
        if table.note_de:
            lines += [f"{table.note_de} / {table.note_en}", ""]
        for column in table.columns_for(ctx):
            name = column.title_de if variant == "csv-excel" else column.name
            lines.append(f"- `{name}` ({column.type}{', ' + column.unit if column.unit else ''}): "
                         f"{column.description_de} / {column.description_en}")
        lines.append("")
    return "\n".join(lines)


class _Hashing(io.RawIOBase):
    """Passes bytes on and keeps their SHA-256."""

    def __init__(self, target: IO[bytes]) -> None:
        self.target = target
        self.hash = hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.hash.update(data)
        self.target.write(data)
        return len(data)


def write_zip(ctx: ExportContext, out: IO[bytes], variant: str) -> None:
    """The tables, datapackage.json, README.md and SHA256SUMS, each member written as a stream."""
    sums: list[tuple[str, str]] = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        def member(name: str, write: Callable[[IO[bytes]], None]) -> None:
            with archive.open(name, "w", force_zip64=True) as raw:
                hashing = _Hashing(raw)
                buffered = io.BufferedWriter(hashing, buffer_size=1 << 16)
                write(buffered)
                buffered.flush()
                buffered.detach()
            sums.append((hashing.hash.hexdigest(), name))

        for table in tables_for(ctx):
            if variant == "json":
                member(file_name(table, variant), lambda out, table=table: write_json(table, ctx, out))
            else:
                member(file_name(table, variant), lambda out, table=table: write_csv(table, ctx, out, variant))
        package = json.dumps(datapackage(ctx, variant), ensure_ascii=False, indent=2).encode()
        member("datapackage.json", lambda out: out.write(package))
        text = readme(ctx, variant).encode()
        member("README.md", lambda out: out.write(text))
        archive.writestr("SHA256SUMS", "".join(f"{digest}  {name}\n" for digest, name in sums))


# --- XLSX ----------------------------------------------------------------------------------------

def write_xlsx(ctx: ExportContext, out: IO[bytes]) -> None:
    """A sheet per table, an Info and a Datenwörterbuch sheet; frozen header, autofilter."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    tables = tables_for(ctx)

    def start_sheet(title: str, titles: list[str], widths: list[int]):
        sheet = book.create_sheet(title[:31])
        sheet.freeze_panes = "A2"
        for i, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = width
        cells = []
        for text in titles:
            cell = WriteOnlyCell(sheet, value=text)
            cell.font = bold
            cells.append(cell)
        sheet.append(cells)
        return sheet

    def close_sheet(sheet, width: int, rows: int) -> None:
        sheet.auto_filter.ref = f"A1:{get_column_letter(width)}{rows + 1}"

    def text_cell(sheet, value: str):
        # Characters XML cannot hold (most C0 controls) would stop openpyxl: left out, as in the
        # tables' cells below.
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        cell.data_type = "s"  # openpyxl would take a leading "=" for a formula
        return cell

    # The Info sheet comes first but is filled last: the analysis parameters on it are computed
    # (in a child process) while the tables are written.
    info_sheet = start_sheet("Info", ["Angabe", "Wert"], [28, 80])

    dictionary_titles = ["Tabelle", "Blatt", "Spalte", "Spaltentitel", "Typ", "Einheit", "Erlaubte Werte",
                         "Beschreibung", "Description"]
    sheet = start_sheet("Datenwörterbuch", dictionary_titles, [14, 16, 20, 24, 10, 12, 30, 70, 70])
    count = 0
    for table in tables:
        for column in table.columns_for(ctx):
            values = ", ".join(str(v) for v in column.values) if column.values else ""
            sheet.append([table.name, table.title_de, column.name, text_cell(sheet, column.title_de), column.type,
                          column.unit or "", text_cell(sheet, values), text_cell(sheet, column.description_de),
                          text_cell(sheet, column.description_en)])
            count += 1
    close_sheet(sheet, len(dictionary_titles), count)

    for table in tables:
        columns = table.columns_for(ctx)
        titles = header(columns, "xlsx")
        widths = [max(10, min(60, len(t) + 4)) if c.type != "datetime" else 20 for t, c in zip(titles, columns,
                                                                                              strict=True)]
        kinds = [c.type for c in columns]
        formats = [c.number_format for c in columns]
        strings = [i for i, kind in enumerate(kinds) if kind == "string"]
        times = [i for i, kind in enumerate(kinds) if kind == "datetime"]
        booleans = [i for i, kind in enumerate(kinds) if kind == "boolean"]
        formatted = [i for i, number_format in enumerate(formats) if number_format]
        part, sheet, rows = 1, start_sheet(table.title_de, titles, widths), 0
        for raw in table.rows(ctx):
            if rows == XLSX_ROWS_PER_SHEET:
                close_sheet(sheet, len(columns), rows)
                part += 1
                sheet, rows = start_sheet(f"{table.title_de} ({part})", titles, widths), 0
            row = raw
            for i in strings:
                value = row[i]
                if value:
                    if ILLEGAL_CHARACTERS_RE.search(value):
                        value = row[i] = ILLEGAL_CHARACTERS_RE.sub("", value)
                    if value[0] == "=":
                        row[i] = text_cell(sheet, value)
            for i in times:
                if row[i] is not None:
                    row[i] = datetime.fromisoformat(_excel_datetime(row[i]))
            for i in booleans:
                if row[i] is not None:
                    row[i] = bool(row[i])
            for i in formatted:
                if row[i] is not None:
                    cell = WriteOnlyCell(sheet, value=row[i])
                    cell.number_format = formats[i]
                    row[i] = cell
            sheet.append(row)
            rows += 1
        close_sheet(sheet, len(columns), rows)

    about = info(ctx)
    sheet = info_sheet
    labels = {
        "round_id": "Runde", "title": "Titel", "strategy_version": "Strategieversion", "opens_at": "Beginn",
        "closes_at": "Ende", "state": "Stand", "open_data": "Offene Daten", "comments_included": "Kommentare (Status)",
        "exported_at": "Exportiert", "license": "Lizenz",
    }
    count = 0
    for key, label in labels.items():
        value = about[key]
        if isinstance(value, bool):
            value = "ja" if value else "nein"
        elif isinstance(value, list):
            value = ", ".join(value)
        sheet.append([label, text_cell(sheet, str(value))])
        count += 1
    for label, text in (*analysis_lines(about["analysis"]), ("Datenschutz", PRIVACY_DE), ("Privacy", PRIVACY_EN)):
        sheet.append([label, text_cell(sheet, text.replace("\n", " "))])
        count += 1
    close_sheet(sheet, 2, count)

    book.save(out)
