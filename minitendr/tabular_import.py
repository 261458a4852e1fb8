"""Reading a CSV or XLSX file people filled in, row by row, for an all-or-nothing import.

What every import shares (the catalogue's, the providers', the framework parties'): the file's kind
and encoding, its size limits (a zip bomb included), the header matched without case or diacritics,
the rows as texts numbered as in the file (the header is row 1), a report naming each wrong cell, and
downloadable templates in both formats. What a row means is the importing feature's business: it
gets ``(row number, {field: text})`` pairs and adds its ``RowError``s to the report.

A cell that a spreadsheet would take for a formula (``=HYPERLINK(…)``, ``@SUM(…)``, ``-2+3``) is an
error: no register keeps such a text, and a formula in an .xlsx is refused rather than read as its
cached result.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from minitendr.db import DomainError

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000
MAX_COLUMNS = 40
MAX_UNPACKED = 50 * 1024 * 1024
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def plain(text: str) -> str:
    """Lower case without diacritics and extra spaces: how a header or a value is matched."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).lower().split())


@dataclass(frozen=True)
class RowError:
    row: int  # as numbered in the file: the header is row 1
    column: str  # the column's header, "" for the whole row or file
    message: str

    def __str__(self) -> str:
        return f"Řádek {self.row}: {self.message}"


@dataclass
class ImportReport:
    filename: str
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    created: list[Any] = field(default_factory=list)
    checked_only: bool = False  # a check without storing (the preview)

    @property
    def rows_with_errors(self) -> int:
        return len({e.row for e in self.errors})


class ImportRefused(DomainError):
    """The file had errors: nothing was stored; ``report`` says where."""

    def __init__(self, report: ImportReport):
        super().__init__(
            f"Soubor {report.filename} obsahuje chyby ({len(report.errors)}); nic z něj nebylo uloženo. "
            "Opravte řádky podle přehledu níže a nahrajte jej znovu.",
            field="file",
        )
        self.report = report


@dataclass(frozen=True)
class Layout:
    """What a file must look like: its column headers (as the template writes them) → field names,
    which fields are required, and what a row is called ("žádnou službu, jen záhlaví")."""

    columns: dict[str, str]
    required: tuple[str, ...]
    nothing: str = "Soubor neobsahuje žádný řádek s údaji, jen záhlaví."
    max_rows: int = MAX_ROWS

    @property
    def headers(self) -> dict[str, str]:
        """Field name → its header."""
        return {name: header for header, name in self.columns.items()}

    def header(self, name: str) -> str:
        return self.headers.get(name, name)


# --- reading the file ----------------------------------------------------------------------------
def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat") and hasattr(value, "year"):  # a date (or datetime) typed as one
        return f"{value.day}. {value.month}. {value.year}"
    return str(value).strip()


def _read_csv(data: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "cp1250"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # cp1250 decodes nearly every byte; the few it does not (0x81, 0x83, …) land here
        raise DomainError("Soubor CSV není v kódování UTF-8 ani Windows-1250.", field="file")
    if "\x00" in text:
        raise DomainError("Soubor není textový soubor CSV.", field="file")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    try:
        return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except csv.Error as error:
        raise DomainError(f"Soubor CSV nelze přečíst: {error}.", field="file") from error


def _read_xlsx(data: bytes, max_rows: int) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise DomainError("Soubor nelze přečíst jako sešit Excelu (.xlsx).", field="file") from error
    if unpacked > MAX_UNPACKED:  # a small file that unpacks to gigabytes is no register
        raise DomainError("Sešit je po rozbalení příliš velký; rozdělte jej na menší.", field="file")
    try:
        # Not data_only: a formula comes back as its text ("=…") and is refused, not read as a value.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as error:
        raise DomainError("Soubor nelze přečíst jako sešit Excelu (.xlsx).", field="file") from error
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise DomainError("Sešit nemá žádný list.", field="file")
        return [
            [_cell(v) for v in row]
            for row in sheet.iter_rows(max_col=MAX_COLUMNS, max_row=max_rows + 2, values_only=True)
        ]
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError) as error:
        raise DomainError("Sešit Excelu je poškozený a nelze jej přečíst.", field="file") from error
    finally:
        workbook.close()


