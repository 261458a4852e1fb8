"""Logging in and out, and the administration of user accounts."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from wtforms.fields.choices import SelectChoice

from minitendr.auth import service
from minitendr.auth.forms import LoginForm, UserForm
from minitendr.auth.models import ROLE_LABELS, Role, User
from minitendr.db import DomainError, db
from minitendr.extensions import limiter
from minitendr.permissions import roles_required
from minitendr.providers.models import Provider
from minitendr.registry.models import Kraj, Orp

bp = Blueprint("auth", __name__)
users_bp = Blueprint("users", __name__, url_prefix="/admin/users")


def _login_failed(response) -> bool:
    """Only failed attempts count towards the limits: a successful login redirects."""
    return response.status_code != 302


def _account_key() -> str:
    return "login-account:" + service.normalize_email(request.form.get("email", ""))


def _safe_next(target: str | None) -> str | None:
    """Follow ``next`` only within this site (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"], deduct_when=_login_failed)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_login_failed,
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = service.authenticate(form.email.data, form.password.data)
        if user is not None:
            # A fresh session: nothing from before the login (a planted token included) survives.
            session.clear()
            login_user(user)
            session.permanent = True
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")) or url_for("home.index"))
        form.form_errors.append("Nesprávný e-mail nebo heslo, případně je účet deaktivován.")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    logout_user()
    session.clear()
    flash("Byli jste odhlášeni.", "info")
    return redirect(url_for("auth.login"))


def _fill_binding_choices(form: UserForm) -> None:
    empty = [SelectChoice("", "—")]
    kraje = db.session.scalars(db.select(Kraj).order_by(Kraj.name))
    form.kraj.choices = empty + [SelectChoice(k.id, k.name) for k in kraje]
    orps = db.session.execute(db.select(Orp, Kraj.name).join(Orp.kraj).order_by(Kraj.name, Orp.name))
    form.orp.choices = empty + [SelectChoice(o.id, o.name, optgroup=kraj) for o, kraj in orps]
    providers = db.session.scalars(db.select(Provider).where(Provider.active).order_by(Provider.name))
    form.provider.choices = empty + [SelectChoice(p.id, f"{p.name} (IČO {p.ico})") for p in providers]


@users_bp.get("/")
@roles_required(Role.ADMIN)
def index():
    role = request.args.get("role") or None
    query = (request.args.get("q") or "").strip()
    stmt = db.select(User).order_by(User.role, User.email)
    if role in {r.value for r in Role}:
        stmt = stmt.where(User.role == Role(role))
    if query:
        like = f"%{query.lower()}%"
        stmt = stmt.where(db.or_(db.func.lower(User.email).like(like), db.func.lower(User.name).like(like)))
    users = db.paginate(stmt, per_page=50, error_out=False)
    return render_template("auth/users.html", users=users, roles=ROLE_LABELS, role=role, q=query)


@users_bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def create():
    form = UserForm()
    _fill_binding_choices(form)
    if form.validate_on_submit():
        try:
            user = service.create_user(
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                role=Role(form.role.data),
                kraj=db.session.get(Kraj, form.kraj.data) if form.kraj.data else None,
                orp=db.session.get(Orp, form.orp.data) if form.orp.data else None,
                provider=db.session.get(Provider, form.provider.data) if form.provider.data else None,
                actor=current_user,
            )
        except DomainError as error:
            db.session.rollback()
            form.add_domain_error(error)
        else:
            db.session.commit()
            flash(f"Uživatel {user.email} byl vytvořen.", "success")
            return redirect(url_for("users.index"))
    return render_template("auth/user_form.html", form=form)


def _set_active(user_id: int, active: bool):
    user = db.get_or_404(User, user_id)
    try:
        service.set_active(user, active, actor=current_user)
    except DomainError as error:
        flash(error.message, "danger")
        return redirect(url_for("users.index"))
    db.session.commit()
    flash(f"Účet {user.email} je {'aktivní' if active else 'deaktivován'}.", "success")
    return redirect(url_for("users.index"))


@users_bp.post("/<int:user_id>/deactivate")
@roles_required(Role.ADMIN)
def deactivate(user_id: int):
    return _set_active(user_id, False)


@users_bp.post("/<int:user_id>/activate")
@roles_required(Role.ADMIN)
def activate(user_id: int):
    return _set_active(user_id, True)
