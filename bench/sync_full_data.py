"""Time `sync` of the full data into a fresh database: first load, then an unchanged re-run.

Usage: OUTREACH_DATA_DIR=../shared/data .venv/bin/python bench/sync_full_data.py [DATABASE_URL]
Target (issue "Action pages"): the full data loads in under 30 seconds on SQLite.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from outreach import create_app  # noqa: E402
from outreach.congress.sync import sync  # noqa: E402
from outreach.extensions import db  # noqa: E402


def main() -> None:
    data_dir = os.environ.get("OUTREACH_DATA_DIR")
    if not data_dir:
        sys.exit("Set OUTREACH_DATA_DIR to a folder laid out like shared/data.")
    with tempfile.TemporaryDirectory() as tmp:
        url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{tmp}/bench.db"
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "GEOCODER": "none"})
        with app.app_context():
            db.drop_all()
            db.create_all()
            for label in ("first load", "unchanged re-run"):
                started = time.perf_counter()
                report = sync(data_dir)
                print(f"{label}: {time.perf_counter() - started:.2f} s "
                      f"({report.people_changed} people changed, +{report.zip_rows_added} ZIP rows)")
            db.drop_all()


if __name__ == "__main__":
    main()
