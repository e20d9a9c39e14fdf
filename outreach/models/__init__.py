"""Typed SQLAlchemy models, one module per domain."""

from outreach.models.actions import Action
from outreach.models.alerts import Alert, AlertStatus, SegmentKind, SmsSendSlot
from outreach.models.campaigns import Audience, Campaign, CampaignStatus, Demand, MessageTemplate, Target
from outreach.models.congress import Chamber, CwcOffice, DataSync, DistrictOffice, Person, Term, ZipDistrict
from outreach.models.deliveries import (
    Delivery,
    DeliveryKind,
    DeliveryState,
    Medium,
    ProviderEvent,
    Suppression,
    WorkerHeartbeat,
)
from outreach.models.letters import Letter, Signature
from outreach.models.organizers import LoginFailure, Organizer, OrganizerRole, OrganizerToken, TokenPurpose
from outreach.models.subscribers import ConsentRecord, InboundMessage, Subscriber, SubscriberStatus

__all__ = [
    "Action",
    "Alert",
    "AlertStatus",
    "SegmentKind",
    "SmsSendSlot",
    "LoginFailure",
    "Organizer",
    "OrganizerRole",
    "OrganizerToken",
    "TokenPurpose",
    "Audience",
    "MessageTemplate",
    "Delivery",
    "DeliveryKind",
    "DeliveryState",
    "Medium",
    "ProviderEvent",
    "Suppression",
    "Target",
    "WorkerHeartbeat",
    "Campaign",
    "CampaignStatus",
    "Chamber",
    "ConsentRecord",
    "InboundMessage",
    "Subscriber",
    "SubscriberStatus",
    "CwcOffice",
    "DataSync",
    "Demand",
    "DistrictOffice",
    "Letter",
    "Person",
    "Signature",
    "Term",
    "ZipDistrict",
]
