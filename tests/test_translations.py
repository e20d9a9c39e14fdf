"""Spanish ships: every user-facing string is extracted and translated."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "outreach" / "translations" / "es" / "LC_MESSAGES" / "messages.po"


def msgids(catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def test_every_string_in_the_code_is_in_the_spanish_catalogue(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
                    "-k", "_l", "-o", str(pot), "."], cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as extracted, CATALOG.open("rb") as spanish:
        missing = msgids(read_po(extracted)) - msgids(read_po(spanish))
    assert not missing, f"run `make messages` and translate: {sorted(missing)}"


def test_every_spanish_entry_is_translated_and_not_fuzzy():
    with CATALOG.open("rb") as spanish:
        catalog = read_po(spanish, locale="es")
    untranslated = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert not untranslated
