"""Registr smluv pages: the messages and ZIPs to download, the register's answer to upload, an
amendment's publication typed by hand, and the list of what falls due."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from minitendr.actions import act
from minitendr.audit.service import record
from minitendr.contracts import service as contracts
from minitendr.contracts.forms import RegistryForm
from minitendr.contracts.models import Amendment, SubContract
from minitendr.contracts.views import _page
from minitendr.db import DomainError, db
from minitendr.forms import required
from minitendr.isrs import message, queries, service
from minitendr.isrs.answer import MAX_BYTES, refused
from minitendr.isrs.forms import AnswerForm
from minitendr.permissions import (
    EVERYONE,
    OFFICIALS,
    can_follow_registry,
    can_publish_in_registry,
    ensure,
    roles_required,
)

bp = Blueprint("isrs", __name__, url_prefix="/subcontracts")
ZIP = "application/zip"
XML = "application/xml"


def _load(subcontract_id: int) -> SubContract:
    """404 when missing, 403 unless the user publishes the sub-contract in the register."""
    subcontract = db.get_or_404(SubContract, subcontract_id)
    ensure(can_publish_in_registry(current_user, subcontract))
    return subcontract


def _amendment(subcontract: SubContract, amendment_id: int) -> Amendment:
    amendment = db.get_or_404(Amendment, amendment_id)
    if amendment.subcontract_id != subcontract.id:
        abort(404)
    return amendment


def _back(subcontract: SubContract) -> str:
    return url_for("contracts.detail", subcontract_id=subcontract.id, _anchor="registr-smluv")


def _download(subcontract: SubContract, build: Callable[[], tuple[str, bytes, str]]) -> ResponseReturnValue:
    """The file ``build`` makes (name, bytes, type); 404 when there is nothing to publish, and back on
    the sub-contract's page with the reason when the message cannot be made yet."""
    try:
        name, content, mimetype = build()
    except LookupError:
        abort(404)
    except DomainError as error:
        flash(error.message, "danger")
        return redirect(_back(subcontract))
    # Who took the message, when, and what it held (with any PDF the ZIP carries issued just now).
    record(
        "document.downloaded",
        subcontract,
        {"document": "registr-smluv", "number": name, "sha256": hashlib.sha256(content).hexdigest(), "stored": False},
    )
    db.session.commit()
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _zip_name(msg: message.Message) -> str:
    return msg.file_name.removesuffix(".xml") + ".zip"


@bp.get("/<int:subcontract_id>/registr-smluv.xml")
@roles_required(*EVERYONE)
def subcontract_xml(subcontract_id: int):
    subcontract = _load(subcontract_id)

    def build():
        msg = message.subcontract_message(subcontract)
        return msg.file_name, msg.xml, XML

    return _download(subcontract, build)


@bp.get("/<int:subcontract_id>/registr-smluv.zip")
@roles_required(*EVERYONE)
def subcontract_zip(subcontract_id: int):
    subcontract = _load(subcontract_id)

    def build():
        msg = message.subcontract_message(subcontract)
        return _zip_name(msg), message.build_zip(msg, message.attachments_for(subcontract)), ZIP

    return _download(subcontract, build)


@bp.get("/<int:subcontract_id>/amendments/<int:amendment_id>/registr-smluv.xml")
@roles_required(*EVERYONE)
def amendment_xml(subcontract_id: int, amendment_id: int):
    subcontract = _load(subcontract_id)
    amendment = _amendment(subcontract, amendment_id)

    def build():
        msg = message.amendment_message(amendment)
        return msg.file_name, msg.xml, XML

    return _download(subcontract, build)


@bp.get("/<int:subcontract_id>/amendments/<int:amendment_id>/registr-smluv.zip")
@roles_required(*EVERYONE)
def amendment_zip(subcontract_id: int, amendment_id: int):
    subcontract = _load(subcontract_id)
    amendment = _amendment(subcontract, amendment_id)

    def build():
        msg = message.amendment_message(amendment)
        return _zip_name(msg), message.build_zip(msg, message.amendment_attachments_for(amendment)), ZIP

    return _download(subcontract, build)


@bp.post("/<int:subcontract_id>/registr-smluv/answer")
@roles_required(*EVERYONE)
def answer(subcontract_id: int):
    subcontract = _load(subcontract_id)
    form = AnswerForm()

    def read() -> bytes:
        upload = form.answer.data
        if upload is None or not getattr(upload, "filename", ""):
            raise refused("Vyberte soubor s odpovědí registru smluv (XML).")
        return upload.stream.read(MAX_BYTES + 1)

    def record(amendment: Amendment | None) -> str:
        what = "Zveřejnění smlouvy" if amendment is None else f"Zveřejnění dodatku č. {amendment.seq}"
        return f"{what} v registru smluv je zaznamenáno podle odpovědi registru."

    return act(
        lambda: service.import_answer(subcontract, read()),
        success=record,
        back=_back(subcontract),
        form=form,
        page=lambda: _page(subcontract, answer_form=form),
    )


@bp.post("/<int:subcontract_id>/amendments/<int:amendment_id>/registry")
@roles_required(*EVERYONE)
def amendment_record(subcontract_id: int, amendment_id: int):
    subcontract = _load(subcontract_id)
    amendment = _amendment(subcontract, amendment_id)
    form = RegistryForm(prefix=f"amendment-{amendment.id}")
    return act(
        lambda: contracts.record_amendment_registry(
            amendment, form.registry_id.data, required(form.published_on.data), form.registry_version.data
        ),
        success=f"Zveřejnění dodatku č. {amendment.seq} v registru smluv je zaznamenáno.",
        back=_back(subcontract),
        form=form,
        page=lambda: _page(subcontract, amendment_registry_form=form, amendment_refused=amendment.id),
    )


@bp.get("/registry/due")
@roles_required(*OFFICIALS)
def due():
    """What must be published in the register of contracts, the earliest deadline first."""
    ensure(can_follow_registry(current_user))
    return render_template("isrs/due.html", page=queries.due_list(current_user), days=queries.DAYS_TO_PUBLISH)
