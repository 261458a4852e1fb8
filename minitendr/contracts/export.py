"""The sub-contract list as a file: CSV for Czech Excel and a workbook, holding exactly the rows the list
shows for the same filters and search (``queries.every_row``), in the list's order.

Nothing here is kept: the file is made for the request, read a thousand rows at a time. The big
national exports with charts and summaries are the spend report's (minitendr.reports)."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator, Mapping
from decimal import Decimal

import xlsxwriter

from minitendr import clock, formatting
from minitendr.auth.models import User
from minitendr.contracts import queries
from minitendr.contracts.models import SubContract
from minitendr.reports.exports import csv_text

COLUMNS = (
    "Číslo",
    "Poskytovatel",
    "IČO",
    "Typ služby",
    "ORP",
    "Uzavřena",
    "Začátek",
    "Konec",
    "Hodnota (Kč)",
    "Vyčerpáno (Kč)",
    "Stav",
)
TEXTS = 5  # the first columns are texts, then three dates, two amounts and a text
# The filters as the workbook names them above the rows.
FILTER_LABELS = {
    "q": "hledat",
    "number": "číslo",
    "service_type": "typ služby",
    "need": "oblast potřeb",
    "since": "uzavřena od",
    "until": "uzavřena do",
    "kraj": "kraj",
    "orp": "ORP",
    "category": "kategorie",
    "provider": "IČO poskytovatele",
    "status": "stav",
    "year": "rok uzavření",
    "registry": "registr smluv",
    "sort": "řazení",
}


def describe(filters: Mapping[str, str]) -> str:
    """The filters applied, in words (codes as typed)."""
    parts = [f"{label}: {filters[key]}" for key, label in FILTER_LABELS.items() if filters.get(key)]
    return ", ".join(parts) or "bez filtrů"


def _rows(user: User, filters: Mapping[str, str]) -> Iterator[tuple[SubContract, Decimal]]:
    choices = queries.filter_choices()
    return queries.every_row(user, filters, choices["kraje"], choices["categories"])


def _texts(subcontract: SubContract) -> tuple[str, ...]:
    return (
        subcontract.number,
        subcontract.provider.name,
        subcontract.provider.ico,
        subcontract.service_type.name,
        subcontract.orp.name,
    )


def _amount(value: Decimal) -> str:
    """``1234,50``: a decimal comma and no thousands separator, as Czech Excel reads a number."""
    return f"{value:.2f}".replace(".", ",")


def csv_bytes(user: User, filters: Mapping[str, str]) -> bytes:
    """The list as CSV for Czech Excel (UTF-8 with BOM, ``;``, CRLF); no cell can start a formula."""
    stream = io.StringIO(newline="")
    stream.write(codecs.BOM_UTF8.decode("utf-8"))
    writer = csv.writer(stream, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for subcontract, spent in _rows(user, filters):
        writer.writerow(
            [
                *(csv_text(text) for text in _texts(subcontract)),
                formatting.date(subcontract.signed_on),
                formatting.date(subcontract.start_date),
                formatting.date(subcontract.end_date),
                _amount(subcontract.value),
                _amount(spent),
                subcontract.status.label,
            ]
        )
    return stream.getvalue().encode("utf-8")


def xlsx_bytes(user: User, filters: Mapping[str, str]) -> bytes:
    """The list as a workbook: a title, the filters and the time of export, then one row
    per sub-contract, dates and amounts as Excel's own (texts stay texts, never formulas)."""
    target = io.BytesIO()
    workbook = xlsxwriter.Workbook(target, {"in_memory": True, "strings_to_formulas": False})
    sheet = workbook.add_worksheet("Dílčí smlouvy")
    bold = workbook.add_format({"bold": True, "font_size": 14})
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    day = workbook.add_format({"num_format": "d. m. yyyy"})
    money = workbook.add_format({"num_format": '# ##0.00" Kč"'})
    sheet.write_string(0, 0, "Dílčí smlouvy", bold)
    sheet.write_string(1, 0, f"Filtry: {describe(filters)}")
    sheet.write_string(2, 0, f"Exportováno {formatting.datetime(clock.now())} (Europe/Prague), uživatel {user.email}")
    first = 4
    sheet.write_row(first, 0, COLUMNS, header)
    row = first
    for row, (subcontract, spent) in enumerate(_rows(user, filters), start=first + 1):
        for column, text in enumerate(_texts(subcontract)):
            sheet.write_string(row, column, text)
        for column, date in enumerate((subcontract.signed_on, subcontract.start_date, subcontract.end_date), TEXTS):
            sheet.write_datetime(row, column, date, day)
        sheet.write_number(row, TEXTS + 3, float(subcontract.value), money)
        sheet.write_number(row, TEXTS + 4, float(spent), money)
        sheet.write_string(row, TEXTS + 5, subcontract.status.label)
    for column, width in enumerate((20, 36, 10, 36, 22, 11, 11, 11, 16, 16, 18)):
        sheet.set_column(column, column, width)
    sheet.freeze_panes(first + 1, 0)
    sheet.autofilter(first, 0, max(row, first + 1), len(COLUMNS) - 1)
    workbook.close()
    return target.getvalue()
