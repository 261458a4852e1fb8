"""Each person's choice of reminders (``/account/reminders``), and the daily run's schedule."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request, url_for
from flask_login import current_user

from minitendr.actions import act
from minitendr.permissions import EVERYONE, roles_required
from minitendr.reminders import forms, service
from minitendr.reminders.models import kinds_for

bp = Blueprint("reminders", __name__)


@bp.route("/account/reminders", methods=["GET", "POST"])
@roles_required(*EVERYONE)
def preferences():
    user = current_user._get_current_object()
    kinds = kinds_for(user.role)
    form = forms.preferences_form(kinds, service.switched_off(user))

    def page():
        return render_template("reminders/preferences.html", form=form, kinds=kinds)

    if request.method == "GET":
        return page()
    return act(
        lambda: service.save_preferences(user, forms.wanted(form, kinds)),
        success="Nastavení připomínek bylo uloženo.",
        back=url_for("reminders.preferences"),
        form=form,
        page=page,
    )


@bp.after_app_request
def schedule_reminders(response):
    """Any request of the day may be the one that hands the daily reminders to RQ (see the service)."""
    service.schedule_daily(current_app._get_current_object())  # type: ignore[attr-defined]
    return response
