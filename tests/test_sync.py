"""flask outreach sync on the project's own fixture files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from outreach.congress.sync import SyncError, congress_number, sync
from outreach.models import DataSync, Person, Term, ZipDistrict
from tests.conftest import FIXTURE_DATA


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_first_sync_loads_people_terms_offices_and_zips(db):
    report = sync(str(FIXTURE_DATA))
    assert report.congress == 119
    assert count(db, Person) == 22
    assert count(db, ZipDistrict) == 11
    schakowsky = db.session.get(Person, "S001145")
    assert schakowsky.is_current and schakowsky.display_name == "Janice D. Schakowsky"
    seat = schakowsky.current_term
    assert (seat.chamber.value, seat.state, seat.district) == ("house", "IL", 9)
    assert seat.phone and seat.contact_url.startswith("https://")
    assert schakowsky.offices and schakowsky.offices[0].city
    # People only in the 117th-Congress file are kept, with their terms, but are not current.
    blumenauer = db.session.get(Person, "B000574")
    assert not blumenauer.is_current and blumenauer.current_term is None and blumenauer.terms


def test_sync_records_source_date_congress_and_counts(db):
    sync(str(FIXTURE_DATA))
    record = db.session.scalar(select(DataSync))
    assert record.congress == 119
    assert "legislators-current.yaml" in record.source
    assert record.source_date is not None
    assert record.counts["senators"] == 10
    assert "CA-14" in record.counts["vacancies"]


def test_small_data_warns_about_seat_counts(db):
    report = sync(str(FIXTURE_DATA))
    assert any(w.startswith("Senate: 10 senators, expected 100") for w in report.warnings)
    assert any(w.startswith("House:") for w in report.warnings)


def test_malformed_contact_link_is_dropped_and_member_kept(db, caplog):
    report = sync(str(FIXTURE_DATA))
    hageman = db.session.get(Person, "H001096")
    assert hageman.is_current
    assert hageman.current_term.contact_form is None
    assert hageman.current_term.contact_url == hageman.current_term.url
    assert "H001096: malformed contact_form ignored" in report.warnings
    assert any("H001096" in r.getMessage() for r in caplog.records)


def test_second_run_changes_nothing(db):
    sync(str(FIXTURE_DATA))
    term_ids = set(db.session.scalars(select(Term.id)))
    report = sync(str(FIXTURE_DATA))
    assert not report.changed_anything
    assert set(db.session.scalars(select(Term.id))) == term_ids


def test_changed_files_update_rows(db, tmp_path):
    sync(str(FIXTURE_DATA))
    data = tmp_path / "data"
    shutil.copytree(FIXTURE_DATA, data)
    current = data / "congress-legislators" / "legislators-current.yaml"
    text = current.read_text()
    # Goldman leaves (his record disappears from the current file), a ZIP row goes away.
    start = text.index("- id: {bioguide: G000599")
    end = text.index("\n- id:", start + 1)
    current.write_text(text[:start] + text[end + 1:])
    zips = data / "zip-districts" / "zccd.csv"
    zips.write_text("".join(line for line in zips.read_text().splitlines(True) if ",60601," not in line))

    report = sync(str(data))
    assert report.people_no_longer_current == 1
    assert report.zip_rows_removed == 1
    goldman = db.session.get(Person, "G000599")
    assert not goldman.is_current
    assert not any(t.is_current for t in goldman.terms)
    assert "NY-10" in report.vacancies


def test_missing_folder_says_what_to_do(db, tmp_path):
    with pytest.raises(SyncError, match="not a folder"):
        sync(str(tmp_path / "nowhere"))


def test_missing_required_file_is_named(db, tmp_path):
    shutil.copytree(FIXTURE_DATA, tmp_path / "data")
    (tmp_path / "data" / "zip-districts" / "zccd.csv").unlink()
    with pytest.raises(SyncError, match="zccd.csv"):
        sync(str(tmp_path / "data"))


def test_offline_without_data_dir_points_at_outreach_data_dir(db):
    import requests

    def offline(url):
        raise requests.ConnectionError("no network")

    with pytest.raises(SyncError, match="OUTREACH_DATA_DIR"):
        sync(None, fetch=offline)


def test_json_current_file_is_accepted(db, tmp_path):
    import json

    import yaml

    data = tmp_path / "data"
    shutil.copytree(FIXTURE_DATA, data)
    current = data / "congress-legislators" / "legislators-current.yaml"
    records = yaml.safe_load(current.read_text())
    (current.with_suffix(".json")).write_text(json.dumps(records, default=str))
    current.unlink()
    report = sync(str(data))
    assert db.session.get(Person, "S001145").is_current
    assert report.congress == 119


@pytest.mark.parametrize(("day", "number"), [("2021-02-11", 117), ("2025-01-03", 119), ("2026-04-20", 119),
                                              ("2027-01-02", 119), ("2027-01-03", 120)])
def test_congress_number(day, number):
    from datetime import date

    assert congress_number(date.fromisoformat(day)) == number


def test_cli_sync_prints_counts_and_warnings(runner, db):
    result = runner.invoke(args=["outreach", "sync", "--data-dir", str(FIXTURE_DATA)])
    assert result.exit_code == 0, result.output
    assert "Congress: 119" in result.output
    assert "Senators: 10 of 100" in result.output
    assert "warning: Senate: 10 senators" in result.output
    again = runner.invoke(args=["outreach", "sync", "--data-dir", str(FIXTURE_DATA), "--if-older-than", "1"])
    assert "not syncing" in again.output


def test_cli_sync_without_data_fails_clearly(runner, db, tmp_path):
    result = runner.invoke(args=["outreach", "sync", "--data-dir", str(Path(tmp_path) / "missing")])
    assert result.exit_code != 0
    assert "OUTREACH_DATA_DIR" in result.output
