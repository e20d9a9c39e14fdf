"""Dashboard: the campaign list and the campaign builder (campaign, demands, messages, targets, signers)."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for

from wtforms.fields.choices import SelectChoice

from outreach.campaigns import builder, signer_import
from outreach.campaigns.builder import BuilderError
from outreach.campaigns.signer_import import SignerImportError
from outreach.extensions import db
from outreach.models import Audience, Campaign, Demand
from outreach.web.dashboard import bp
from outreach.web.dashboard.campaign_forms import (
    CampaignForm,
    ConfirmForm,
    DemandForm,
    SignerImportForm,
    SignerReviewForm,
    TargetForm,
    TemplateForm,
)

MAX_UPLOAD_BYTES = 1_000_000
LOCALE_LABELS = {"en": "English", "es": "Spanish"}
AUDIENCE_LABELS = {Audience.SIGNER: "members who signed (thank them, ask them to keep pushing)",
                   Audience.OTHER: "everyone else (urge them to act)"}


def _campaign(campaign_id: int) -> Campaign:
    return db.session.get(Campaign, campaign_id) or abort(404)


def _demand(campaign: Campaign, demand_id: int) -> Demand:
    return next((d for d in campaign.demands if d.id == demand_id), None) or abort(404)


def _field_error(form, exc: BuilderError) -> None:
    """Put a builder error next to its field, or flash it when it belongs to no field."""
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None:
        target.errors = list(target.errors) + [exc.message]
    else:
        flash(exc.message, "error")


def _confirmed() -> None:
    if not ConfirmForm().validate_on_submit():
        abort(400)


# --- campaigns ----------------------------------------------------------------------------------


@bp.route("/")
def home():
    """List every campaign with its status."""
    return render_template("dashboard/home.html", campaigns=builder.campaigns_for_dashboard())


@bp.route("/campaigns/new", methods=["GET", "POST"])
def campaign_new():
    """Create a draft campaign from a letter."""
    form = CampaignForm()
    if request.method == "GET":
        form.eligible_chamber.data = "house"
    if form.validate_on_submit():
        try:
            campaign = builder.create_campaign(form.values())
        except BuilderError as exc:
            _field_error(form, exc)
        else:
            flash("Draft created. Add its demands next.")
            return redirect(url_for("dashboard.campaign", campaign_id=campaign.id), 303)
    return render_template("dashboard/campaigns/form.html", form=form, campaign=None), 400 if form.errors else 200


@bp.route("/campaigns/<int:campaign_id>")
def campaign(campaign_id: int):
    """Show a campaign's demands, messages, targets, signers and status, with what is missing to publish."""
    found = _campaign(campaign_id)
    return render_template("dashboard/campaigns/show.html", campaign=found, confirm=ConfirmForm(),
                           problems=builder.publish_problems(found), find_template=builder.find_template,
                           audiences=list(Audience), locales=builder.LOCALES, locale_labels=LOCALE_LABELS)


