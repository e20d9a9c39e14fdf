"""Typed SQLAlchemy models, one module per domain."""

from outreach.models.campaigns import Campaign, CampaignStatus, Demand
from outreach.models.congress import Chamber, DataSync, DistrictOffice, Person, Term, ZipDistrict
from outreach.models.letters import Letter, Signature

__all__ = [
    "Campaign",
    "CampaignStatus",
    "Chamber",
    "DataSync",
    "Demand",
    "DistrictOffice",
    "Letter",
    "Person",
    "Signature",
    "Term",
    "ZipDistrict",
]
