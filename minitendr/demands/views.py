"""Demand pages: lists per role, the demand form, publication, cancellation and clarifications; after
the deadline the decisions on the minitender: opening the envelopes, the evaluation, the award or the
unsuccessful end, filing it again, and the printable opening record and evaluation protocol."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from minitendr import clock
from minitendr.actions import act
from minitendr.audit.service import history
from minitendr.auth.models import Role
from minitendr.bids import service as bid_service
from minitendr.bids.forms import ExcludeForm, NoteForm, ScoreForm
from minitendr.bids.models import EnvelopeOpening
from minitendr.committee import service as committee
from minitendr.db import DomainError, db
from minitendr.demands import evaluation, queries, service
from minitendr.demands.forms import AnswerForm, DemandForm, QuestionForm
from minitendr.demands.models import Clarification, Demand, DemandStatus
from minitendr.documents import service as document_service
from minitendr.documents import views as documents
from minitendr.forms import ReasonForm, required
from minitendr.permissions import (
    EVERYONE,
    OFFICIALS,
    can_count_bids,
    can_manage_demand,
    can_read_demand,
    can_read_evaluation_records,
    can_read_history,
    can_see_invited_providers,
    ensure,
    roles_required,
)
from minitendr.registry.models import ServiceCategory, ServiceType

bp = Blueprint("demands", __name__, url_prefix="/demands")


def to_utc(local: dt.datetime | None) -> dt.datetime | None:
    """A time typed in a form is Prague time; the database keeps UTC."""
    return None if local is None else local.replace(tzinfo=clock.PRAGUE).astimezone(dt.UTC)


def to_local(moment: dt.datetime | None) -> dt.datetime | None:
    return None if moment is None else moment.astimezone(clock.PRAGUE).replace(tzinfo=None)


@bp.get("/")
@roles_required(*EVERYONE)
def index():
    filters = queries.filters_from(request.args)
    typed = dict(filters)  # a refused value is shown as typed, with its message
    errors = queries.checked(filters)
    listing = queries.demand_list(current_user, filters)
    own_bids = queries.own_bid_column(current_user, [*listing.open_now, *listing.page.items])
    return render_template(
        "demands/index.html",
        listing=listing,
        filters=filters,
        typed=typed,
        errors=errors,
        statuses=list(DemandStatus),
        own_bids=own_bids,
        **queries.search_choices(),
    )


def _load(demand_id: int, manage: bool = False) -> Demand:
    """404 when missing; 403 when not yours (another ORP's demand, a provider not invited)."""
    demand = db.get_or_404(Demand, demand_id)
    ensure(can_manage_demand(current_user, demand) if manage else can_read_demand(current_user, demand))
    return demand


def _page(demand: Demand) -> str:
    return url_for("demands.detail", demand_id=demand.id)


@bp.get("/<int:demand_id>")
@roles_required(*EVERYONE)
def detail(demand_id: int):
    return detail_page(_load(demand_id))


def detail_page(
    demand: Demand,
    *,
    cancel_form: ReasonForm | None = None,
    question_form: QuestionForm | None = None,
    answer_form: AnswerForm | None = None,
    answering: int | None = None,
) -> str:
    """The demand's page; a refused form (cancel, question, the answer to clarification ``answering``)
    comes back in its place with what was typed and the message at its field."""
    subcontract = evaluation.subcontract_of(demand)
    return render_template(
        "demands/detail.html",
        demand=demand,
        bid_count=bid_service.bid_count(demand) if can_count_bids(current_user, demand) else None,
        own_bids=bid_service.own_bids(demand, current_user.provider_id) if current_user.provider_id else [],
        invited=queries.invited_providers(demand) if can_see_invited_providers(current_user, demand) else None,
        subcontract=subcontract,
        default_deadline=_default_deadline_hint(demand) if demand.is_draft else None,
        cancel_form=cancel_form,
        question_form=question_form,
        answer_form=answer_form,
        answering=answering,
        events=history(demand) if can_read_history(current_user, demand) else [],
    )


def _default_deadline_hint(demand: Demand) -> dt.datetime | None:
    try:
        framework = service.framework_for(demand, clock.today())
    except DomainError:
        return None
    return service.default_deadline(framework.bid_period_days)


# --- the demand form -----------------------------------------------------------------------------
def _form_page(form: DemandForm, demand: Demand | None):
    return lambda: render_template("demands/form.html", form=form, demand=demand)


def _demand_form(demand: Demand | None = None) -> DemandForm:
    form = DemandForm(obj=demand)
    form.category_id.choices, form.service_type_id.choices = queries.service_choices()
    return form


def _values(form: DemandForm) -> dict:
    return {
        "category": db.session.get(ServiceCategory, form.category_id.data),
        "service_type": db.session.get(ServiceType, form.service_type_id.data),
        **{name: getattr(form, name).data for name in service.FIELDS if name != "deadline"},
        "deadline": to_utc(form.deadline.data),
    }


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.OSPOD)
def create():
    form = _demand_form()
    if request.method == "GET":
        form.contact_name.data, form.contact_email.data = current_user.name, current_user.email
        return _form_page(form, None)()
    return act(
        lambda: service.create_demand(orp=current_user.orp, created_by=current_user, **_values(form)),
        success=lambda demand: f"Poptávka {demand.number} je uložena jako koncept. Zkontrolujte ji a zveřejněte.",
        back=url_for("demands.index"),
        then=_page,
        form=form,
        page=_form_page(form, None),
    )


