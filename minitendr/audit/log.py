"""The audit log: the trail browsable across objects, filtered by object, user, event type and date,
newest first a page at a time, and exported to CSV and Excel.

Who reads which events is the query's business (``permissions.audit_scope``): a kraj official its
kraj's objects, and no one a bid's or its scoring's events before the envelopes of its minitender are
opened — then not even who bid. The events read as the object's history does (``labels.details``).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
import xlsxwriter
from flask import url_for

from minitendr import clock, formatting, search
from minitendr.audit import labels
from minitendr.audit.models import ANONYMOUS_ACTORS, AuditEvent
from minitendr.audit.service import HISTORY_PAGES, NEWEST_FIRST
from minitendr.auth.models import User
from minitendr.db import db
from minitendr.pagination import Page, paginate
from minitendr.reports.exports import csv_text

FILTERS = ("object", "ref", "user", "action", "since", "until")
# The longest text a filter takes (an e-mail address is the longest); more is a typo or an attack.
MAX_FILTER = 254


def unsealed() -> sa.ColumnElement[bool]:
    """Events that are not of a bid, or of a bid whose minitender's envelopes are open."""
    from minitendr.bids.models import Bid, EnvelopeOpening

    opened = sa.select(Bid.id).join(EnvelopeOpening, EnvelopeOpening.demand_id == Bid.demand_id)
    return sa.or_(AuditEvent.object_type != "bid", AuditEvent.object_id.in_(opened))


def of_kraj(kraj_id: int | None) -> sa.ColumnElement[bool]:
    """Events of the objects of one kraj: its minitenders (and their bids and documents), sub-contracts,
    framework contracts, network models, catalogue, follow-ups and the kraj itself. Registers kept
    nationally (providers, accounts, service types) are no kraj's."""
    from minitendr.bids.models import Bid
    from minitendr.contracts.models import SubContract
    from minitendr.demands.models import Demand
    from minitendr.documents.models import Document
    from minitendr.frameworks.models import FrameworkContract
    from minitendr.network.models import CatalogueService, NetworkModel
    from minitendr.outcomes.models import FollowUp
    from minitendr.registry.models import Orp

    orps = sa.select(Orp.id).where(Orp.kraj_id == kraj_id)
    demands = sa.select(Demand.id).where(Demand.orp_id.in_(orps))
    subcontracts = sa.select(SubContract.id).where(SubContract.orp_id.in_(orps))
    owned = {
        "demand": demands,
        "bid": sa.select(Bid.id).where(Bid.demand_id.in_(demands)),
        "subcontract": subcontracts,
        "framework_contract": sa.select(FrameworkContract.id).where(FrameworkContract.kraj_id == kraj_id),
        "network_model": sa.select(NetworkModel.id).where(NetworkModel.kraj_id == kraj_id),
        "catalogue_service": sa.select(CatalogueService.id).where(CatalogueService.kraj_id == kraj_id),
        "follow_up": sa.select(FollowUp.id).where(FollowUp.kraj_id == kraj_id),
        "document": sa.select(Document.id).where(
            sa.or_(Document.demand_id.in_(demands), Document.subcontract_id.in_(subcontracts))
        ),
    }
    return sa.or_(
        sa.and_(AuditEvent.object_type == "kraj", AuditEvent.object_id == kraj_id),
        *(sa.and_(AuditEvent.object_type == kind, AuditEvent.object_id.in_(ids)) for kind, ids in owned.items()),
    )


