"""flask outreach … commands."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import with_appcontext

from outreach.campaigns.services import seed_builtin_campaign
from outreach.congress.sync import SyncError, data_is_fresh, sync


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
    for warning in report.warnings:
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    click.echo(f"Done in {time.monotonic() - started:.1f} s")


@outreach_cli.command("seed")
@with_appcontext
def seed_command() -> None:
    """Create the built-in campaign for the letter of 11 February 2021 (safe to run again)."""
    report = seed_builtin_campaign()
    click.echo(f"Built-in campaign: {'created' if report.created_campaign else 'already present'}; "
               f"{report.demands_added} demands and {report.signatures_added} signatures added.")
