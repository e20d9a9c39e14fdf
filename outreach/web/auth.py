"""Organizer login, logout, account settings, and the emailed password links (English-only)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from outreach.models import TokenPurpose
from outreach.organizers import services
from outreach.web.auth_forms import ChangePasswordForm, ForgotPasswordForm, LoginForm, PhoneForm, SetPasswordForm

bp = Blueprint("auth", __name__)

INVALID_LOGIN = "That email and password do not match an account that can log in."
LINK_GONE = "This link has expired or was already used."


@bp.after_request
def never_cache(response):
    # Login and password pages carry CSRF tokens and, for the links, a secret in the URL.
    response.headers["Cache-Control"] = "no-store"
    # A reset or invitation link must not leak to another site through the Referer header.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def home_url() -> str:
    """Return where an organizer lands after logging in."""
    return url_for("dashboard.home")


def safe_next(target: str | None) -> str | None:
    """Return `target` when it is a path on this site, else None (no open redirect)."""
    if not target or len(target) > 2000 or not target.startswith("/"):
        return None
    # Browsers treat "\" as "/" and drop tabs and newlines, so "/\evil" and "/\t/evil" mean "//evil".
    if "\\" in target or any(ord(char) < 33 or ord(char) == 127 for char in target):
        return None
    if target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log an organizer in; throttled per account and per client address."""
    destination = safe_next(request.args.get("next")) or home_url()
    if current_user.is_authenticated:
        return redirect(destination)
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        result = services.authenticate(form.email.data, form.password.data, request.remote_addr)
        if result.ok:
            login_user(result.organizer)
            return redirect(destination)
        if result.throttled:
            status = 429
            minutes = result.retry_after_minutes
            form.password.errors.append(f"Too many failed attempts. Try again in {minutes} minute"
                                        f"{'' if minutes == 1 else 's'}, or reset your password.")
        else:
            form.password.errors.append(INVALID_LOGIN)
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out, and end every session of this organizer: a copied cookie stops working too."""
    if current_user.is_authenticated:
        services.end_sessions(current_user._get_current_object())
    logout_user()
    flash("You are logged out.")
    return redirect(url_for("auth.login"))


@bp.route("/account")
@login_required
def account():
    """Show the organizer's own settings: password and phone."""
    return _account_page(ChangePasswordForm(formdata=None), PhoneForm(formdata=None, data={"phone": current_user.phone}))


def _account_page(password_form: ChangePasswordForm, phone_form: PhoneForm, status: int = 200):
    return render_template("auth/account.html", password_form=password_form, phone_form=phone_form), status


@bp.route("/account/password", methods=["POST"])
@login_required
def change_password():
    """Change the password (the current one is required); other sessions end, this one continues."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        organizer = current_user._get_current_object()
        try:
            services.change_password(organizer, form.current_password.data, form.new_password.data)
        except services.AccountError as exc:
            getattr(form, exc.field or "current_password").errors.append(str(exc))
        else:
            login_user(organizer)  # the session token changed: carry this browser over to the new one
            flash("Password changed. Every other session has been logged out.")
            return redirect(url_for("auth.account"))
    return _account_page(form, PhoneForm(formdata=None, data={"phone": current_user.phone}), 400)


@bp.route("/account/phone", methods=["POST"])
@login_required
def change_phone():
    """Set or clear the organizer's own phone, where alert test sends go."""
    form = PhoneForm()
    if form.validate_on_submit():
        services.set_phone(current_user._get_current_object(), form.phone.data)
        flash("Phone number saved." if form.phone.data else "Phone number removed.")
        return redirect(url_for("auth.account"))
    return _account_page(ChangePasswordForm(formdata=None), form, 400)


@bp.route("/forgot", methods=["GET", "POST"])
def forgot_password():
    """Ask for a reset link; the answer is the same whether or not the account exists."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        return render_template("auth/forgot_sent.html")
    return render_template("auth/forgot.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password through an emailed reset link."""
    return _set_password(token, TokenPurpose.PASSWORD_RESET)


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    """Choose a first password through an invitation link."""
    return _set_password(token, TokenPurpose.INVITATION)


def _set_password(token: str, purpose: TokenPurpose):
    # Opening the link does not spend it (mail scanners open links); only setting the password does.
    organizer = services.organizer_for_token(token, purpose)
    if organizer is None:
        return render_template("auth/link_invalid.html", purpose=purpose.value), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            services.set_password_with_token(token, purpose, form.password.data)
        except services.AccountError as exc:
            if exc.field:
                getattr(form, exc.field).errors.append(str(exc))
            else:
                return render_template("auth/link_invalid.html", purpose=purpose.value), 404
        else:
            logout_user()
            flash("Your password is set. Log in with it now.")
            return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, organizer=organizer, purpose=purpose.value)