def read_rows(filename: str, data: bytes, max_rows: int = MAX_ROWS) -> list[list[str]]:
    """The file's rows as texts, by its kind: a workbook (.xlsx, a zip) or a CSV."""
    if not data:
        raise DomainError("Soubor je prázdný.", field="file")
    if len(data) > MAX_BYTES:
        raise DomainError("Soubor je větší než 2 MB; rozdělte jej na menší.", field="file")
    name = filename.lower()
    if data[:4] == b"PK\x03\x04" or name.endswith(".xlsx"):
        return _read_xlsx(data, max_rows)
    if name.endswith((".csv", ".txt")) or not name.rpartition(".")[1]:
        return _read_csv(data)
    raise DomainError("Nahrajte soubor CSV nebo XLSX.", field="file")


_SIGNED_NUMBER = re.compile(r"[+-][\d\s]+")


def formula_error(text: str) -> str | None:
    """Why ``text`` would be a formula in a spreadsheet, or None. A telephone number (+420 …) is not."""
    if not text or text[0] not in "=@+-":
        return None
    if text[0] in "+-" and _SIGNED_NUMBER.fullmatch(text):
        return None
    return f"Text nesmí začínat znakem „{text[0]}“: tabulkový procesor by jej četl jako vzorec."


def read_table(layout: Layout, report: ImportReport, data: bytes) -> list[tuple[int, dict[str, str]]]:
    """Check the file's header and return its non-empty rows as ``(row number, {field: text})``.

    A wrong header (an unknown or doubled column, a required one missing) refuses the file at once,
    with the report; so does a file too big or without rows. Cells that do not belong to any column
    and formula-like texts are added to the report as the rows' errors."""
    rows = read_rows(report.filename, data, layout.max_rows)
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows:
        raise DomainError("Soubor neobsahuje žádné řádky.", field="file")
    known = {plain(header): name for header, name in layout.columns.items()}
    columns: list[str | None] = []
    for position, title in enumerate(plain(h) for h in rows[0]):
        key = known.get(title)
        if title and key is None:
            report.errors.append(RowError(1, rows[0][position], "Neznámý sloupec."))
        if key is not None and key in columns:
            report.errors.append(RowError(1, rows[0][position], "Sloupec je v záhlaví dvakrát."))
        columns.append(key)
    for key in layout.required:
        if key not in columns:
            report.errors.append(RowError(1, layout.header(key), "Chybí povinný sloupec."))
    if report.errors:
        raise ImportRefused(report)
    body = rows[1:]
    if len(body) > layout.max_rows:
        raise DomainError(f"Soubor má více než {layout.max_rows} řádků; rozdělte jej na menší.", field="file")
    result = []
    for number, row in enumerate(body, start=2):
        if not any(row):
            continue
        report.rows += 1
        if len(row) > len(columns) and any(row[len(columns) :]):
            report.errors.append(RowError(number, "", "Řádek má víc buněk než záhlaví."))
        cells = {key: value for key, value in zip(columns, row, strict=False) if key is not None}
        for key, value in cells.items():
            if message := formula_error(value):
                report.errors.append(RowError(number, layout.header(key), message))
        result.append((number, cells))
    if report.rows == 0:
        raise DomainError(layout.nothing, field="file")
    return result


# --- templates -----------------------------------------------------------------------------------
def template_csv(layout: Layout, examples: Iterable[Sequence[str]]) -> bytes:
    """An example file: the header and example rows (UTF-8 with BOM, semicolons: Excel opens it)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(list(layout.columns))
    writer.writerows(examples)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx(layout: Layout, examples: Iterable[Sequence[str]], sheet: str = "Import") -> bytes:
    """The same example as a workbook: every cell text (an IČO keeps its leading zeros), the required
    columns' headers in bold."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    worksheet = workbook.add_worksheet(sheet)
    bold, text = workbook.add_format({"bold": True}), workbook.add_format({"num_format": "@"})
    required = {layout.header(name) for name in layout.required}
    for column, header in enumerate(layout.columns):
        worksheet.write_string(0, column, header, bold if header in required else None)
        worksheet.set_column(column, column, max(14, len(header) + 2), text)
    for row, values in enumerate(examples, start=1):
        for column, value in enumerate(values):
            worksheet.write_string(row, column, value)
    workbook.close()
    return buffer.getvalue()