@bp.route("/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
def campaign_edit(campaign_id: int):
    """Change a campaign and its letter."""
    found = _campaign(campaign_id)
    form = CampaignForm()
    if request.method == "GET":
        form.fill_from(found)
    elif form.validate_on_submit():
        try:
            builder.update_campaign(found, form.values())
        except BuilderError as exc:
            _field_error(form, exc)
        else:
            flash("Saved.")
            return redirect(url_for("dashboard.campaign", campaign_id=found.id), 303)
    return render_template("dashboard/campaigns/form.html", form=form, campaign=found), 400 if form.errors else 200


@bp.post("/campaigns/<int:campaign_id>/publish")
def campaign_publish(campaign_id: int):
    """Make a draft live."""
    return _change_status(campaign_id, builder.publish, "The campaign is live.")


@bp.post("/campaigns/<int:campaign_id>/close")
def campaign_close(campaign_id: int):
    """Close a live campaign."""
    return _change_status(campaign_id, builder.close,
                          "The campaign is closed: its pages say so and take no more actions.")


def _change_status(campaign_id: int, change, done: str):
    _confirmed()
    found = _campaign(campaign_id)
    try:
        change(found)
    except BuilderError as exc:
        flash(exc.message, "error")
    else:
        flash(done)
    return redirect(url_for("dashboard.campaign", campaign_id=found.id), 303)


# --- demands ------------------------------------------------------------------------------------


@bp.route("/campaigns/<int:campaign_id>/demands/new", methods=["GET", "POST"])
def demand_new(campaign_id: int):
    """Add a demand (an action page)."""
    found = _campaign(campaign_id)
    form = DemandForm()
    if form.validate_on_submit():
        try:
            demand = builder.add_demand(found, form.values())
        except BuilderError as exc:
            _field_error(form, exc)
        else:
            flash("Demand added. Write its messages next.")
            return redirect(url_for("dashboard.template_edit", campaign_id=found.id, demand_id=demand.id,
                                    audience="signer", locale="en"), 303)
    return render_template("dashboard/campaigns/demand_form.html", form=form, campaign=found,
                           demand=None), 400 if form.errors else 200


@bp.route("/campaigns/<int:campaign_id>/demands/<int:demand_id>", methods=["GET", "POST"])
def demand_edit(campaign_id: int, demand_id: int):
    """Change a demand."""
    found = _campaign(campaign_id)
    demand = _demand(found, demand_id)
    form = DemandForm()
    if request.method == "GET":
        form.fill_from(demand)
    elif form.validate_on_submit():
        try:
            builder.update_demand(demand, form.values())
        except BuilderError as exc:
            _field_error(form, exc)
        else:
            flash("Saved.")
            return redirect(url_for("dashboard.campaign", campaign_id=found.id), 303)
    return render_template("dashboard/campaigns/demand_form.html", form=form, campaign=found,
                           demand=demand), 400 if form.errors else 200


@bp.post("/campaigns/<int:campaign_id>/demands/<int:demand_id>/move/<any(up,down):direction>")
def demand_move(campaign_id: int, demand_id: int, direction: str):
    """Move a demand up or down the list."""
    _confirmed()
    found = _campaign(campaign_id)
    builder.move_demand(_demand(found, demand_id), -1 if direction == "up" else 1)
    return redirect(url_for("dashboard.campaign", campaign_id=found.id, _anchor="demands"), 303)


@bp.post("/campaigns/<int:campaign_id>/demands/<int:demand_id>/remove")
def demand_remove(campaign_id: int, demand_id: int):
    """Remove a demand nobody has acted on."""
    _confirmed()
    found = _campaign(campaign_id)
    try:
        builder.remove_demand(_demand(found, demand_id))
    except BuilderError as exc:
        flash(exc.message, "error")
    else:
        flash("Demand removed.")
    return redirect(url_for("dashboard.campaign", campaign_id=found.id, _anchor="demands"), 303)


# --- message templates --------------------------------------------------------------------------


def _template_args(campaign_id: int, demand_id: int, audience: str, locale: str):
    found = _campaign(campaign_id)
    demand = _demand(found, demand_id)
    if locale not in builder.LOCALES or audience not in {a.value for a in Audience}:
        abort(404)
    return found, demand, Audience(audience)


def _preview_choices(form: TemplateForm, campaign: Campaign) -> None:
    members = builder.preview_members(campaign.letter.eligible_chamber)
    form.preview_member.choices = [SelectChoice(m.bioguide_id, m.label) for m in members]
    if not form.preview_member.data and members:
        form.preview_member.data = members[0].bioguide_id


@bp.route("/campaigns/<int:campaign_id>/demands/<int:demand_id>/templates/<audience>/<locale>",
          methods=["GET", "POST"])
def template_edit(campaign_id: int, demand_id: int, audience: str, locale: str):
    """Write one message (demand × audience × language), with a preview for a real member."""
    found, demand, chosen = _template_args(campaign_id, demand_id, audience, locale)
    form = TemplateForm()
    existing = builder.find_template(demand, chosen, locale)
    if request.method == "GET" and existing is not None:
        form.subject.data, form.body.data, form.sms_body.data = existing.subject, existing.body, existing.sms_body
    _preview_choices(form, found)
    preview, status = None, 200
    if request.method == "POST" and form.validate_on_submit():
        if "save" in request.form:
            try:
                builder.save_template(demand, chosen, locale, form.values())
            except BuilderError as exc:
                _field_error(form, exc)
                status = 400
            else:
                flash("Message saved.")
                return redirect(url_for("dashboard.campaign", campaign_id=found.id, _anchor="demands"), 303)
    elif request.method == "POST":
        status = 400
    if form.subject.data or form.body.data:
        preview = builder.preview_template(demand, chosen, locale, form.values(), form.preview_member.data)
    return render_template("dashboard/campaigns/template_form.html", form=form, campaign=found, demand=demand,
                           audience=chosen, locale=locale, preview=preview, existing=existing,
                           audience_label=AUDIENCE_LABELS[chosen], locale_label=LOCALE_LABELS[locale],
                           placeholders=builder.KNOWN_PLACEHOLDERS,
                           unknown={n: builder.unknown_placeholders(getattr(form, n).data or "")
                                    for n in ("subject", "body", "sms_body")},
                           constituent=builder.PREVIEW_CONSTITUENT), status


@bp.post("/campaigns/<int:campaign_id>/demands/<int:demand_id>/templates/<audience>/<locale>/preview")
def template_preview(campaign_id: int, demand_id: int, audience: str, locale: str):
    """Return the preview as JSON, for the editor's as-you-type update (CSRF token in X-CSRFToken)."""
    _found, demand, chosen = _template_args(campaign_id, demand_id, audience, locale)
    values = builder.TemplateFields(request.form.get("subject", "")[:300], request.form.get("body", "")[:10_000],
                                    request.form.get("sms_body", "")[:1000])
    preview = builder.preview_template(demand, chosen, locale, values, request.form.get("preview_member"))
    unknown = sorted({n for f in ("subject", "body", "sms_body")
                      for n in builder.unknown_placeholders(getattr(values, f))})
    if preview is None:
        return jsonify(ok=False, unknown=unknown)
    return jsonify(ok=True, member=preview.member_name, subject=preview.subject, body=preview.body,
                   sms_body=preview.sms_body, unknown=unknown)


@bp.post("/campaigns/<int:campaign_id>/demands/<int:demand_id>/templates/<audience>/<locale>/delete")
def template_delete(campaign_id: int, demand_id: int, audience: str, locale: str):
    """Delete a message (a translation falls back to English)."""
    _confirmed()
    found, demand, chosen = _template_args(campaign_id, demand_id, audience, locale)
    try:
        builder.delete_template(demand, chosen, locale)
    except BuilderError as exc:
        flash(exc.message, "error")
    else:
        flash("Message deleted.")
    return redirect(url_for("dashboard.campaign", campaign_id=found.id, _anchor="demands"), 303)


# --- custom targets -----------------------------------------------------------------------------


@bp.route("/campaigns/<int:campaign_id>/targets", methods=["GET", "POST"])
def targets(campaign_id: int):
    """List and add the campaign's custom email targets."""
    found = _campaign(campaign_id)
    form = TargetForm()
    if form.validate_on_submit():
        try:
            builder.add_target(found, form.title.data or "", form.name.data, form.email.data)
        except BuilderError as exc:
            _field_error(form, exc)
        else:
            flash("Target added: every action's message now also goes to them by email.")
            return redirect(url_for("dashboard.targets", campaign_id=found.id), 303)
    return render_template("dashboard/campaigns/targets.html", campaign=found, form=form,
                           confirm=ConfirmForm()), 400 if form.errors else 200


@bp.post("/campaigns/<int:campaign_id>/targets/<int:target_id>/remove")
def target_remove(campaign_id: int, target_id: int):
    """Remove a custom target."""
    _confirmed()
    found = _campaign(campaign_id)
    target = next((t for t in found.targets if t.id == target_id), None) or abort(404)
    builder.remove_target(target)
    flash("Target removed.")
    return redirect(url_for("dashboard.targets", campaign_id=found.id), 303)


# --- signers ------------------------------------------------------------------------------------


def _signers_page(found: Campaign, form: SignerImportForm, status: int = 200):
    from outreach.campaigns.services import signer_rows

    return render_template("dashboard/campaigns/signers.html", campaign=found, form=form,
                           signers=signer_rows(found.letter), confirm=ConfirmForm()), status


@bp.get("/campaigns/<int:campaign_id>/signers")
def signers(campaign_id: int):
    """List the letter's signatures, with the import form."""
    return _signers_page(_campaign(campaign_id), SignerImportForm(formdata=None))


def _review_page(found: Campaign, form: SignerReviewForm, results, errors=None, status: int = 200):
    return render_template("dashboard/campaigns/signers_review.html", campaign=found, form=form, results=results,
                           errors=errors or {}, counts={k: sum(r.status == k for r in results)
                                                        for k in ("matched", "ambiguous", "unmatched")},
                           existing={s.bioguide_id: s for s in found.letter.signatures}), status


@bp.post("/campaigns/<int:campaign_id>/signers/review")
def signers_review(campaign_id: int):
    """Match pasted or uploaded names and show matched, ambiguous and unmatched before anything is saved."""
    found = _campaign(campaign_id)
    form = SignerImportForm()
    if not form.validate_on_submit():
        return _signers_page(found, form, 400)
    text = form.text.data or ""
    upload = form.upload.data
    try:
        if upload and getattr(upload, "filename", ""):
            data = upload.read(MAX_UPLOAD_BYTES + 1)
            if len(data) > MAX_UPLOAD_BYTES:
                raise SignerImportError("The file is larger than 1 MB.")
            text = signer_import.decode_upload(data)
        results = signer_import.match_rows(found.letter, signer_import.parse_signer_text(text))
    except SignerImportError as exc:
        form.text.errors = [str(exc)]
        return _signers_page(found, form, 400)
    review = SignerReviewForm(formdata=None, text=text, source=form.source.data or "")
    return _review_page(found, review, results)


@bp.post("/campaigns/<int:campaign_id>/signers/save")
def signers_save(campaign_id: int):
    """Save the reviewed import: existing signatures are left as they are."""
    found = _campaign(campaign_id)
    form = SignerReviewForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        results = signer_import.match_rows(found.letter, signer_import.parse_signer_text(form.text.data))
    except SignerImportError as exc:
        flash(str(exc), "error")
        return redirect(url_for("dashboard.signers", campaign_id=found.id), 303)
    # A typed bioguide id wins over the row's select, so resolving a row needs no JavaScript.
    choices = {r.row.index: (request.form.get(f"typed-{r.row.index}") or request.form.get(f"choice-{r.row.index}")
                             or "").strip() for r in results}
    decisions, errors, skipped = signer_import.resolve(found.letter, results, choices, form.source.data or "")
    if errors:
        return _review_page(found, form, results, errors, 400)
    try:
        report = signer_import.save_signatures(found.letter, decisions, skipped)
    except SignerImportError as exc:
        flash(str(exc), "error")
        return redirect(url_for("dashboard.signers", campaign_id=found.id), 303)
    flash(f"{report.added} signatures added, {report.unchanged} already on file, {report.skipped} rows skipped"
          + (f", {report.duplicates} repeated rows ignored" if report.duplicates else "") + ".")
    for name, bioguide_id, source in report.kept_other_source:
        flash(f"{name} ({bioguide_id}) was already on file with another source ({source}); that source was kept. "
              "Remove the signature first to change it.", "error")
    return redirect(url_for("dashboard.signers", campaign_id=found.id), 303)


@bp.post("/campaigns/<int:campaign_id>/signers/<int:signature_id>/remove")
def signature_remove(campaign_id: int, signature_id: int):
    """Remove one signature (a wrong match)."""
    _confirmed()
    found = _campaign(campaign_id)
    if not signer_import.remove_signature(found.letter, signature_id):
        abort(404)
    flash("Signature removed.")
    return redirect(url_for("dashboard.signers", campaign_id=found.id), 303)

