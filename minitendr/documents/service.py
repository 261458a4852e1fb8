"""Issuing, keeping and reading the documents: the sub-contract and its amendments (from the kraj's
templates), the opening record and the evaluation protocol (from the pages that show them).

A document is issued once and then only read: the PDF goes to the ``documents`` file store first, its
row (with the SHA-256 of the bytes) follows in the caller's transaction; should that transaction end
without a commit, the file is deleted again, so neither a row without its file nor a stray file stays.
A changed template, or data changed later, never touches a document already issued.

``contract_pdf``, ``amendment_pdf``, ``opening_pdf`` and ``protocol_pdf`` return the stored document,
issuing it first if it is missing (sub-contracts made before documents existed get theirs on the first
request); ``read`` gives its bytes. Functions flush, never commit.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import uuid
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import orm

from minitendr import clock, storage
from minitendr.audit.service import record
from minitendr.contracts import service as contracts
from minitendr.contracts.models import Amendment, SubContract
from minitendr.db import DomainError, db
from minitendr.demands import evaluation
from minitendr.demands import service as demands
from minitendr.demands.models import Demand
from minitendr.documents import pdf, sandbox
from minitendr.documents.models import Document, DocumentKind
from minitendr.frameworks.models import FrameworkContract
from minitendr.privacy import check_no_birth_numbers

log = logging.getLogger(__name__)

AREA = "documents"
DEFAULT_TEMPLATES = {
    "contract_template": "documents/contract_default.j2",
    "amendment_template": "documents/amendment_default.j2",
}
# Files stored in a transaction that has not committed yet: deleted if it ends otherwise.
_PENDING = "minitendr.documents.pending"


# --- the store, tied to the transaction --------------------------------------------------------------
@sa.event.listens_for(orm.Session, "after_commit")
def _keep_stored_files(session: orm.Session) -> None:
    session.info.pop(_PENDING, None)


@sa.event.listens_for(orm.Session, "after_transaction_end")
def _delete_orphaned_files(session: orm.Session, transaction: orm.SessionTransaction) -> None:
    if transaction.parent is not None:  # a savepoint: its outermost transaction decides
        return
    for store, name in session.info.pop(_PENDING, []):
        try:
            store.delete(name)
        except Exception:  # the transaction is over either way; a stray file is harmless, say so
            log.exception("could not delete the document file %s of a transaction that did not commit", name)


def _store(data: bytes, kind: DocumentKind) -> str:
    area = storage.area(AREA)
    name = f"{kind.value}-{uuid.uuid4().hex}.pdf"
    area.put_bytes(name, data)
    db.session().info.setdefault(_PENDING, []).append((area, name))
    return name


def read(document: Document) -> bytes:
    """The document's bytes, exactly as issued (checked against its SHA-256)."""
    data = storage.area(AREA).read_bytes(document.stored_as)
    if hashlib.sha256(data).hexdigest() != document.sha256:
        raise DomainError(f"Soubor dokumentu {document.file_name} neodpovídá svému otisku SHA-256.")
    return data


def _actor() -> Any:
    return current_user._get_current_object() if current_user and current_user.is_authenticated else None


def _issue(
    kind: DocumentKind, html: str, owner: SubContract | Demand, *, number: str, file_name: str, **ids: int
) -> Document:
    data = pdf.html_to_pdf(html)
    digest = hashlib.sha256(data).hexdigest()
    actor = _actor()
    document = Document(
        kind=kind,
        number=number,
        file_name=file_name,
        stored_as=_store(data, kind),
        sha256=digest,
        size=len(data),
        created_at=clock.now(),
        created_by_id=getattr(actor, "id", None),
        **ids,
    )
    db.session.add(document)
    db.session.flush()
    record(
        f"{owner.__tablename__}.document_issued",
        owner,
        {"document": kind.value, "number": file_name, "sha256": digest, "size": len(data)},
    )
    return document


def _existing(*conditions: sa.ColumnElement[bool]) -> Document | None:
    return db.session.scalar(sa.select(Document).where(*conditions))


# --- the kraj's templates --------------------------------------------------------------------------
def template_source(framework: FrameworkContract, field: str) -> str:
    """The framework's template (``contract_template`` or ``amendment_template``), or the default."""
    return getattr(framework, field) or default_template(field)


def default_template(field: str) -> str:
    """The application's template of a kind (``templates/documents/*_default.j2``)."""
    loader = current_app.jinja_loader
    assert loader is not None  # the application's templates folder
    return loader.get_source(current_app.jinja_env, DEFAULT_TEMPLATES[field])[0]


