"""Spend exports: the Excel workbook (XlsxWriter, constant memory) and the CSV of detail rows.

Both stream the detail rows from the database in batches; totals are summed as Decimals, so they
equal the database's to the haléř.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import IO, Any

import sqlalchemy as sa
import xlsxwriter

from minitendr import clock
from minitendr.auth.models import User
from minitendr.contracts.models import SubContract, SubContractStatus
from minitendr.db import db
from minitendr.formatting import datetime as format_datetime
from minitendr.providers.models import Provider
from minitendr.registry.models import Kraj, Orp, ServiceCategory, ServiceType
from minitendr.reports import service
from minitendr.reports.service import Filters
from minitendr.reports.summary import drawn_per_subcontract

SOUHRN_COLUMNS = ("Kraj", "Kategorie", "Počet dílčích smluv", "Smluvní hodnota (Kč)", "Vyčerpáno (Kč)")
DETAIL_COLUMNS = (
    "Číslo",
    "Kraj",
    "ORP",
    "Kategorie",
    "Typ služby",
    "Poskytovatel",
    "IČO",
    "Uzavřena",
    "Začátek",
    "Konec",
    "Jednotky",
    "Cena za jednotku (Kč)",
    "Smluvní hodnota (Kč)",
    "Vyčerpáno (Kč)",
    "Stav",
)
BATCH = 5000
HEADER_ROW = 4  # rows 0–2: title, filters, time of export


def detail_count(filters: Filters, user: User) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count(SubContract.id)).where(*service.subcontract_conditions(filters, user))
        )
        or 0
    )


def _detail_select(*columns) -> sa.Select:
    """The detail rows' FROM and WHERE: every sub-contract in scope and filters, with its confirmed
    drawdowns, streamed in batches; the caller chooses the form of the values."""
    return (
        sa.select(*columns)
        .select_from(SubContract)
        .join(Orp, Orp.id == SubContract.orp_id)
        .join(Kraj, Kraj.id == Orp.kraj_id)
        .join(ServiceCategory, ServiceCategory.id == SubContract.category_id)
        .join(ServiceType, ServiceType.id == SubContract.service_type_id)
        .join(Provider, Provider.id == SubContract.provider_id)
        .order_by(SubContract.id)
        .execution_options(yield_per=BATCH)
    )


def _names():
    return (
        SubContract.number,
        Kraj.name,
        Orp.name,
        ServiceCategory.name,
        ServiceType.name,
        Provider.name,
        Provider.ico,
    )


def detail_rows(filters: Filters, user: User) -> Iterator[tuple]:
    """The detail rows with exact values (dates, Decimal money, the status in Czech)."""
    drawn = drawn_per_subcontract()
    stmt = (
        _detail_select(
            *_names(),
            SubContract.signed_on,
            SubContract.start_date,
            SubContract.end_date,
            SubContract.units,
            SubContract.unit_price,
            SubContract.value,
            sa.func.coalesce(drawn.c.drawn, 0),
            SubContract.status,
        )
        .outerjoin(drawn, drawn.c.subcontract_id == SubContract.id)
        .where(*service.subcontract_conditions(filters, user))
    )
    for row in db.session.execute(stmt):
        yield (*row[:13], service._money(row[13]), row[14].label)


def _excel_day(column) -> sa.ColumnElement[float]:
    """A date as Excel's serial day number, computed by the database."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column - sa.cast(sa.literal("1899-12-30"), sa.Date)
    return sa.func.julianday(column) - sa.func.julianday("1899-12-30")


def excel_rows(filters: Filters, user: User) -> Iterator[sa.Row]:
    """The detail rows as Excel stores them: numbers as doubles and dates as serial days, straight from
    the database (Excel holds doubles anyway; the exact totals come from the SQL sums)."""
    drawn = drawn_per_subcontract()
    postgres = db.session.get_bind().dialect.name == "postgresql"

    def as_float(column):
        # PostgreSQL makes the double itself (float8), which the driver hands over as it is; a numeric
        # would come as a Decimal to be converted, cell by cell. SQLite gives its doubles and integers.
        return sa.cast(column, sa.Float) if postgres else sa.type_coerce(column, sa.Float)

    stmt = (
        _detail_select(
            *_names(),
            _excel_day(SubContract.signed_on),
            _excel_day(SubContract.start_date),
            _excel_day(SubContract.end_date),
            as_float(SubContract.units),
            as_float(SubContract.unit_price),
            as_float(SubContract.value),
            as_float(sa.func.coalesce(drawn.c.drawn, 0)),
            sa.type_coerce(SubContract.status, sa.String),
        )
        .outerjoin(drawn, drawn.c.subcontract_id == SubContract.id)
        .where(*service.subcontract_conditions(filters, user))
    )
    # Core on the session's connection: the ORM would only wrap each row again.
    return db.session.connection().execute(stmt)


