"""The service network's figures as files: ``/network.csv`` (the stable interface: UTF-8 with BOM,
``;``, decimal comma, one row per ORP × needs area, the header below exactly), ``/network.xlsx`` and
the sheet ``Síť služeb`` of the spend workbook — all from ``minitendr.network.coverage.cells``."""

from __future__ import annotations

import codecs
import csv
import io
from decimal import Decimal
from typing import IO

import xlsxwriter

from minitendr import clock
from minitendr.auth.models import User
from minitendr.formatting import datetime as format_datetime
from minitendr.network.coverage import Cell, NetworkFilters, cells, gaps
from minitendr.permissions import can_read_network
from minitendr.reports.exports import csv_text

HEADER = (
    "ORP kód",
    "ORP",
    "Kraj",
    "Oblast potřeb",
    "Poptávky",
    "Zadané",
    "Nezadané",
    "S jedinou nabídkou",
    "Hodnota dílčích smluv (Kč)",
    "Služby v katalogu",
    "Minimum modelu",
    "Děti 0–14",
    "Kč na dítě",
)
SHEET = "Síť služeb"


def row(cell: Cell) -> tuple:
    """One ORP × needs area in the order of ``HEADER`` (money as Decimal, a missing figure as None)."""
    return (
        cell.orp_code,
        cell.orp_name,
        cell.kraj_name,
        cell.need_label,
        cell.published,
        cell.awarded,
        cell.unmet,
        cell.single_bid,
        cell.value,
        cell.services,
        cell.model_minimum,
        cell.children,
        cell.value_per_child,
    )


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    if isinstance(value, int):
        return str(value)
    return csv_text(str(value))


def write_csv(stream: IO[str], rows: list[Cell]) -> int:
    """The rows as CSV for Czech Excel: BOM, ``;``, decimal comma, CRLF; returns the number of rows."""
    stream.write(codecs.BOM_UTF8.decode("utf-8"))
    writer = csv.writer(stream, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    for cell in rows:
        writer.writerow([_csv_value(value) for value in row(cell)])
    return len(rows)


def csv_bytes(filters: NetworkFilters, user: User) -> bytes:
    stream = io.StringIO(newline="")
    write_csv(stream, cells(filters, user))
    return stream.getvalue().encode("utf-8")


def write_sheet(workbook, rows: list[Cell], description: str, user: User, name: str = SHEET) -> None:
    """A sheet of the figures per ORP × needs area (native numbers and formats), with the gaps' reasons."""
    sheet = workbook.add_worksheet(name)
    title = workbook.add_format({"bold": True, "font_size": 14})
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"})
    money = workbook.add_format({"num_format": '#,##0.00 "Kč"'})
    integer = workbook.add_format({"num_format": "#,##0"})
    sheet.write_string(0, 0, "Síť služeb podle ORP a oblastí potřeb", title)
    sheet.write_string(1, 0, f"Filtry: {description}")
    sheet.write_string(2, 0, f"Exportováno {format_datetime(clock.now())} (Europe/Prague), uživatel {user.email}")
    first = 4
    columns = [*HEADER, "Priorita", "Medián pracovních dnů do zadání", "Mezera"]
    sheet.write_row(first, 0, columns, header)
    money_columns = {8, 12}
    for i, cell in enumerate(rows, start=first + 1):
        values = [*row(cell), cell.priority, cell.median_days, " ".join(cell.gap_reasons)]
        for j, value in enumerate(values):
            if value is None:
                sheet.write_blank(i, j, None)
            elif isinstance(value, Decimal | int):
                sheet.write_number(i, j, float(value), money if j in money_columns else integer)
            else:
                sheet.write_string(i, j, str(value))
    for j, width in enumerate((8, 24, 22, 20, 10, 10, 10, 12, 20, 11, 11, 11, 14, 9, 14, 60)):
        sheet.set_column(j, j, width)
    sheet.freeze_panes(first + 1, 0)
    sheet.autofilter(first, 0, first + max(1, len(rows)), len(columns) - 1)


def xlsx_bytes(filters: NetworkFilters, user: User) -> bytes:
    """The workbook of ``/network.xlsx``: every ORP × area, then the gaps worst first."""
    found = cells(filters, user)
    target = io.BytesIO()
    workbook = xlsxwriter.Workbook(target, {"in_memory": True})
    write_sheet(workbook, found, filters.describe(), user)
    write_sheet(workbook, gaps(found), filters.describe(), user, name="Mezery")
    workbook.close()
    return target.getvalue()


def spend_sheet(workbook, filters, user: User) -> None:
    """The sheet ``Síť služeb`` of the spend workbook, for its filters (kraj, ORP, category, year; the
    network has no provider), when the user reads the network's figures."""
    kraj = filters.kraj or (filters.orp.kraj if filters.orp else None)
    if not can_read_network(user, kraj):
        return
    network = NetworkFilters(kraj=filters.kraj, orp=filters.orp, category=filters.category, year=filters.year)
    write_sheet(workbook, cells(network, user), network.describe(), user)
