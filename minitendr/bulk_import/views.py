"""Bulk import pages: upload, check (a preview that stores nothing) or import, and the report."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, render_template, request, url_for
from flask_login import current_user

from minitendr.actions import act
from minitendr.auth.models import User
from minitendr.bulk_import import service
from minitendr.bulk_import.forms import BulkImportForm
from minitendr.db import DomainError
from minitendr.permissions import FRAMEWORK_MANAGERS, REGISTER_KEEPERS, roles_required
from minitendr.tabular_import import (
    CSV,
    MAX_BYTES,
    XLSX,
    ImportRefused,
    ImportReport,
    Layout,
    template_csv,
    template_xlsx,
)

bp = Blueprint("bulk_import", __name__)

KINDS: dict[str, dict[str, Any]] = {
    "providers": {
        "title": "Import poskytovatelů",
        "layout": service.PROVIDERS,
        "examples": service.PROVIDER_EXAMPLES,
        "file": "poskytovatele-vzor",
        "done": "providers.index",
        "created": "poskytovatelů",
    },
    "parties": {
        "title": "Import smluvních stran rámcových smluv",
        "layout": service.PARTIES,
        "examples": service.PARTY_EXAMPLES,
        "file": "smluvni-strany-vzor",
        "done": "frameworks.index",
        "created": "smluvních stran",
    },
}


def _import_page(kind: str, run: Callable[[str, bytes, User, bool], ImportReport]):
    """The one page both imports have: a refused file shows its report at the file field; a check
    shows what would be stored; an import goes on to the register with a message."""
    settings = KINDS[kind]
    form = BulkImportForm()
    shown: dict[str, ImportReport] = {}

    def page():
        return render_template(
            "bulk_import/import.html",
            form=form,
            kind=kind,
            settings=settings,
            layout=settings["layout"],
            report=shown.get("report"),
        )

    if request.method == "GET":
        return page()
    dry_run = bool(form.check.data)

    def action() -> ImportReport:
        upload = form.file.data
        try:
            report = run(upload.filename or "soubor", upload.read(MAX_BYTES + 1), current_user, dry_run)
        except ImportRefused as error:
            shown["report"] = error.report
            raise
        shown["report"] = report
        return report

    if dry_run:
        # A check stores nothing, whatever it finds: its result is the page itself, not a redirect.
        if form.validate():
            try:
                action()
            except DomainError as error:  # a refused file (ImportRefused) included
                form.add_domain_error(error)
        return page()
    return act(
        action,
        success=lambda report: f"Importováno {len(report.created)} {settings['created']} ze souboru {report.filename}.",
        back=url_for(f"bulk_import.{kind}"),
        then=url_for(settings["done"]),
        form=form,
        page=page,
    )


def _template(kind: str, fmt: str) -> Response:
    settings = KINDS[kind]
    layout: Layout = settings["layout"]
    if fmt == "xlsx":
        body, mimetype = template_xlsx(layout, settings["examples"]), XLSX
    else:
        body, mimetype = template_csv(layout, settings["examples"]), CSV
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={settings['file']}.{fmt}"}
    )


@bp.route("/providers/import", methods=["GET", "POST"])
@roles_required(*REGISTER_KEEPERS)
def providers():
    return _import_page("providers", service.import_providers)


@bp.get("/providers/import/vzor.<any(csv, xlsx):fmt>")
@roles_required(*REGISTER_KEEPERS)
def providers_template(fmt: str):
    return _template("providers", fmt)


@bp.route("/frameworks/parties/import", methods=["GET", "POST"])
@roles_required(*FRAMEWORK_MANAGERS)
def parties():
    return _import_page("parties", service.import_parties)


@bp.get("/frameworks/parties/import/vzor.<any(csv, xlsx):fmt>")
@roles_required(*FRAMEWORK_MANAGERS)
def parties_template(fmt: str):
    return _template("parties", fmt)