@bp.route("/<int:demand_id>/edit", methods=["GET", "POST"])
@roles_required(Role.OSPOD)
def edit(demand_id: int):
    demand = _load(demand_id, manage=True)
    if not demand.is_draft:
        flash("Zveřejněnou poptávku nelze upravovat; upřesnění sdělte odpovědí na dotaz.", "warning")
        return redirect(_page(demand))
    form = _demand_form(demand)
    if request.method == "GET":
        form.deadline.data = to_local(demand.deadline)
        return _form_page(form, demand)()
    return act(
        lambda: service.update_demand(demand, **_values(form)),
        success="Koncept poptávky byl uložen.",
        back=_page(demand),
        form=form,
        page=_form_page(form, demand),
    )


# --- the demand's course -------------------------------------------------------------------------
@bp.post("/<int:demand_id>/delete")
@roles_required(Role.OSPOD)
def delete(demand_id: int):
    demand = _load(demand_id, manage=True)
    return act(
        lambda: service.delete_draft(demand),
        success="Koncept poptávky byl smazán.",
        back=_page(demand),
        then=url_for("demands.index"),
    )


@bp.post("/<int:demand_id>/publish")
@roles_required(Role.OSPOD)
def publish(demand_id: int):
    demand = _load(demand_id, manage=True)
    return act(
        lambda: service.publish(demand),
        success="Poptávka je zveřejněna a pozvaní poskytovatelé dostali zprávu.",
        back=_page(demand),
    )


@bp.post("/<int:demand_id>/cancel")
@roles_required(Role.OSPOD)
def cancel(demand_id: int):
    demand = _load(demand_id, manage=True)
    form = ReasonForm()
    return act(
        lambda: service.cancel(demand, required(form.reason.data)),
        success="Poptávka byla zrušena.",
        back=_page(demand),
        form=form,
        page=lambda: detail_page(demand, cancel_form=form),
    )


@bp.post("/<int:demand_id>/questions")
@roles_required(Role.PROVIDER)
def ask(demand_id: int):
    demand = _load(demand_id)
    form = QuestionForm()
    return act(
        lambda: service.ask(demand, current_user.provider, required(form.question.data)),
        success="Dotaz byl odeslán. Odpověď uvidí všichni pozvaní poskytovatelé; kdo se ptal, se nezveřejňuje.",
        back=_page(demand),
        form=form,
        page=lambda: detail_page(demand, question_form=form),
    )


@bp.post("/<int:demand_id>/questions/<int:clarification_id>/answer")
@roles_required(Role.OSPOD)
def answer(demand_id: int, clarification_id: int):
    demand = _load(demand_id, manage=True)
    clarification = db.get_or_404(Clarification, clarification_id)
    if clarification.demand_id != demand.id:
        abort(404)
    form = AnswerForm()
    return act(
        lambda: service.answer(clarification, required(form.answer.data), to_utc(form.new_deadline.data)),
        success="Odpověď je zveřejněna všem pozvaným poskytovatelům.",
        back=_page(demand),
        form=form,
        page=lambda: detail_page(demand, answer_form=form, answering=clarification.id),
    )


# --- the evaluation (OSPOD of the demand's ORP, after the deadline) ------------------------------
@dataclass(frozen=True)
class RefusedBidForm:
    """A score or exclusion form the service refused, shown again in its bid's row."""

    bid_id: int
    form: ScoreForm | ExcludeForm

    def score_form(self, bid_id: int) -> ScoreForm | None:
        return self.form if bid_id == self.bid_id and isinstance(self.form, ScoreForm) else None

    def exclude_form(self, bid_id: int) -> ExcludeForm | None:
        return self.form if bid_id == self.bid_id and isinstance(self.form, ExcludeForm) else None


def _why_not_evaluated(demand: Demand) -> str | None:
    if demand.is_open:
        return "Nabídky jsou zapečetěné do konce lhůty; hodnotit je lze až potom."
    if demand.status is DemandStatus.CANCELLED:
        return "Minitendr byl zrušen; jeho nabídky se neotevírají ani nehodnotí."
    if demand.deadline is None:
        return "Tato poptávka nebyla zveřejněna, nemá tedy žádné nabídky k hodnocení."
    return None