# --- the filters ---------------------------------------------------------------------------------
@dataclass
class LogFilters:
    """The log's filters as typed (kept in the URL and in every link), and a Czech message per field
    that could not be read."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    since: dt.date | None = None
    until: dt.date | None = None

    @property
    def kept(self) -> dict[str, str]:
        """The filters for a link: only those given."""
        return {key: value for key, value in self.values.items() if value}

    def describe(self) -> str:
        parts = []
        if self.values["object"]:
            parts.append(f"objekt: {labels.object_label(self.values['object'])} {self.values['ref']}".strip())
        elif self.values["ref"]:
            parts.append(f"objekt: {self.values['ref']}")
        if self.values["user"]:
            parts.append(f"uživatel: {self.values['user']}")
        if self.values["action"]:
            parts.append(f"událost: {labels.action_label(self.values['action'])}")
        if self.since:
            parts.append(f"od {self.since:%d. %m. %Y}")
        if self.until:
            parts.append(f"do {self.until:%d. %m. %Y}")
        return ", ".join(parts) or "bez filtrů"


def filters_from(args: Mapping[str, str]) -> LogFilters:
    """The filters from a query string; what cannot be read gets a message at its field and is not applied."""
    values = {key: (args.get(key) or "").strip() for key in FILTERS}
    filters = LogFilters(values)
    for key, value in values.items():
        if len(value) > MAX_FILTER or "\x00" in value:
            filters.errors[key] = "Hodnota filtru je příliš dlouhá nebo neplatná."
            values[key] = ""
    if values["object"] and values["object"] not in labels.OBJECTS:
        filters.errors["object"] = "Vyberte druh objektu ze seznamu."
        values["object"] = ""
    if values["action"] and values["action"] not in labels.ACTIONS:
        filters.errors["action"] = "Vyberte událost ze seznamu."
        values["action"] = ""
    if values["ref"] and not values["object"] and "object" not in filters.errors:
        filters.errors["ref"] = "K číslu objektu vyberte i jeho druh."
    for key in ("since", "until"):
        if values[key]:
            try:
                setattr(filters, key, search.read_date(values[key]))
            except ValueError:
                filters.errors[key] = search.DATE_MESSAGE
    if filters.since and filters.until and filters.since > filters.until:
        filters.errors["until"] = "Datum „do“ nesmí být před datem „od“."
        filters.until = None
    return filters


def _object_id(kind: str, ref: str) -> int | None:
    """The id of the object of ``kind`` that ``ref`` names: its number (IČO, e-mail, kraj code) or id."""
    from minitendr.contracts.models import SubContract
    from minitendr.demands.models import Demand
    from minitendr.frameworks.models import FrameworkContract
    from minitendr.providers.models import Provider
    from minitendr.registry.models import Kraj

    by_name = {
        "demand": Demand.number,
        "subcontract": SubContract.number,
        "framework_contract": FrameworkContract.number,
        "provider": Provider.ico,
        "user_account": User.email,
        "kraj": Kraj.code,
    }
    if kind in by_name:
        column = by_name[kind]
        # As typed, in capitals (numbers, kraj codes) or in small letters (e-mails): each by its index.
        found = db.session.scalar(sa.select(column.table.c.id).where(column.in_({ref, ref.upper(), ref.lower()})))
        if found is not None:
            return found
    if ref.isascii() and ref.isdigit() and len(ref) <= 18:
        return int(ref)
    return None


def conditions(filters: LogFilters) -> list[sa.ColumnElement[bool]]:
    """The filters as conditions on the events (an object or user that does not exist selects nothing)."""
    values, where = filters.values, []
    if values["object"]:
        where.append(AuditEvent.object_type == values["object"])
        if values["ref"] and "ref" not in filters.errors:
            object_id = _object_id(values["object"], values["ref"])
            where.append(sa.false() if object_id is None else AuditEvent.object_id == object_id)
    if values["user"]:
        typed = values["user"]
        actor = db.session.scalar(sa.select(User.id).where(User.email.in_({typed, typed.lower()})))
        where.append(sa.false() if actor is None else AuditEvent.actor_id == actor)
        # Who asked a question is known to no one: filtering by the asker must not tell.
        where.append(AuditEvent.action.not_in(list(ANONYMOUS_ACTORS)))
    if values["action"]:
        where.append(AuditEvent.action == values["action"])
    if filters.since:
        where.append(AuditEvent.occurred_at >= search.start_of(filters.since))
    if filters.until:
        where.append(AuditEvent.occurred_at < search.start_of(filters.until + dt.timedelta(days=1)))
    return where


def _events(user: User, filters: LogFilters) -> sa.Select:
    from minitendr.permissions import audit_scope

    return sa.select(AuditEvent).where(audit_scope(user), *conditions(filters))


# --- the page ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LogObject:
    """How a row names its object, and where it leads (None: no page of its own)."""

    text: str
    url: str | None


def _object_names(events: list[AuditEvent]) -> dict[tuple[str, int], LogObject]:
    """The page's objects by (type, id), named and linked, read in one statement."""
    from minitendr.bids.models import Bid
    from minitendr.contracts.models import SubContract
    from minitendr.demands.models import Demand
    from minitendr.documents.models import Document
    from minitendr.frameworks.models import FrameworkContract
    from minitendr.network.models import CatalogueService, NetworkModel
    from minitendr.outcomes.models import FollowUp
    from minitendr.providers.models import Provider
    from minitendr.registry.models import Kraj, ServiceType

    names: dict[str, Any] = {
        "demand": (Demand.id, Demand.number, None),
        "subcontract": (SubContract.id, SubContract.number, None),
        "framework_contract": (FrameworkContract.id, FrameworkContract.number, None),
        "provider": (Provider.id, Provider.name, None),
        "user_account": (User.id, User.email, None),
        "kraj": (Kraj.id, Kraj.name, None),
        "service_type": (ServiceType.id, ServiceType.name, None),
        "network_model": (NetworkModel.id, NetworkModel.name, None),
        "catalogue_service": (CatalogueService.id, CatalogueService.name, None),
        "follow_up": (FollowUp.id, FollowUp.label, None),
        "document": (Document.id, Document.file_name, None),
        # A bid by its minitender: which provider's it is, its own events say once they may be read.
        "bid": (Bid.id, Demand.number, Bid.demand_id),
    }
    wanted: dict[str, set[int]] = {}
    for event in events:
        if event.object_id is not None and event.object_type in names:
            wanted.setdefault(event.object_type, set()).add(event.object_id)
    if not wanted:
        return {}
    # One statement for all kinds on the page: a page of twelve kinds of objects costs no more.
    parts = []
    for kind, ids in wanted.items():
        id_column, name_column, demand_column = names[kind]
        part = sa.select(
            sa.literal(kind, sa.String).label("kind"),
            id_column.label("id"),
            sa.cast(name_column, sa.String).label("name"),
            (demand_column if demand_column is not None else sa.cast(sa.null(), sa.Integer)).label("demand_id"),
        ).where(id_column.in_(ids))
        if kind == "bid":
            part = part.join(Demand, Demand.id == Bid.demand_id)
        parts.append(part)
    rows = db.session.execute(sa.union_all(*parts)) if len(parts) > 1 else db.session.execute(parts[0])
    return {(kind, id_): LogObject(name, _object_url(kind, id_, demand_id)) for kind, id_, name, demand_id in rows}