def set_templates(
    framework: FrameworkContract,
    *,
    contract_template: str | None,
    amendment_template: str | None,
    payment_terms: str | None,
) -> list[str]:
    """The kraj saves its templates and payment terms (empty: the default). Each template is rendered
    with sample values first: one that would fail on a contract is refused here, at its field. Applies
    to documents issued from now on; those issued before stay as they are. Returns what changed."""
    if not framework.can_be_changed:
        raise DomainError(f"Rámcovou smlouvu, která {framework.state.label}, už nelze měnit.")
    values = {
        "contract_template": (contract_template or "").strip() or None,
        "amendment_template": (amendment_template or "").strip() or None,
        "payment_terms": (payment_terms or "").strip() or None,
    }
    check_no_birth_numbers(values, tuple(values))
    for field in ("contract_template", "amendment_template"):
        source = values[field]
        if source is not None:
            sandbox.check(source, field, amendment=field == "amendment_template")
    changed = [field for field, value in values.items() if getattr(framework, field) != value]
    for field in changed:
        setattr(framework, field, values[field])
    if changed:
        record("framework.templates_changed", framework, {"fields": changed})
    return changed


# --- the sub-contract and its amendments -------------------------------------------------------------
def contract_terms(subcontract: SubContract) -> sandbox.Terms:
    """The terms as signed: an amended sub-contract's first amendment remembers its original value,
    units and end (so a contract issued late still states what was signed)."""
    first = subcontract.amendments[0] if subcontract.amendments else None
    framework, demand = subcontract.framework, subcontract.demand
    return sandbox.Terms(
        number=subcontract.number,
        demand_number=demand.number,
        signed_on=subcontract.signed_on,
        orp_name=subcontract.orp.name,
        kraj_name=subcontract.orp.kraj.name,
        provider_name=subcontract.provider.name,
        provider_ico=subcontract.provider.ico,
        provider_address=subcontract.provider.address,
        provider_legal_form=subcontract.provider.legal_form,
        framework_number=framework.number,
        framework_title=framework.title,
        framework_valid_from=framework.valid_from,
        framework_valid_to=framework.valid_to,
        service_type_code=subcontract.service_type.code,
        service_type_name=subcontract.service_type.name,
        service_type_legal_basis=subcontract.service_type.legal_basis,
        category=subcontract.category.name,
        needs_areas=tuple(demand.need_labels),
        units=first.old_units if first else subcontract.units,
        unit=subcontract.service_type.unit,
        unit_price=subcontract.unit_price,
        value=first.old_value if first else subcontract.value,
        vat_rate=subcontract.vat_rate,
        start_date=subcontract.start_date,
        end_date=first.old_end_date if first else subcontract.end_date,
        payment_terms=framework.payment_terms or sandbox.DEFAULT_PAYMENT_TERMS,
    )


def _contract_html(subcontract: SubContract, body: str, title: str) -> str:
    return render_template(
        "documents/contract.html",
        body=Markup(body),
        title=title,
        number=subcontract.number,
        issuer=f"OSPOD {subcontract.orp.name}, {subcontract.orp.kraj.name}",
        issued_at=clock.now(),
    )


def contract_file_name(subcontract: SubContract) -> str:
    """The sub-contract's PDF as it is stored, downloaded and named in the registr smluv message."""
    return f"dilci-smlouva-{subcontract.number}.pdf"


def amendment_file_name(amendment: Amendment) -> str:
    """An amendment's PDF as it is stored, downloaded and named in its registr smluv message."""
    return f"dilci-smlouva-{amendment.subcontract.number}-dodatek-{amendment.seq}.pdf"


def contract_pdf(subcontract: SubContract) -> Document:
    """The sub-contract's document, issued from its framework's template the first time it is asked for."""
    found = _existing(Document.kind == DocumentKind.CONTRACT, Document.subcontract_id == subcontract.id)
    if found is not None:
        return found
    subcontract = contracts.lock(subcontract)  # two first requests: the second waits, then finds it
    found = _existing(Document.kind == DocumentKind.CONTRACT, Document.subcontract_id == subcontract.id)
    if found is not None:
        return found
    variables = sandbox.context(contract_terms(subcontract))
    body = sandbox.render(template_source(subcontract.framework, "contract_template"), variables)
    html = _contract_html(subcontract, body, f"Dílčí smlouva {subcontract.number}")
    return _issue(
        DocumentKind.CONTRACT,
        html,
        subcontract,
        number=subcontract.number,
        file_name=contract_file_name(subcontract),
        subcontract_id=subcontract.id,
    )


