"""Logging in and out, and the administration of user accounts."""

from __future__ import annotations

import math
import unicodedata
from typing import cast
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user

from minitendr.actions import act
from minitendr.audit.service import history
from minitendr.auth import colleagues, reset, service, sessions, throttle
from minitendr.auth.forms import (
    ChangePasswordForm,
    ColleagueForm,
    ForgotPasswordForm,
    LoginForm,
    ResetPasswordForm,
    UserEditForm,
    UserForm,
)
from minitendr.auth.models import Role, User
from minitendr.db import db
from minitendr.forms import SelectChoice, required
from minitendr.permissions import (
    REGISTER_KEEPERS,
    can_manage_colleague,
    can_manage_colleagues,
    ensure,
    roles_required,
)
from minitendr.providers.models import Provider
from minitendr.registry.models import Kraj, Orp

bp = Blueprint("auth", __name__)
users_bp = Blueprint("users", __name__, url_prefix="/admin/users")
colleagues_bp = Blueprint("colleagues", __name__, url_prefix="/account/colleagues")


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


# --- a forgotten password -------------------------------------------------------------------------
RESET_SENT = (
    "Pokud je adresa {email} adresou aktivního účtu, poslali jsme na ni odkaz pro nastavení nového hesla. "
    "Odkaz platí jednu hodinu. Nepřišel-li e-mail do několika minut, podívejte se do nevyžádané pošty."
)


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if request.method == "GET" or not form.validate():
        return render_template("auth/forgot.html", form=form)
    email, address = required(form.email.data), request.remote_addr or ""
    # Counted like failed logins, under a key of their own, for every address typed, known or not:
    # nobody mails an inbox full of links, and the limit tells nothing about who has an account.
    key = f"reset:{email}"
    wait = throttle.seconds_to_wait(key, address)
    if wait:
        form.form_errors.append(f"Příliš mnoho žádostí. Další bude možná za {_czech_wait(wait)}.")
        return render_template("auth/forgot.html", form=form), 429, {"Retry-After": str(wait)}
    throttle.record_failure(key, address)
    reset.request_reset(email)
    db.session.commit()
    flash(RESET_SENT.format(email=service.normalize_email(email)), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    form = ResetPasswordForm()

    def page():
        return render_template(
            "auth/reset.html", form=form, valid=reset.valid_token(token) is not None, invalid_message=reset.INVALID_LINK
        )

    if request.method == "GET":
        return page()

    def run() -> None:
        reset.reset_password(token, required(form.new_password.data))
        if current_user.is_authenticated:
            logout_user()
        session.clear()

    return act(
        run,
        success="Nové heslo je nastaveno a všechna přihlášení k účtu byla ukončena. Přihlaste se novým heslem.",
        back=url_for("auth.reset_password", token=token),
        then=url_for("auth.login"),
        form=form,
        page=page,
    )


def _fill_binding_choices(form: UserForm | UserEditForm) -> None:
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


def _update_user(user: User, form: UserEditForm) -> dict:
    changes = service.update_user(
        user,
        email=required(form.email.data),
        name=required(form.name.data),
        role=Role(form.role.data),
        kraj=db.session.get(Kraj, form.kraj.data) if form.kraj.data else None,
        orp=db.session.get(Orp, form.orp.data) if form.orp.data else None,
        provider=db.session.get(Provider, form.provider.data) if form.provider.data else None,
        manages_colleagues=bool(form.manages_colleagues.data),
        actor=current_user,
    )
    if user.id == current_user.id and changes:
        sessions.begin(user)  # an admin who changed their own e-mail ended their other sessions, not this one
    return changes


@users_bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@roles_required(*REGISTER_KEEPERS)
def edit(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserEditForm(
        data=None
        if request.method == "POST"
        else {
            "email": user.email,
            "name": user.name,
            "role": user.role.value,
            "kraj": user.kraj_id,
            "orp": user.orp_id,
            "provider": user.provider_id,
            "manages_colleagues": user.manages_colleagues,
        }
    )
    _fill_binding_choices(form)
    if user.provider is not None and not user.provider.active:  # keep an inactive provider selectable
        cast(list, form.provider.choices).append(
            SelectChoice(user.provider.id, f"{user.provider.name} (IČO {user.provider.ico})")
        )

    def page():
        return render_template("auth/user_edit.html", form=form, user=user, history=history(user))

    if request.method == "GET":
        return page()
    return act(
        lambda: _update_user(user, form),
        success=lambda changes: f"Účet {user.email} byl upraven." if changes else "Nic se nezměnilo.",
        back=url_for("users.edit", user_id=user.id),
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


# --- a provider's account manager and their colleagues -----------------------------------------------
def _manager() -> User:
    manager = current_user._get_current_object()
    ensure(can_manage_colleagues(manager))
    return manager


@colleagues_bp.get("/", endpoint="index")
@login_required
def colleagues_index():
    manager = _manager()
    return render_template("auth/colleagues.html", manager=manager, users=colleagues.colleagues(manager))


@colleagues_bp.route("/new", methods=["GET", "POST"], endpoint="create")
@login_required
def create_colleague():
    manager = _manager()
    form = ColleagueForm()

    def page():
        return render_template("auth/colleague_form.html", form=form, manager=manager)

    if request.method == "GET":
        return page()
    return act(
        lambda: colleagues.create_colleague(
            manager,
            email=required(form.email.data),
            name=required(form.name.data),
            password=required(form.password.data),
        ),
        success=lambda user: f"Účet {user.email} byl založen.",
        back=url_for("colleagues.create"),
        then=url_for("colleagues.index"),
        form=form,
        page=page,
    )


def _set_colleague_active(user_id: int, active: bool):
    manager = _manager()
    colleague = db.get_or_404(User, user_id)
    ensure(can_manage_colleague(manager, colleague))
    return act(
        lambda: colleagues.set_colleague_active(manager, colleague, active),
        success=f"Účet {colleague.email} je {'aktivní' if active else 'deaktivován'}.",
        back=url_for("colleagues.index"),
    )


@colleagues_bp.post("/<int:user_id>/deactivate", endpoint="deactivate")
@login_required
def deactivate_colleague(user_id: int):
    return _set_colleague_active(user_id, False)


@colleagues_bp.post("/<int:user_id>/activate", endpoint="activate")
@login_required
def activate_colleague(user_id: int):
    return _set_colleague_active(user_id, True)