def _object_url(kind: str, object_id: int, demand_id: int | None) -> str | None:
    if kind == "bid" and demand_id is not None:
        return url_for("demands.detail", demand_id=demand_id)
    if kind in HISTORY_PAGES:
        endpoint, argument = HISTORY_PAGES[kind]
        values: dict[str, Any] = {argument: object_id}
        return url_for(endpoint, **values, _anchor="historie")
    return None


@dataclass(frozen=True)
class LogPage:
    page: Page[AuditEvent]
    objects: dict[tuple[str, int], LogObject]

    def object_of(self, event: AuditEvent) -> LogObject | None:
        return self.objects.get((event.object_type, event.object_id)) if event.object_id is not None else None


def audit_log(user: User, filters: LogFilters) -> LogPage:
    """One page of the events ``user`` may read that the filters select, newest first (keyset: the
    cursor in the URL). A few statements however long the trail: the page, then the names of its objects."""
    page: Page[AuditEvent] = paginate(_events(user, filters), NEWEST_FIRST, lambda event: (event.id,))
    labels.load_names(page.items)
    return LogPage(page, _object_names(page.items))


# --- exports -------------------------------------------------------------------------------------
COLUMNS = ("Kdy", "Kdo", "Událost", "Kód události", "Objekt", "Označení objektu", "Údaje")
EXPORT_BATCH = 1000


def export_rows(user: User, filters: LogFilters) -> Iterator[tuple[str, ...]]:
    """Every event the filters select, newest first, as the columns of ``COLUMNS`` (texts in Czech),
    read in batches by the same keyset as the page."""
    stmt = _events(user, filters)
    last: int | None = None
    while True:
        batch_stmt = stmt if last is None else stmt.where(AuditEvent.id < last)
        events = list(db.session.scalars(batch_stmt.order_by(AuditEvent.id.desc()).limit(EXPORT_BATCH)))
        if not events:
            return
        objects = _object_names(events)
        labels.load_names(events)
        for event in events:
            named = objects.get((event.object_type, event.object_id)) if event.object_id is not None else None
            yield (
                formatting.datetime(event.occurred_at),
                event.shown_actor,
                labels.action_label(event.action),
                event.action,
                labels.object_label(event.object_type),
                named.text if named else ("" if event.object_id is None else f"#{event.object_id}"),
                "; ".join(f"{label}: {text}" for label, text in labels.details(event)),
            )
        last = events[-1].id


def csv_bytes(user: User, filters: LogFilters) -> bytes:
    """The log as CSV for Czech Excel (UTF-8 with BOM, ``;``, CRLF); no cell can start a formula."""
    stream = io.StringIO(newline="")
    stream.write(codecs.BOM_UTF8.decode("utf-8"))
    writer = csv.writer(stream, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in export_rows(user, filters):
        writer.writerow([csv_text(value) for value in row])
    return stream.getvalue().encode("utf-8")


def xlsx_bytes(user: User, filters: LogFilters) -> bytes:
    """The log as a workbook: a title, the filters and the time of export, then one row per event
    (written as strings: a text that looks like a formula stays a text)."""
    target = io.BytesIO()
    workbook = xlsxwriter.Workbook(target, {"in_memory": True, "strings_to_formulas": False})
    sheet = workbook.add_worksheet("Auditní záznam")
    bold = workbook.add_format({"bold": True, "font_size": 14})
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    sheet.write_string(0, 0, "Auditní záznam", bold)
    sheet.write_string(1, 0, f"Filtry: {filters.describe()}")
    sheet.write_string(2, 0, f"Exportováno {formatting.datetime(clock.now())} (Europe/Prague), uživatel {user.email}")
    first = 4
    sheet.write_row(first, 0, COLUMNS, header)
    row_index = first
    for row_index, row in enumerate(export_rows(user, filters), start=first + 1):
        for column, value in enumerate(row):
            sheet.write_string(row_index, column, value, wrap if column == len(COLUMNS) - 1 else None)
    for column, width in enumerate((17, 28, 32, 24, 18, 24, 80)):
        sheet.set_column(column, column, width)
    sheet.freeze_panes(first + 1, 0)
    sheet.autofilter(first, 0, max(row_index, first + 1), len(COLUMNS) - 1)
    workbook.close()
    return target.getvalue()
