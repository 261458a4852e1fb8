"""Logging in and out, and the administration of user accounts."""

from __future__ import annotations

import math
import unicodedata
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user

from minitendr.actions import act
from minitendr.auth import service, sessions, throttle
from minitendr.auth.forms import ChangePasswordForm, LoginForm, UserForm
from minitendr.auth.models import Role, User
from minitendr.db import db
from minitendr.forms import SelectChoice, required
from minitendr.permissions import REGISTER_KEEPERS, roles_required
from minitendr.providers.models import Provider
from minitendr.registry.models import Kraj, Orp

bp = Blueprint("auth", __name__)
users_bp = Blueprint("users", __name__, url_prefix="/admin/users")


def safe_next(target: str | None) -> str | None:
    """Follow ``next`` only to a path of this site. Browsers read a backslash as a slash and drop tabs
    and line breaks, so ``/\\evil`` or a tab between two slashes would leave the site; and a line break in a
    ``Location`` header is refused by Werkzeug (it used to answer 500)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if any(char == "\\" or char.isspace() or unicodedata.category(char) in {"Cc", "Cf"} for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _czech_wait(seconds: int) -> str:
    return f"{seconds} s" if seconds < 90 else f"{math.ceil(seconds / 60)} min"


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        email, address = required(form.email.data), request.remote_addr or ""
        wait = throttle.seconds_to_wait(email, address)
        if wait:
            form.form_errors.append(
                f"Příliš mnoho pokusů o přihlášení k tomuto účtu. Další pokus bude možný za {_czech_wait(wait)}."
            )
            return render_template("auth/login.html", form=form), 429, {"Retry-After": str(wait)}
        user = service.authenticate(email, required(form.password.data))
        if user is not None:
            throttle.record_success(email, address)
            sessions.begin(user)
            db.session.commit()
            return redirect(safe_next(request.args.get("next")) or url_for("home.index"))
        throttle.record_failure(email, address)
        db.session.commit()
        form.form_errors.append("Nesprávný e-mail nebo heslo, případně je účet deaktivován.")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    # Not just this cookie: every copy of it, wherever it was copied to.
    if current_user.is_authenticated:
        sessions.end_all(current_user)
        db.session.commit()
    logout_user()
    session.clear()
    flash("Byli jste odhlášeni.", "info")
    return redirect(url_for("auth.login"))


def _change_password(user: User, form: ChangePasswordForm) -> None:
    service.change_password(user, required(form.current_password.data), required(form.new_password.data))
    sessions.begin(user)  # every other session has ended; this one goes on


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    user, address = current_user._get_current_object(), request.remote_addr or ""

    def page():
        # A wrong current password counts as a failed login: whoever holds a stolen session must not
        # be able to guess the password through this form either.
        if service.WRONG_PASSWORD in form.current_password.errors:
            throttle.record_failure(user.email, address)
            db.session.commit()
        return render_template("auth/password.html", form=form)

    if request.method == "GET":
        return page()
    wait = throttle.seconds_to_wait(user.email, address)
    if wait:
        form.form_errors.append(f"Příliš mnoho pokusů. Další pokus bude možný za {_czech_wait(wait)}.")
        return render_template("auth/password.html", form=form), 429, {"Retry-After": str(wait)}
    return act(
        lambda: _change_password(user, form),
        success="Heslo bylo změněno. Přihlášení na ostatních zařízeních bylo ukončeno.",
        back=url_for("auth.change_password"),
        then=url_for("home.index"),
        form=form,
        page=page,
    )


def _fill_binding_choices(form: UserForm) -> None:
    empty = [SelectChoice("", "—")]
    form.kraj.choices = empty + [SelectChoice(k.id, k.name) for k in service.kraje()]
    form.orp.choices = empty + [SelectChoice(o.id, o.name, optgroup=kraj) for o, kraj in service.orps_by_kraj()]
    form.provider.choices = empty + [SelectChoice(p.id, f"{p.name} (IČO {p.ico})") for p in service.active_providers()]


@users_bp.get("/")
@roles_required(*REGISTER_KEEPERS)
def index():
    role = request.args.get("role") or None
    query = (request.args.get("q") or "").strip()
    users = service.search(role, query)
    return render_template("auth/users.html", users=users, roles=list(Role), role=role, q=query)


def _create_user(form: UserForm) -> User:
    return service.create_user(
        email=required(form.email.data),
        name=required(form.name.data),
        password=required(form.password.data),
        role=Role(form.role.data),
        kraj=db.session.get(Kraj, form.kraj.data) if form.kraj.data else None,
        orp=db.session.get(Orp, form.orp.data) if form.orp.data else None,
        provider=db.session.get(Provider, form.provider.data) if form.provider.data else None,
        actor=current_user,
    )


@users_bp.route("/new", methods=["GET", "POST"])
@roles_required(*REGISTER_KEEPERS)
def create():
    form = UserForm()
    _fill_binding_choices(form)

    def page():
        return render_template("auth/user_form.html", form=form)

    if request.method == "GET":
        return page()
    return act(
        lambda: _create_user(form),
        success=lambda user: f"Uživatel {user.email} byl vytvořen.",
        back=url_for("users.create"),
        then=url_for("users.index"),
        form=form,
        page=page,
    )


def _set_active(user_id: int, active: bool):
    user = db.get_or_404(User, user_id)
    return act(
        lambda: service.set_active(user, active, actor=current_user),
        success=f"Účet {user.email} je {'aktivní' if active else 'deaktivován'}.",
        back=url_for("users.index"),
    )


@users_bp.post("/<int:user_id>/deactivate")
@roles_required(*REGISTER_KEEPERS)
def deactivate(user_id: int):
    return _set_active(user_id, False)


@users_bp.post("/<int:user_id>/activate")
@roles_required(*REGISTER_KEEPERS)
def activate(user_id: int):
    return _set_active(user_id, True)