def _float(value: Decimal) -> float:
    return float(value)


def _chart(
    workbook,
    sheet,
    kind: str,
    title: str,
    categories: tuple[int, int],
    series,
    count: int,
    size: dict,
    at,
    category_levels: list[list[str]] | None = None,
):
    """A native Excel chart over ``count`` data rows of ``sheet`` (starting below the header row). The
    categories are the columns ``categories`` (first, last): two columns make a two-level axis, e.g. the
    kraj and the category, so that bars of two kraje in one category are told apart. A sheet written in
    constant memory cannot be read back, so such levels come along as ``category_levels`` (one list per
    column) for the chart's cache, which Excel shows until it recalculates."""
    first = HEADER_ROW + 1
    chart = workbook.add_chart({"type": kind})
    for column, name in series:
        chart.add_series(
            {
                "name": name,
                "categories": [sheet.name, first, categories[0], first + count - 1, categories[1]],
                "values": [sheet.name, first, column, first + count - 1, column],
                **({"categories_data": category_levels} if category_levels else {}),
            }
        )
    chart.set_title({"name": title})
    chart.set_size(size)
    sheet.insert_chart(*at, chart)


def write_workbook(
    target: str | IO[bytes], filters: Filters, user: User, progress: Callable[[int, int], None] | None = None
) -> dict[str, Decimal]:
    """The spend workbook: Souhrn, per ORP, per provider, per month, and the detail (constant memory).
    Returns the totals written (for checking against the database)."""
    workbook = xlsxwriter.Workbook(
        target, {"constant_memory": True, "default_date_format": "d.m.yyyy", "in_memory": False}
    )
    bold = workbook.add_format({"bold": True})
    title = workbook.add_format({"bold": True, "font_size": 14})
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"})
    money = workbook.add_format({"num_format": '#,##0.00 "Kč"'})
    money_total = workbook.add_format({"num_format": '#,##0.00 "Kč"', "bold": True, "top": 1})
    integer = workbook.add_format({"num_format": "#,##0"})
    integer_total = workbook.add_format({"num_format": "#,##0", "bold": True, "top": 1})
    units = workbook.add_format({"num_format": "#,##0.00"})
    date = workbook.add_format({"num_format": "d.m.yyyy"})
    exported = f"Exportováno {format_datetime(clock.now())} (Europe/Prague), uživatel {user.email}"

    def heading(sheet, name: str) -> None:
        # write_string, not write: a text is never taken for a formula, whatever a name starts with.
        sheet.write_string(0, 0, name, title)
        sheet.write_string(1, 0, f"Filtry: {filters.describe()}")
        sheet.write_string(2, 0, exported)

    # Souhrn: kraj × category, then the totals.
    matrix = service.matrix(filters, user)
    souhrn = workbook.add_worksheet("Souhrn")
    heading(souhrn, "Čerpání podle krajů a kategorií")
    first = HEADER_ROW
    souhrn.write_row(first, 0, SOUHRN_COLUMNS, header)
    for i, cell in enumerate(matrix, start=first + 1):
        souhrn.write_string(i, 0, cell["kraj"])
        souhrn.write_string(i, 1, cell["category"])
        souhrn.write_number(i, 2, cell["count"], integer)
        souhrn.write_number(i, 3, _float(cell["value"]), money)
        souhrn.write_number(i, 4, _float(cell["drawn"]), money)
    total = service.totals(matrix)
    last = first + len(matrix) + 1
    souhrn.write_string(last, 0, "Celkem", bold)
    souhrn.write_blank(last, 1, None, money_total)
    souhrn.write_number(last, 2, total["count"], integer_total)
    souhrn.write_number(last, 3, _float(total["value"]), money_total)
    souhrn.write_number(last, 4, _float(total["drawn"]), money_total)
    souhrn.freeze_panes(first + 1, 0)
    souhrn.autofilter(first, 0, first + max(1, len(matrix)), len(SOUHRN_COLUMNS) - 1)
    souhrn.set_column(0, 0, 26)
    souhrn.set_column(1, 1, 44)
    souhrn.set_column(2, 2, 12)
    souhrn.set_column(3, 4, 20)
    if matrix:
        _chart(
            workbook,
            souhrn,
            "bar",
            "Smluvní hodnota a čerpání podle krajů a kategorií",
            (0, 1),
            ((3, "Smluvní hodnota"), (4, "Vyčerpáno")),
            len(matrix),
            {"width": 720, "height": 60 + 36 * len(matrix)},
            (1, 6),
            [[cell["kraj"] for cell in matrix], [cell["category"] for cell in matrix]],
        )

    def table(name: str, title_text: str, columns: list[tuple[str, str, object, int]], rows: list[dict]) -> None:
        sheet = workbook.add_worksheet(name)
        heading(sheet, title_text)
        sheet.write_row(first, 0, [c[0] for c in columns], header)
        for i, row in enumerate(rows, start=first + 1):
            for j, (_label, key, fmt, _width) in enumerate(columns):
                value = row[key]
                if isinstance(value, Decimal):
                    sheet.write_number(i, j, _float(value), fmt)
                elif isinstance(value, int):
                    sheet.write_number(i, j, value, fmt)
                else:
                    sheet.write_string(i, j, str(value))
        for j, (_label, _key, _fmt, width) in enumerate(columns):
            sheet.set_column(j, j, width)
        sheet.freeze_panes(first + 1, 0)
        sheet.autofilter(first, 0, first + max(1, len(rows)), len(columns) - 1)
        return sheet

    money_columns = [
        ("Počet dílčích smluv", "count", integer, 12),
        ("Smluvní hodnota (Kč)", "value", money, 20),
        ("Vyčerpáno (Kč)", "drawn", money, 20),
    ]
    table(
        "Podle ORP",
        "Čerpání podle ORP",
        [("Kraj", "kraj", None, 24), ("Kód ORP", "orp_code", None, 9), ("ORP", "orp", None, 24), *money_columns],
        service.per_orp(filters, user),
    )
    table(
        "Podle poskytovatelů",
        "Čerpání podle poskytovatelů",
        [("IČO", "ico", None, 10), ("Poskytovatel", "provider", None, 48), *money_columns],
        service.per_provider(filters, user),
    )
    months = service.monthly(filters, user)
    table(
        "Podle měsíců",
        "Nasmlouváno a vyčerpáno po měsících",
        [
            ("Měsíc", "month", None, 10),
            ("Nasmlouváno (Kč)", "contracted", money, 20),
            ("Vyčerpáno (Kč)", "drawn", money, 20),
        ],
        months,
    )
    if months:
        _chart(
            workbook,
            workbook.get_worksheet_by_name("Podle měsíců"),
            "line",
            "Nasmlouváno a vyčerpáno po měsících",
            (0, 0),
            ((1, "Nasmlouváno"), (2, "Vyčerpáno")),
            len(months),
            {"width": 800, "height": 320},
            (1, 4),
        )

    # The detail: every sub-contract, streamed (constant memory keeps only the current row in memory).
    detail = workbook.add_worksheet("Detail")
    heading(detail, "Dílčí smlouvy")
    detail.write_row(first, 0, DETAIL_COLUMNS, header)
    widths = (20, 22, 20, 30, 34, 40, 10, 11, 11, 11, 10, 14, 18, 18, 16)
    for j, width in enumerate(widths):
        detail.set_column(j, j, width)
    detail.freeze_panes(first + 1, 0)
    count = detail_count(filters, user)
    detail.autofilter(first, 0, first + max(1, count), len(DETAIL_COLUMNS) - 1)
    row_index = first
    # One call per cell, chosen per column once (not by inspecting every value).
    write_string, write_number = detail.write_string, detail.write_number
    labels = {status.value: status.label for status in SubContractStatus}
    texts, dates, numbers = (0, 1, 2, 3, 4, 5, 6), (7, 8, 9), ((10, units), (11, money), (12, money), (13, money))
    for n, row in enumerate(excel_rows(filters, user), start=1):
        row_index += 1
        for j in texts:
            write_string(row_index, j, row[j])
        for j in dates:
            write_number(row_index, j, row[j], date)
        for j, fmt in numbers:
            write_number(row_index, j, row[j], fmt)
        write_string(row_index, 14, labels[row[14]])
        if progress and n % BATCH == 0:
            progress(n, count)
    # --- service network: the sheet "Síť služeb" (minitendr.network.exports), last
    from minitendr.network.exports import spend_sheet

    spend_sheet(workbook, filters, user)
    workbook.close()
    if progress:
        progress(count, count)
    return {"value": total["value"], "drawn": total["drawn"], "rows": Decimal(row_index - first)}


# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets (OWASP "CSV
# injection"): =HYPERLINK(...) in a provider's name would become a live link in an official's sheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: str) -> str:
    """A text as a CSV cell that no spreadsheet evaluates: a leading formula character gets a single
    quote in front (OWASP), which spreadsheets read as "this is text"; other texts stay as they are."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def _sql_text(column) -> sa.ColumnElement[str]:
    """``csv_text`` done by the database."""
    return sa.case((sa.func.substr(column, 1, 1).in_(FORMULA_STARTS), "'" + column), else_=column)


def _sql_money(column) -> sa.ColumnElement[str]:
    """An amount as text with two places and a decimal comma (``1234,50``), formatted by the database:
    exact on PostgreSQL (numeric to text). SQLite keeps a whole amount as an integer, another as a
    double, which ``printf`` rounds to the nearest haléř — what it is (a double holds 15 digits)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.replace(sa.cast(sa.cast(column, sa.Numeric(14, 2)), sa.Text), ".", ",")
    whole = sa.func.typeof(column) == "integer"
    return sa.case(
        (whole, sa.cast(column, sa.Text) + ",00"), else_=sa.func.replace(sa.func.printf("%.2f", column), ".", ",")
    )


def _sql_date(column) -> sa.ColumnElement[str]:
    """A date as Czech ``d.m.yyyy`` without leading zeros, formatted by the database."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(column, "FMDD.FMMM.YYYY")
    # SQLite keeps a date as ISO text; day and month lose their leading zero as numbers.
    day, month = sa.func.substr(column, 9, 2) + 0, sa.func.substr(column, 6, 2) + 0
    return sa.cast(day, sa.Text) + "." + sa.cast(month, sa.Text) + "." + sa.func.substr(column, 1, 4)


def csv_rows(filters: Filters, user: User) -> sa.CursorResult:
    """The detail rows as the CSV cells themselves: every value already text in its Czech form, made by
    the database, so the rows go from the cursor to the writer untouched (PostgreSQL)."""
    drawn = drawn_per_subcontract()
    status = sa.case({s.value: s.label for s in SubContractStatus}, value=sa.type_coerce(SubContract.status, sa.String))
    stmt = (
        _detail_select(
            # The number is the system's and the IČO eight digits: only names need the guard.
            SubContract.number,
            *(_sql_text(column) for column in (Kraj.name, Orp.name, ServiceCategory.name, ServiceType.name)),
            _sql_text(Provider.name),
            Provider.ico,
            *(_sql_date(column) for column in (SubContract.signed_on, SubContract.start_date, SubContract.end_date)),
            *(_sql_money(column) for column in (SubContract.units, SubContract.unit_price, SubContract.value)),
            _sql_money(sa.func.coalesce(drawn.c.drawn, 0)),
            status,
        )
        .outerjoin(drawn, drawn.c.subcontract_id == SubContract.id)
        .where(*service.subcontract_conditions(filters, user))
    )
    # Core on the session's connection: the ORM would only wrap each row again.
    return db.session.connection().execute(stmt)


class _Memo(dict):
    """``make(key)`` for each key, made once."""

    def __init__(self, make: Callable[[Any], Any]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, key: Any) -> Any:
        value = self[key] = self.make(key)
        return value


def _czech_day(iso: str) -> str:
    """``2026-03-05`` (as SQLite keeps a date) as ``5.3.2026``."""
    return f"{int(iso[8:10])}.{int(iso[5:7])}.{iso[:4]}"


def _czech_amount(value: int | float) -> str:
    """An amount as SQLite hands it over — a whole one as an integer, another as a double — with two
    places and a decimal comma: what ``_sql_money`` makes of it (a double holds the 14 digits of an
    amount, and ``%.2f`` rounds it to the haléř it is)."""
    if isinstance(value, int):
        return f"{value},00"
    return f"{value:.2f}".replace(".", ",")


def _sqlite_csv_batches(filters: Filters, user: User) -> Iterator[list[tuple]]:
    """The rows of ``csv_rows`` on SQLite, in batches, made here rather than by SQLite (whose functions
    cost more per cell than the writer itself): the names from the few hundred kraje, ORP, categories,
    service types and the providers, read once and guarded once; each date and status once; the
    amounts by ``_czech_amount``. The rows straight from the driver's cursor."""
    drawn = drawn_per_subcontract()

    def raw(column, kind=sa.String):
        return sa.type_coerce(column, kind)  # as the driver gives it: no conversion per value

    stmt = (
        sa.select(
            SubContract.number,
            SubContract.orp_id,
            SubContract.category_id,
            SubContract.service_type_id,
            SubContract.provider_id,
            *(raw(column) for column in (SubContract.signed_on, SubContract.start_date, SubContract.end_date)),
            *(raw(column, sa.Float) for column in (SubContract.units, SubContract.unit_price, SubContract.value)),
            raw(sa.func.coalesce(drawn.c.drawn, 0), sa.Float),
            raw(SubContract.status),
        )
        .outerjoin(drawn, drawn.c.subcontract_id == SubContract.id)
        .where(*service.subcontract_conditions(filters, user))
        .order_by(SubContract.id)
    )
    orps = {
        orp_id: (csv_text(kraj), csv_text(orp))
        for orp_id, kraj, orp in db.session.execute(sa.select(Orp.id, Kraj.name, Orp.name).join(Kraj))
    }
    categories = {
        id_: csv_text(name) for id_, name in db.session.execute(sa.select(ServiceCategory.id, ServiceCategory.name))
    }
    types = {id_: csv_text(name) for id_, name in db.session.execute(sa.select(ServiceType.id, ServiceType.name))}
    # Every provider (a few thousand nationally): cheaper than finding those of the selection.
    providers = {
        id_: (csv_text(name), ico)
        for id_, name, ico in db.session.execute(sa.select(Provider.id, Provider.name, Provider.ico))
    }
    result = db.session.connection().execute(stmt)
    days, labels = _Memo(_czech_day), {s.value: s.label for s in SubContractStatus}
    amount = _czech_amount
    cursor = result.cursor  # the driver's rows as they are: no Row object each
    try:
        while batch := cursor.fetchmany(BATCH):
            yield [
                (
                    number,
                    *orps[orp_id],
                    categories[category_id],
                    types[type_id],
                    *providers[provider_id],
                    days[signed],
                    days[start],
                    days[end],
                    amount(units),
                    amount(price),
                    amount(value),
                    amount(spent),
                    labels[status],
                )
                for (
                    number,
                    orp_id,
                    category_id,
                    type_id,
                    provider_id,
                    signed,
                    start,
                    end,
                    units,
                    price,
                    value,
                    spent,
                    status,
                ) in batch
            ]
    finally:
        result.close()


def write_csv(stream: IO[str], filters: Filters, user: User) -> int:
    """The detail rows as CSV for Czech Excel — UTF-8 with BOM, ``;`` between fields, decimal comma,
    CRLF — written to ``stream`` (opened with ``newline=""``) as they come from the cursor; returns
    the number of rows."""
    stream.write(codecs.BOM_UTF8.decode("utf-8"))
    writer = csv.writer(stream, delimiter=";", lineterminator="\r\n")
    writer.writerow(DETAIL_COLUMNS)
    count = 0
    batches = (
        _sqlite_csv_batches(filters, user)
        if db.session.get_bind().dialect.name == "sqlite"
        else csv_rows(filters, user).partitions()
    )
    for rows in batches:
        writer.writerows(rows)
        count += len(rows)
    return count
