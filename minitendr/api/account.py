"""The account's API tokens page: create one (shown once), list them, revoke one."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import BooleanField, IntegerField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from minitendr.actions import act
from minitendr.api import tokens
from minitendr.api.models import ApiToken
from minitendr.db import DomainError, db
from minitendr.forms import CzechForm, no_birth_number

bp = Blueprint("api_tokens", __name__)


class TokenForm(CzechForm):
    name = StringField(
        "Název tokenu",
        validators=[DataRequired(), Length(max=tokens.MAX_NAME), no_birth_number],
        description="Podle systému, který token použije, např. „Účetnictví – export čerpání“.",
    )
    days = IntegerField(
        "Platnost (dní)",
        default=90,
        validators=[Optional(), NumberRange(1, tokens.MAX_DAYS)],
        description=f"1 až {tokens.MAX_DAYS} dní.",
    )
    read_only = BooleanField("Jen pro čtení (token nic nezmění)")
    submit = SubmitField("Vytvořit token")


def _page(form: TokenForm, secret: str | None = None):
    listed = tokens.tokens_of(current_user)
    return render_template("api/tokens.html", form=form, tokens=listed, secret=secret)


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def index():
    form = TokenForm()
    if request.method == "GET" or not form.validate():
        return _page(form)
    try:
        _token, secret = tokens.create_token(
            current_user, form.name.data or "", read_only=bool(form.read_only.data), days=form.days.data or 90
        )
    except DomainError as error:
        db.session.rollback()
        form.add_domain_error(error)
        return _page(form)
    db.session.commit()
    # Shown on this answer only (not flashed: the session cookie is signed, not secret).
    return _page(TokenForm(formdata=None), secret=secret)


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    token = db.get_or_404(ApiToken, token_id)
    if token.user_id != current_user.id:
        abort(404)
    return act(
        lambda: tokens.revoke(token, current_user),
        success="Token je zneplatněn.",
        back=url_for("api_tokens.index"),
    )
