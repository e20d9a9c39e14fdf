"""Which Congress offices take CWC: the chambers' own office lists, refreshed by sync and stored with their date."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from sqlalchemy import delete, select

from outreach.extensions import db
from outreach.models import Chamber, CwcOffice, Term
from outreach.models.base import utcnow

log = logging.getLogger(__name__)


def office_code_for(term: Term) -> str:
    """Return the CWC office code of a seat."""
    from outreach.delivery.channels.cwc import office_code

    return office_code(term.chamber.value, term.state, term.district, term.senate_class)


def chamber_configured(config: Mapping, chamber: Chamber) -> bool:
    """Tell whether CWC keys are set for a chamber."""
    prefix = "CWC_HOUSE" if chamber is Chamber.HOUSE else "CWC_SENATE"
    return bool(config.get(f"{prefix}_API_URL") and config.get(f"{prefix}_API_KEY")
                and config.get("CWC_DELIVERY_AGENT_NAME"))


def refresh(config: Mapping) -> list[str]:
    """Replace each configured chamber's stored office list with a fresh one; return warnings."""
    from outreach.delivery.channels.cwc import fetch_office_codes

    warnings = []
    for chamber, prefix in ((Chamber.HOUSE, "CWC_HOUSE"), (Chamber.SENATE, "CWC_SENATE")):
        if not chamber_configured(config, chamber):
            continue
        try:
            codes = fetch_office_codes(config[f"{prefix}_API_URL"], config[f"{prefix}_API_KEY"], chamber.value,
                                       timeout=float(config.get("CWC_TIMEOUT") or 15))
        except Exception as exc:  # keep the previous list: a stale list beats none
            warnings.append(f"CWC {chamber.value} office list not refreshed ({type(exc).__name__})")
            log.warning("CWC %s office list not refreshed: %s", chamber.value, type(exc).__name__)
            continue
        db.session.execute(delete(CwcOffice).where(CwcOffice.chamber == chamber))
        now = utcnow()
        db.session.add_all(CwcOffice(office_code=code, chamber=chamber, fetched_at=now) for code in sorted(codes))
        db.session.commit()
        log.info("CWC %s office list: %s offices", chamber.value, len(codes))
    return warnings


def takes_cwc(config: Mapping, term: Term, prefix: str | None) -> bool:
    """Tell whether a member's office can be sent this constituent's message through CWC here and now."""
    from outreach.delivery.channels.cwc import cwc_prefix

    if not chamber_configured(config, term.chamber):
        return False
    # The Senate accepts only Mr., Mrs., Miss, Ms. and Dr.; without one of them the person delivers it.
    if term.chamber is Chamber.SENATE and cwc_prefix(prefix, "senate") is None:
        return False
    return db.session.get(CwcOffice, office_code_for(term)) is not None


def stored_offices(chamber: Chamber) -> list[CwcOffice]:
    """Return a chamber's stored office list."""
    return list(db.session.scalars(select(CwcOffice).where(CwcOffice.chamber == chamber)))