def evaluation_page(demand: Demand, *, refused: RefusedBidForm | None = None, note_form: NoteForm | None = None):
    """The evaluation: before the opening, the received bids and the button that opens them; after
    it, the bids ranked side by side with a score and an exclusion form each, and the decision. A
    refused form comes back in its bid's row (or, the note, under the decision)."""
    if (why := _why_not_evaluated(demand)) is not None:
        flash(why, "warning")
        return redirect(_page(demand))
    opening = evaluation.opening_of(demand)
    if opening is None:
        received = evaluation.received_bids(demand)
        return render_template(
            "demands/unopened.html",
            demand=demand,
            received=received,
            members=committee.members(demand),
            refused=refused,
            note_form=note_form,
        )
    return render_template(
        "demands/evaluation.html",
        demand=demand,
        opening=opening,
        rows=evaluation.ranking(demand),
        refused=refused,
        note_form=note_form,
    )


@bp.get("/<int:demand_id>/evaluation", endpoint="evaluation")
@roles_required(Role.OSPOD)
def evaluate(demand_id: int):
    return evaluation_page(_load(demand_id, manage=True))


@bp.post("/<int:demand_id>/open")
@roles_required(Role.OSPOD)
def open_envelopes(demand_id: int):
    demand = _load(demand_id, manage=True)
    return act(
        lambda: evaluation.open_envelopes(demand, current_user),
        success="Obálky jsou otevřeny; nabídky lze hodnotit. Záznam o otevírání obálek je připraven k tisku.",
        back=url_for("demands.evaluation", demand_id=demand.id),
    )


@bp.post("/<int:demand_id>/award")
@roles_required(Role.OSPOD)
def award(demand_id: int):
    demand = _load(demand_id, manage=True)
    response = act(
        lambda: evaluation.award(demand, current_user),
        success="Minitendr je zadán; dílčí smlouva je založena.",
        back=_page(demand),
    )
    if demand.is_decided:  # the records frozen and the sub-contract's document issued, after the commit
        documents.issue_after(lambda: document_service.issue_decision_documents(demand))
    return response


@bp.post("/<int:demand_id>/unsuccessful")
@roles_required(Role.OSPOD)
def unsuccessful(demand_id: int):
    demand = _load(demand_id, manage=True)
    form = NoteForm()
    response = act(
        lambda: evaluation.close_unsuccessful(demand, current_user, form.note.data or ""),
        success="Minitendr je ukončen jako neúspěšný.",
        back=_page(demand),
        form=form,
        page=lambda: evaluation_page(demand, note_form=form),
    )
    if demand.is_decided:
        documents.issue_after(lambda: document_service.issue_decision_documents(demand))
    return response


@bp.post("/<int:demand_id>/reissue")
@roles_required(Role.OSPOD)
def reissue(demand_id: int):
    demand = _load(demand_id, manage=True)
    return act(
        lambda: evaluation.reissue(demand, current_user),
        success=lambda copy: (
            f"Poptávka je znovu připravena jako koncept {copy.number}; zkontrolujte termíny a zveřejněte ji."
        ),
        back=_page(demand),
        then=lambda copy: url_for("demands.edit", demand_id=copy.id),
    )


# --- the records (officials who read the minitender) ---------------------------------------------
def _opened_record(demand_id: int) -> tuple[Demand, EnvelopeOpening | None]:
    """The demand and the opening of its envelopes, for the records that need it: 404 while the bids
    are sealed by the deadline (there is nothing to record), a message when only the opening is missing."""
    demand = db.get_or_404(Demand, demand_id)
    ensure(can_read_evaluation_records(current_user, demand))
    if demand.deadline is None or demand.deadline > clock.now():
        abort(404)
    opened = evaluation.opening_of(demand)
    if opened is None:
        flash("Obálky s nabídkami dosud nebyly otevřeny; záznamy vzniknou po jejich otevření.", "info")
    return demand, opened


@bp.get("/<int:demand_id>/opening")
@roles_required(*OFFICIALS)
def opening(demand_id: int):
    """The opening record (protokol o otevírání obálek): every bid received, with its time of receipt."""
    demand, opened = _opened_record(demand_id)
    if opened is None:
        return redirect(_page(demand))
    return render_template("demands/opening.html", **evaluation.opening_record(demand), printed_at=clock.now())


@bp.get("/<int:demand_id>/protocol")
@roles_required(*OFFICIALS)
def protocol(demand_id: int):
    """The evaluation protocol: printable record of the bids, scores and the decision."""
    demand, opened = _opened_record(demand_id)
    if opened is None:
        return redirect(_page(demand))
    return render_template("demands/protocol.html", **evaluation.protocol_record(demand), printed_at=clock.now())
