"""flask outreach … commands."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import with_appcontext

from outreach.campaigns.services import seed_builtin_campaign
from outreach.congress.sync import SyncError, data_is_fresh, sync
from outreach.congress import cwc_offices
from outreach.delivery import operator
from outreach.models import Chamber, DeliveryState


@click.group("outreach")
def outreach_cli() -> None:
    """Outreach operator commands."""


@outreach_cli.command("sync")
@click.option("--data-dir", envvar="OUTREACH_DATA_DIR", default=None,
              help="Folder laid out like shared/data; downloads from upstream when unset.")
@click.option("--if-older-than", "max_age_hours", type=float, default=None,
              help="Skip when the last sync is younger than this many hours.")
@with_appcontext
def sync_command(data_dir: str | None, max_age_hours: float | None) -> None:
    """Load members, terms, offices and ZIP→district rows."""
    if max_age_hours is not None and data_is_fresh(max_age_hours):
        click.echo(f"Congress data is less than {max_age_hours:g} hours old; not syncing.")
        return
    started = time.monotonic()
    try:
        report = sync(data_dir or current_app.config.get("OUTREACH_DATA_DIR"))
    except SyncError as exc:
        raise click.ClickException(str(exc)) from None
    counts = report.counts
    click.echo(f"Congress: {report.congress}  (source: {report.source})")
    click.echo(f"House seats: {counts['house_seats_filled']} filled, {counts['house_seats_vacant']} vacant"
               f"{' (' + ', '.join(report.vacancies) + ')' if report.vacancies else ''}")
    click.echo(f"Delegates: {counts['delegates_filled']} of 6   Senators: {counts['senators']} of 100   "
               f"ZIP rows: {counts['zip_rows']}")
    click.echo(f"Changed: {report.people_changed} people, {report.people_no_longer_current} no longer current, "
               f"ZIP rows +{report.zip_rows_added} -{report.zip_rows_removed}")
    for warning in report.warnings + cwc_offices.refresh(current_app.config):
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    for chamber in (Chamber.HOUSE, Chamber.SENATE):
        if cwc_offices.chamber_configured(current_app.config, chamber):
            click.echo(f"CWC {chamber.value} offices: {len(cwc_offices.stored_offices(chamber))}")
    click.echo(f"Done in {time.monotonic() - started:.1f} s")


@outreach_cli.command("seed")
@with_appcontext
def seed_command() -> None:
    """Create the built-in campaign for the letter of 11 February 2021 (safe to run again)."""
    report = seed_builtin_campaign()
    click.echo(f"Built-in campaign: {'created' if report.created_campaign else 'already present'}; "
               f"{report.demands_added} demands and {report.signatures_added} signatures added.")


@outreach_cli.command("worker")
@click.option("--batch", default=10, show_default=True, help="Deliveries claimed per round.")
@click.option("--idle", default=1.0, show_default=True, help="Seconds to wait when nothing is due.")
@with_appcontext
def worker_command(batch: int, idle: float) -> None:
    """Send due deliveries until stopped (any number of workers may run at once on PostgreSQL)."""
    import signal
    import threading

    from outreach.delivery.worker import run

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    run(current_app._get_current_object(), stop, batch=batch, idle_seconds=idle)


@outreach_cli.command("deliveries")
@click.option("--state", "states", multiple=True, default=("unknown", "failed"), show_default=True,
              type=click.Choice([s.value for s in DeliveryState]))
@click.option("--limit", default=50, show_default=True)
@with_appcontext
def deliveries_command(states: tuple[str, ...], limit: int) -> None:
    """List deliveries that need an operator: unknown and failed by default."""
    rows = operator.deliveries_in([DeliveryState(s) for s in states], limit)
    if not rows:
        click.echo("Nothing to look at.")
    for d in rows:
        click.echo(f"{d.id}\t{d.state.value}\t{d.kind.value}\t{d.medium.value}\t{d.recipient_key}\t"
                   f"attempts={d.attempts}\t{d.last_error or d.skip_reason or ''}")


@outreach_cli.command("retry")
@click.argument("delivery_id", type=int)
@with_appcontext
def retry_command(delivery_id: int) -> None:
    """Send a failed or unknown delivery again (only after checking the provider did not take it)."""
    try:
        operator.retry(delivery_id)
    except operator.OperatorError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Delivery {delivery_id} is pending again.")


@outreach_cli.command("resolve")
@click.argument("delivery_id", type=int)
@click.option("--as", "state", required=True, type=click.Choice(["sent", "failed", "skipped"]))
@click.option("--note", default="resolved by an operator")
@with_appcontext
def resolve_command(delivery_id: int, state: str, note: str) -> None:
    """Settle an unknown or failed delivery by hand, after checking the provider's records."""
    try:
        operator.resolve(delivery_id, DeliveryState(state), note)
    except operator.OperatorError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Delivery {delivery_id} is {state}.")


@outreach_cli.command("purge")
@click.option("--days", type=int, default=None, help="Retention in days (default RETENTION_DAYS).")
@with_appcontext
def purge_command(days: int | None) -> None:
    """Erase street addresses and phone numbers of actions whose deliveries finished long enough ago."""
    from outreach.actions.services import erase_expired_contact_details

    count = erase_expired_contact_details(days if days is not None else current_app.config["RETENTION_DAYS"])
    click.echo(f"Erased contact details of {count} actions.")


@outreach_cli.command("create-organizer")
@click.argument("email")
@click.option("--name", default="", help="The organizer's name, as the dashboard shows it.")
@click.option("--role", type=click.Choice(["admin", "organizer"]), default="organizer", show_default=True,
              help="Admins can also invite, disable and re-enable organizers.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input instead of prompting.")
@with_appcontext
def create_organizer_command(email: str, name: str, role: str, password_stdin: bool) -> None:
    """Create an organizer account that can log in to the dashboard (password: at least 12 characters)."""
    import sys

    from outreach.models import OrganizerRole
    from outreach.organizers import services
    from outreach.organizers.passwords import MIN_PASSWORD_LENGTH, password_problem

    try:
        address = services.normalize_email(email)
    except services.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    if services.find_organizer(address) is not None:
        raise click.ClickException(f"An organizer with the email address {address} already exists.")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        click.echo(f"The password needs at least {MIN_PASSWORD_LENGTH} characters.")
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True,
                                value_proc=_checked_password(password_problem))
    problem = password_problem(password)
    if problem:
        raise click.ClickException(f"Password not accepted: {problem}")
    try:
        organizer = services.create_organizer(address, password, name=name, role=OrganizerRole(role))
    except services.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created {organizer.role.value} {organizer.email}. "
               f"Log in at {current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/login")


def _checked_password(problem_of):
    """Return a click value_proc that asks again when a typed password is not acceptable."""

    def check(value: str) -> str:
        problem = problem_of(value)
        if problem:
            raise click.BadParameter(problem)
        return value

    return check