def amendment_pdf(amendment: Amendment) -> Document:
    """The amendment's document (dodatek č. N), issued the first time it is asked for."""
    found = _existing(Document.amendment_id == amendment.id)
    if found is not None:
        return found
    subcontract = contracts.lock(amendment.subcontract)
    found = _existing(Document.amendment_id == amendment.id)
    if found is not None:
        return found
    signed = contract_terms(subcontract)
    terms = dataclasses.replace(
        signed, units=amendment.new_units, value=amendment.new_value, end_date=amendment.new_end_date
    )
    change = sandbox.AmendmentTerms(
        seq=amendment.seq,
        reason=amendment.reason,
        consent_on=amendment.consent_on,
        old_value=amendment.old_value,
        new_value=amendment.new_value,
        old_units=amendment.old_units,
        new_units=amendment.new_units,
        old_end_date=amendment.old_end_date,
        new_end_date=amendment.new_end_date,
    )
    body = sandbox.render(
        template_source(subcontract.framework, "amendment_template"),
        sandbox.context(terms, change),
        "amendment_template",
    )
    title = f"Dodatek č. {amendment.seq} k dílčí smlouvě {subcontract.number}"
    return _issue(
        DocumentKind.AMENDMENT,
        _contract_html(subcontract, body, title),
        subcontract,
        number=subcontract.number,
        file_name=amendment_file_name(amendment),
        subcontract_id=subcontract.id,
        amendment_id=amendment.id,
    )


def subcontract_documents(subcontract: SubContract) -> list[Document]:
    """The documents issued for a sub-contract: the contract, then its amendments in order."""
    stmt = (
        sa.select(Document)
        .where(Document.subcontract_id == subcontract.id)
        .order_by(Document.amendment_id.is_not(None), Document.amendment_id)
        .options(orm.joinedload(Document.amendment))
    )
    return list(db.session.scalars(stmt))


def issue_subcontract_documents(subcontract: SubContract) -> list[Document]:
    """The contract's document and every amendment's, those missing issued now (after an amendment)."""
    return [contract_pdf(subcontract), *(amendment_pdf(a) for a in subcontract.amendments)]


# --- the opening record and the evaluation protocol -------------------------------------------------
RECORDS = {
    DocumentKind.OPENING: ("demands/opening.html", evaluation.opening_record, "zaznam-o-otevirani-obalek"),
    DocumentKind.PROTOCOL: ("demands/protocol.html", evaluation.protocol_record, "protokol-o-hodnoceni"),
}


def record_html(demand: Demand, kind: DocumentKind) -> str:
    """The record's page as it is printed: the same template as on screen, without the navigation."""
    template, contents, _name = RECORDS[kind]
    return render_template(template, layout="documents/print.html", **contents(demand), printed_at=clock.now())


def record_pdf_live(demand: Demand, kind: DocumentKind) -> bytes:
    """The record of a minitender still undecided, as it stands now (not stored: it still changes)."""
    return pdf.html_to_pdf(record_html(demand, kind))


def record_pdf(demand: Demand, kind: DocumentKind) -> Document:
    """The record of a decided minitender, frozen: issued once (at the decision, or on the first request
    for one decided before documents existed) and served from the store ever after."""
    found = _existing(Document.demand_id == demand.id, Document.kind == kind)
    if found is not None:
        return found
    if not demand.is_decided:
        raise DomainError(f"Minitendr {demand.number} dosud nebyl rozhodnut; záznam se ještě mění.")
    demand = demands.lock(demand)
    found = _existing(Document.demand_id == demand.id, Document.kind == kind)
    if found is not None:
        return found
    _template, _contents, name = RECORDS[kind]
    return _issue(
        kind,
        record_html(demand, kind),
        demand,
        number=demand.number,
        file_name=f"{demand.number}-{name}.pdf",
        demand_id=demand.id,
    )


def opening_pdf(demand: Demand) -> Document:
    return record_pdf(demand, DocumentKind.OPENING)


def protocol_pdf(demand: Demand) -> Document:
    return record_pdf(demand, DocumentKind.PROTOCOL)


def issue_decision_documents(demand: Demand) -> list[Document]:
    """At the decision: the records frozen, and the sub-contract's document issued if it was awarded."""
    issued = [opening_pdf(demand), protocol_pdf(demand)]
    subcontract = evaluation.subcontract_of(demand)
    if subcontract is not None:
        issued.append(contract_pdf(subcontract))
    return issued


# --- downloads ---------------------------------------------------------------------------------------
def downloaded(document: Document) -> None:
    """Who took which document and when: an audit event of the document."""
    record(
        "document.downloaded",
        document,
        {"document": document.kind.value, "number": document.file_name, "sha256": document.sha256},
    )


def downloaded_live(demand: Demand, kind: DocumentKind, data: bytes) -> None:
    """A record of an undecided minitender, as it stood when taken: audited on the demand."""
    record(
        "document.downloaded",
        demand,
        {"document": kind.value, "number": demand.number, "sha256": hashlib.sha256(data).hexdigest(), "stored": False},
    )
