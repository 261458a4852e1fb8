"""Document downloads (the sub-contract, its amendments, the opening record, the evaluation protocol) and
the kraj's form for a framework's templates. Every download is permission-checked like the object it
documents and audited (who, when, which bytes)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from minitendr import clock, storage
from minitendr.actions import act
from minitendr.contracts.models import Amendment, SubContract
from minitendr.db import DomainError, db
from minitendr.demands import evaluation
from minitendr.demands.models import Demand
from minitendr.documents import sandbox, service
from minitendr.documents.forms import TemplatesForm
from minitendr.documents.models import Document, DocumentKind
from minitendr.frameworks.models import FrameworkContract
from minitendr.permissions import (
    EVERYONE,
    FRAMEWORK_MANAGERS,
    OFFICIALS,
    can_manage_framework,
    can_read_evaluation_records,
    can_read_subcontract,
    ensure,
    roles_required,
)

bp = Blueprint("documents", __name__)
log = logging.getLogger(__name__)
PDF = "application/pdf"


def _serve(issue: Callable[[], Document], back: str) -> Response:
    """The stored document (issued first if missing), its download audited and committed before the
    bytes go out. Two first requests at once: the loser of the insert takes the winner's document."""
    try:
        try:
            document = issue()
        except IntegrityError:
            db.session.rollback()
            document = issue()
        service.downloaded(document)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(back)  # type: ignore[return-value]
    db.session.commit()
    return storage.area(service.AREA).send(document.stored_as, download_name=document.file_name, mimetype=PDF)


def _flash_warning(message: str) -> None:
    flash(message, "warning")


def issue_after(action: Callable[[], list[Document]], warn: Callable[[str], None] = _flash_warning) -> None:
    """Issue the documents of a decision or an amendment just committed, in a transaction of their own:
    the decision stands even if a document cannot be made now (it is made on its first download then,
    and the one who decided hears why: a flash message on a page, the log for the API)."""
    try:
        action()
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        warn(f"Dokument se nepodařilo vystavit: {error.message}")
    except Exception:
        db.session.rollback()
        log.exception("issuing documents failed")
        warn("Dokument se nepodařilo vystavit; vystaví se při prvním stažení.")


def _subcontract(subcontract_id: int) -> SubContract:
    subcontract = db.get_or_404(SubContract, subcontract_id)
    ensure(can_read_subcontract(current_user, subcontract))
    return subcontract


@bp.get("/subcontracts/<int:subcontract_id>/document.pdf")
@roles_required(*EVERYONE)
def contract(subcontract_id: int):
    """The sub-contract (dílčí smlouva) as issued."""
    subcontract = _subcontract(subcontract_id)
    back = url_for("contracts.detail", subcontract_id=subcontract.id)
    return _serve(lambda: service.contract_pdf(subcontract), back)


@bp.get("/subcontracts/<int:subcontract_id>/amendments/<int:seq>/document.pdf")
@roles_required(*EVERYONE)
def amendment(subcontract_id: int, seq: int):
    """Amendment (dodatek) number ``seq`` of the sub-contract."""
    subcontract = _subcontract(subcontract_id)
    found = db.session.scalar(
        db.select(Amendment).where(Amendment.subcontract_id == subcontract.id, Amendment.seq == seq)
    )
    if found is None:
        abort(404)
    back = url_for("contracts.detail", subcontract_id=subcontract.id)
    return _serve(lambda: service.amendment_pdf(found), back)


def _record(demand_id: int, kind: DocumentKind) -> Response:
    """A minitender's record: to those who read its evaluation records, once its envelopes are open
    (404 before: there is nothing to record). Frozen once the minitender is decided; before that made
    afresh for each request and not stored, for it still changes."""
    demand = db.get_or_404(Demand, demand_id)
    ensure(can_read_evaluation_records(current_user, demand))
    if demand.deadline is None or demand.deadline > clock.now() or evaluation.opening_of(demand) is None:
        abort(404)
    back = url_for("demands.detail", demand_id=demand.id)
    if demand.is_decided:
        return _serve(lambda: service.record_pdf(demand, kind), back)
    data = service.record_pdf_live(demand, kind)
    service.downloaded_live(demand, kind, data)
    db.session.commit()
    _template, _contents, name = service.RECORDS[kind]
    response = Response(data, mimetype=PDF)
    filename = f"{demand.number}-{name}-{clock.now():%Y%m%d%H%M}.pdf"
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response.cache_control.no_store = True
    return response


@bp.get("/demands/<int:demand_id>/opening.pdf")
@roles_required(*OFFICIALS)
def opening(demand_id: int):
    """The opening record (záznam o otevírání obálek) as PDF."""
    return _record(demand_id, DocumentKind.OPENING)


@bp.get("/demands/<int:demand_id>/protocol.pdf")
@roles_required(*OFFICIALS)
def protocol(demand_id: int):
    """The evaluation protocol (protokol o hodnocení nabídek) as PDF."""
    return _record(demand_id, DocumentKind.PROTOCOL)


# --- the kraj's templates ----------------------------------------------------------------------------
@bp.route("/frameworks/<int:framework_id>/templates", methods=["GET", "POST"])
@roles_required(*FRAMEWORK_MANAGERS)
def templates(framework_id: int):
    """The templates of the framework's sub-contract and amendment documents."""
    framework = db.get_or_404(FrameworkContract, framework_id)
    ensure(can_manage_framework(current_user, framework))
    form = TemplatesForm(obj=framework)

    def page():
        return render_template(
            "documents/templates.html",
            form=form,
            framework=framework,
            variables=sandbox.VARIABLES,
            defaults={field: service.default_template(field) for field in service.DEFAULT_TEMPLATES},
        )

    if request.method == "GET":
        return page()
    return act(
        lambda: service.set_templates(
            framework,
            contract_template=form.contract_template.data,
            amendment_template=form.amendment_template.data,
            payment_terms=form.payment_terms.data,
        ),
        success=lambda changed: (
            "Šablony jsou uloženy; platí pro dokumenty vystavené od teď." if changed else ("Nic se nezměnilo.", "info")
        ),
        back=url_for("documents.templates", framework_id=framework.id),
        then=url_for("frameworks.detail", framework_id=framework.id),
        form=form,
        page=page,
    )
