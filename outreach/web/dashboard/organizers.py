"""Dashboard: organizer accounts (admins only): invite, disable, re-enable."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from outreach.extensions import db
from outreach.models import Organizer, OrganizerRole
from outreach.organizers import services
from outreach.web.auth_forms import ConfirmForm, InviteForm
from outreach.web.dashboard import bp


def _admin() -> Organizer:
    """Return the logged-in admin, or stop with 403 for anyone else."""
    if not current_user.is_admin:
        abort(403)
    return current_user._get_current_object()


def _page(form: InviteForm, status: int = 200):
    return render_template("dashboard/organizers/index.html", organizers=services.list_organizers(),
                           invite_form=form, confirm_form=ConfirmForm(), me=current_user), status


@bp.route("/organizers")
def organizers():
    """List organizers, with the invitation form."""
    _admin()
    return _page(InviteForm(formdata=None))


@bp.route("/organizers/invite", methods=["POST"])
def organizers_invite():
    """Invite an organizer: an account without a password, and an emailed link to choose one."""
    actor = _admin()
    form = InviteForm()
    if form.validate_on_submit():
        try:
            invited = services.invite(actor, form.email.data, form.name.data, OrganizerRole(form.role.data))
        except services.AccountError as exc:
            getattr(form, exc.field or "email").errors.append(str(exc))
        else:
            flash(f"Invitation sent to {invited.name or 'the new organizer'}.")
            return redirect(url_for("dashboard.organizers"))
    return _page(form, 400)


@bp.route("/organizers/<int:organizer_id>/disable", methods=["POST"])
def organizers_disable(organizer_id: int):
    """Disable an organizer; their sessions end at once."""
    return _set_enabled(organizer_id, False)


@bp.route("/organizers/<int:organizer_id>/enable", methods=["POST"])
def organizers_enable(organizer_id: int):
    """Re-enable a disabled organizer."""
    return _set_enabled(organizer_id, True)


def _set_enabled(organizer_id: int, enabled: bool):
    actor = _admin()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    target = db.session.get(Organizer, organizer_id) or abort(404)
    try:
        services.set_enabled(actor, target, enabled)
    except services.AccountError as exc:
        flash(str(exc), "error")
    else:
        label = target.name or "The organizer"
        flash(f"{label} can log in again." if enabled else f"{label} is disabled and was logged out everywhere.")
    return redirect(url_for("dashboard.organizers"))
