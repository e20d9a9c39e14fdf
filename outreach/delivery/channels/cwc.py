"""The Communicating with Congress (CWC 2.0) channel: XML built with lxml, posted to the House or the Senate.

What each answer means for the delivery (the outbox acts on the Outcome):

=========================================  =========  =======================================================
answer                                     outcome    why
=========================================  =========  =======================================================
House 2xx, Senate 2xx (201 Created)        ACCEPTED   the chamber has it; provider_id is our DeliveryId
Senate 409 (DeliveryId already used)       ACCEPTED   an earlier attempt got through: how a resend after a
                                                      timeout ends
HTTP 429                                   RETRY      rate limited before it was taken (Retry-After honoured)
HTTP 401 / 403                             RETRY      refused before anything was taken (bad key, address not
                                                      allow-listed); fixing that lets the queue go out
could not connect (refused, DNS,           RETRY      nothing left this machine
connect timeout)
read timeout, connection lost after the    UNKNOWN    it may have been taken: reconcile
request went out, HTTP 5xx, 3xx
HTTP 400 with <Errors><Error>…</Error>     FAILED     schema or routing error: resending cannot succeed; the
                                                      error texts are kept (quoted values removed, capped)
other 4xx                                  FAILED     permanent
a message this module cannot build         FAILED     e.g. no e-mail address, an impossible ZIP, a Senate
                                                      message without a title the Senate accepts
a chamber without URL and key              FAILED     "chamber not configured" (the outbox normally hands
                                                      those to the person before they get here)
=========================================  =========  =======================================================

Reconciling: CWC has no way to ask whether a DeliveryId arrived. ``reconcile()`` answers ``Found.NO``, so the
outbox puts the delivery back to pending and it is sent again **with the same DeliveryId** (the delivery key).
That is safe because a DeliveryId identifies one message for good: the Senate answers a reused one with 409
(classified ACCEPTED above), and the House requires vendors never to deliver duplicates and has offices
de-duplicate on the id (cwc.md §1; House behaviour is reported by implementers, not verified here). A resend
of a message that was in fact lost simply delivers it.

Privacy: the XML body holds the constituent's name, address, e-mail and phone, so it is never logged, and error
texts are built here from status codes and the chamber's schema messages only. The API key travels as the
``apikey`` query parameter: it never appears in an error text, exceptions raised here do not chain the
``requests`` exception (whose text holds the URL), and ``install_log_redaction()`` strips query strings from
urllib3's debug lines.

Short and long fields (the schema's limits, cwc.md §2): every field over its maximum is cut (the message texts,
at 10,000 characters, end with a note saying so); fields under their minimum are completed with true context
and never with invented facts:

- Prefix: a title the person chose is normalised (``dr`` → ``Dr.``). With none, the House (free text) gets
  ``Mx.``, the neutral title, which claims neither gender nor degree. The Senate accepts only Mr., Mrs., Miss,
  Ms. and Dr., each of which would claim a gender or a degree the person did not state, so a Senate message
  without one of them is not built (FAILED); callers should ask for a title, or hand such messages to the
  person, before queuing them (``cwc_prefix()`` tells which).
- City under 3 characters ("Ed", Kentucky): sent as "Ed, KY". Address1 under 3 characters: followed by the city.
- Subject under 6 characters: followed by ": message from a constituent" (alone when empty).
- OrganizationStatement / ConstituentMessage of 1–5 characters: prefixed with "Campaign message: " / "Personal
  note: "; an empty one is left out (the schema needs at least one of the two).
- Organization (ORG_NAME) under 6 characters is left out (it is optional, and padding would misname it).
- Control characters are removed (line breaks and tabs are kept in the message texts), text is NFC-normalised;
  accents and apostrophes are kept.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from lxml import etree

from outreach.delivery.channels.base import (
    Found, OutgoingMessage, Outcome, ProviderResult, Reconciliation,
)
from outreach.delivery.channels.http import retry_after_seconds, transport_error
from outreach.privacy import install_log_redaction

log = logging.getLogger(__name__)

CWC_VERSION = "2.0"
DEFAULT_TOPIC = "Immigration"
SENATE_PREFIXES = ("Mr.", "Mrs.", "Miss", "Ms.", "Dr.")
HOUSE_DEFAULT_PREFIX = "Mx."
MAX_FIELD = 500
MAX_TEXT = 10000
TRIM_NOTE = " […] (message shortened to fit)"
MAX_ERROR = 500
STATES = frozenset(
    "AK AL AR AS AZ CA CO CT DC DE FL GA GU HI IA ID IL IN KS KY LA MA MD ME MI MN MO MP MS MT NC ND NE NH NJ NM "
    "NV NY OH OK OR PA PR RI SC SD TN TX UT VA VI VT WA WI WV WY".split())
# American Samoa's House office is HAQ00, not HAS00 (cwc.md §3); the constituent's state stays AS.
HOUSE_STATE_CODES = {"AS": "AQ"}
OFFICE_CODE = re.compile(r"^[HS][A-Z]{2}[0-9]{2}$")
DELIVERY_ID = re.compile(r"^[a-zA-Z0-9]{32}$")
EMAIL = re.compile(r"^[^@\s]+@[^.\s]+\..+$")
ZIP = re.compile(r"^([0-9]{5})(?:-?([0-9]{4}))?$")
PHONE_PATTERN = re.compile(r"^[0-9]{3}-[0-9]{3}-[0-9]{4}$")
_PREFIX_FORMS = {"mr": "Mr.", "mister": "Mr.", "mrs": "Mrs.", "miss": "Miss", "ms": "Ms.", "dr": "Dr.",
                 "doctor": "Dr.", "mx": "Mx."}
# Values quoted in a schema message (libxml2's "Type %s doesn't allow value '%s'") may be personal data.
# A quote opens after a non-letter and closes before one, so "doesn't" opens nothing and 'O'Rourke' stays whole.
_QUOTED = re.compile(r"(?<![^\W\d_])'.*?'(?![^\W\d_])|\"[^\"]*\"|‘.*?’(?![^\W\d_])|“[^”]*”")
_EMAILISH = re.compile(r"\S+@\S+")
_DIGITS = re.compile(r"\d[\d -]{4,}\d")
_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


class CwcMessageError(ValueError):
    """A message that cannot become valid CWC XML; the text names fields, never their values."""


class CwcOfficeListError(RuntimeError):
    """A chamber's office list could not be fetched or read."""


@dataclass(frozen=True)
class DeliveryAgent:
    """Who delivers, as registered with the chambers (CWC's Delivery section)."""

    name: str               # must equal the vendor name registered for the keys (House: "DeliveryAgent Mismatch")
    ack_email: str
    contact_name: str
    contact_email: str
    contact_phone: str      # any form with 10 digits (or +1 and 10 digits); sent as ddd-ddd-dddd
    organization: str | None = None


# --- office codes ----------------------------------------------------------------------------------

def office_code(chamber: str, state: str, district: int | None, senate_class: int | None) -> str:
    """Return the CWC office code of a seat: HIL09, HWY00, HAQ00, SMN01, SCA03."""
    kind = (chamber or "").strip().lower()
    state = (state or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", state):
        raise ValueError("office_code: state must be a two-letter code")
    if kind in ("house", "rep", "h"):
        number = int(district or 0)  # at-large seats and delegates are district 0 (or None)
        if not 0 <= number <= 99:
            raise ValueError("office_code: district out of range")
        return f"H{HOUSE_STATE_CODES.get(state, state)}{number:02d}"
    if kind in ("senate", "sen", "s"):
        if senate_class not in (1, 2, 3):
            raise ValueError("office_code: a Senate seat needs its class (1, 2 or 3)")
        return f"S{state}0{senate_class}"
    raise ValueError("office_code: chamber must be house or senate")


def chamber_of(code: str) -> str:
    """Return "house" or "senate" for an office code."""
    if not OFFICE_CODE.match(code or ""):
        raise CwcMessageError("MemberOffice is not an office code")
    return "house" if code[0] == "H" else "senate"


def cwc_prefix(prefix: str | None, chamber: str) -> str | None:
    """Return the Prefix CWC will carry for what the person chose, or None when the chamber accepts none of it."""
    cleaned = _single_line(prefix)
    known = _PREFIX_FORMS.get(cleaned.lower().rstrip(".").strip())
    if chamber == "senate":
        return known if known in SENATE_PREFIXES else None
    if known:
        return known
    return cleaned[:MAX_FIELD] if cleaned else HOUSE_DEFAULT_PREFIX


# --- building the XML ------------------------------------------------------------------------------

def _clean(text: str | None, *, multiline: bool) -> str:
    """Normalise to NFC and drop what XML 1.0 cannot carry; single-line text loses its line breaks too."""
    text = unicodedata.normalize("NFC", text or "").replace("\r\n", "\n").replace("\r", "\n")
    kept = []
    for char in text:
        if char in "\n\t":
            kept.append(char if multiline else " ")
        elif unicodedata.category(char) in ("Cc", "Cs") or char in "\ufffe\uffff":
            continue
        elif not multiline and char in "\u2028\u2029":
            kept.append(" ")
        else:
            kept.append(char)
    text = "".join(kept)
    if not multiline:
        text = " ".join(text.split())
    return text.strip()


def _single_line(text: str | None) -> str:
    return _clean(text, multiline=False)


def _cut(text: str, maximum: int = MAX_FIELD) -> str:
    return text[:maximum].rstrip() if len(text) > maximum else text


def _shorten_text(text: str) -> str:
    """Cut a message text to the schema's 10,000 characters, at a word boundary, ending with a note."""
    if len(text) <= MAX_TEXT:
        return text
    room = MAX_TEXT - len(TRIM_NOTE)
    head = text[:room]
    space = max(head.rfind(" "), head.rfind("\n"))
    if space > room - 200:  # a word boundary near the end; otherwise cut mid-word
        head = head[:space]
    return head.rstrip() + TRIM_NOTE


def _message_text(text: str | None, label: str) -> str | None:
    cleaned = _clean(text, multiline=True)
    if not cleaned:
        return None
    if len(cleaned) < 6:
        cleaned = f"{label}: {cleaned}"
    return _shorten_text(cleaned)


def phone_dashes(number: str | None) -> str | None:
    """Return a North American number as ddd-ddd-dddd (from E.164 or any 10-digit form), else None."""
    digits = re.sub(r"\D", "", number or "")
    if (number or "").strip().startswith("+") and not digits.startswith("1"):
        return None  # outside the North American plan: CWC has no format for it
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10:
        return None
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"


def _subject(subject: str | None) -> str:
    text = _cut(_single_line(subject))
    if not text:
        return "Message from a constituent"
    if len(text) < 6:
        return f"{text}: message from a constituent"
    return text


def _add(parent: etree._Element, tag: str, text: str) -> etree._Element:
    element = etree.SubElement(parent, tag)
    element.text = text
    return element


def check_agent(agent: DeliveryAgent) -> None:
    """Raise ValueError when the delivery agent's settings cannot make valid XML."""
    problems = []
    if len(_single_line(agent.name)) < 4:
        problems.append("the delivery agent name needs at least 4 characters")
    for label, value in (("ack e-mail", agent.ack_email), ("contact e-mail", agent.contact_email)):
        if not EMAIL.match(_single_line(value)):
            problems.append(f"the delivery agent {label} is not an e-mail address")
    if not phone_dashes(agent.contact_phone):
        problems.append("the delivery agent phone needs 10 digits (a U.S. number)")
    if not _single_line(agent.contact_name):
        problems.append("the delivery agent contact name is empty")
    if problems:
        raise ValueError("CWC: " + "; ".join(problems))


def build_cwc_xml(message: OutgoingMessage, agent: DeliveryAgent, topic: str = DEFAULT_TOPIC) -> bytes:
    """Return the CWC 2.0 XML document (UTF-8, with declaration) for one message to one office."""
    envelope = message.cwc
    if envelope is None:
        raise CwcMessageError("the message has no CWC envelope")
    check_agent(agent)
    chamber = chamber_of(envelope.office_code)
    person = envelope.constituent
    problems: list[str] = []

    if not DELIVERY_ID.match(message.delivery_key or ""):
        problems.append("DeliveryId is not 32 letters and digits")
    prefix = cwc_prefix(person.prefix, chamber)
    if prefix is None:
        problems.append("Prefix: the Senate accepts only " + ", ".join(SENATE_PREFIXES) + " and none was given")
    first, last = _cut(_single_line(person.first_name)), _cut(_single_line(person.last_name))
    if not first:
        problems.append("FirstName missing")
    if not last:
        problems.append("LastName missing")
    state = _single_line(person.state).upper()
    if state not in STATES:
        problems.append("StateAbbreviation is not a state or territory code")
    city = _cut(_single_line(person.city))
    if not city:
        problems.append("City missing")
    elif len(city) < 3:
        city = f"{city}, {state}"  # "Ed, KY": a true way to write a two-letter city
    address1 = _cut(_single_line(person.address1))
    if not address1:
        problems.append("Address1 missing")
    elif len(address1) < 3:
        address1 = _cut(f"{address1}, {city}")
    zip_match = ZIP.match(_single_line(person.zip_code).replace(" ", ""))
    if not zip_match:
        problems.append("Zip is not 5 digits or ZIP+4")
    email = _single_line(person.email)
    if not EMAIL.match(email):
        problems.append("Email is not an e-mail address")
    statement = _message_text(envelope.organization_statement, "Campaign message")
    own_words = _message_text(envelope.constituent_message, "Personal note")
    if not (statement or own_words):
        problems.append("the message has no text")
    if problems:
        raise CwcMessageError("; ".join(problems))
    assert zip_match is not None and prefix is not None

    root = etree.Element("CWC")
    _add(root, "CWCVersion", CWC_VERSION)

    delivery = etree.SubElement(root, "Delivery")
    _add(delivery, "DeliveryId", message.delivery_key)
    _add(delivery, "DeliveryDate", envelope.delivery_date.strftime("%Y%m%d"))
    _add(delivery, "DeliveryAgent", _cut(_single_line(agent.name)))
    _add(delivery, "DeliveryAgentAckEmailAddress", _single_line(agent.ack_email))
    contact = etree.SubElement(delivery, "DeliveryAgentContact")
    contact_name = _cut(_single_line(agent.contact_name))
    if len(contact_name) < 6:
        contact_name = f"{contact_name} (delivery agent)"
    _add(contact, "DeliveryAgentContactName", contact_name)
    _add(contact, "DeliveryAgentContactEmail", _single_line(agent.contact_email))
    _add(contact, "DeliveryAgentContactPhone", phone_dashes(agent.contact_phone) or "")
    organization = _cut(_single_line(agent.organization))
    if len(organization) >= 6:
        _add(delivery, "Organization", organization)
    campaign = _cut(_single_line(envelope.campaign_id))
    _add(delivery, "CampaignId", campaign if len(campaign) >= 2 else f"campaign-{campaign}")

    recipient = etree.SubElement(root, "Recipient")
    _add(recipient, "MemberOffice", envelope.office_code)

    constituent = etree.SubElement(root, "Constituent")
    _add(constituent, "Prefix", prefix)
    _add(constituent, "FirstName", first)
    _add(constituent, "LastName", last)
    _add(constituent, "Address1", address1)
    _add(constituent, "City", city)
    _add(constituent, "StateAbbreviation", state)
    five, four = zip_match.groups()
    _add(constituent, "Zip", f"{five}-{four}" if four else five)
    phone = phone_dashes(person.phone) if person.phone else None
    if phone:
        _add(constituent, "Phone", phone)
    _add(constituent, "Email", email)

    body = etree.SubElement(root, "Message")
    _add(body, "Subject", _subject(message.subject))
    topics = etree.SubElement(body, "LibraryOfCongressTopics")
    _add(topics, "LibraryOfCongressTopic", topic)
    # When both are present the schema wants the organization's statement first.
    if statement:
        _add(body, "OrganizationStatement", statement)
    if own_words:
        _add(body, "ConstituentMessage", own_words)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# --- the channel -----------------------------------------------------------------------------------

class CWCChannel:
    """Deliver messages to House and Senate offices through CWC."""

    name = "cwc"

    def __init__(self, house_url: str | None, house_key: str | None, senate_url: str | None,
                 senate_key: str | None, agent: DeliveryAgent, timeout: float = 15.0,
                 session: requests.Session | None = None) -> None:
        if timeout is None or timeout <= 0:
            raise ValueError("a CWC channel needs a positive timeout")
        check_agent(agent)
        self.house_url = house_url.rstrip("/") if house_url and house_key else None
        self.house_key = house_key if self.house_url else None
        self.senate_url = senate_url if senate_url and senate_key else None
        self.senate_key = senate_key if self.senate_url else None
        self.agent = agent
        self.timeout = float(timeout)
        self._session = session
        self._local = threading.local()
        # urllib3 logs every request line at DEBUG, query string (the api key) included.
        install_log_redaction()

    def __repr__(self) -> str:  # no keys in reprs either
        return f"CWCChannel(house={'on' if self.house_url else 'off'}, senate={'on' if self.senate_url else 'off'})"

    @property
    def timeouts(self) -> tuple[float, float]:
        """Return the (connect, read) timeouts of every request."""
        return (min(self.timeout, 10.0), self.timeout)

    def session(self) -> requests.Session:
        """Return the session given at construction, else one per thread (a Session is not thread-safe)."""
        if self._session is not None:
            return self._session
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def configured(self, chamber: str) -> bool:
        """Tell whether messages for a chamber ("house" or "senate") can be sent."""
        return bool(self.house_url if chamber == "house" else self.senate_url)

    def endpoint(self, chamber: str) -> tuple[str, str]:
        """Return the messages URL (without the key) and the key of a chamber."""
        if chamber == "house":
            return f"{self.house_url}/v2/message", self.house_key or ""
        return self.senate_url or "", self.senate_key or ""

    # --- sending ---------------------------------------------------------------------------------

    def send(self, message: OutgoingMessage) -> ProviderResult:
        """Post one message to its chamber and classify the answer."""
        result = self._send(message)
        if result.outcome is not Outcome.ACCEPTED:
            log.info("cwc send for delivery %s: %s (%s)", message.delivery_id, result.outcome.value, result.error)
        return result

    def _send(self, message: OutgoingMessage) -> ProviderResult:
        envelope = message.cwc
        if envelope is None:
            return ProviderResult(Outcome.FAILED, error="cwc: not a message to a Congress office")
        try:
            chamber = chamber_of(envelope.office_code)
        except CwcMessageError:
            return ProviderResult(Outcome.FAILED, error="cwc: MemberOffice is not an office code")
        if not self.configured(chamber):
            return ProviderResult(Outcome.FAILED, error=f"cwc {chamber}: chamber not configured")
        try:
            xml = build_cwc_xml(message, self.agent)
        except CwcMessageError as exc:
            return ProviderResult(Outcome.FAILED, error=f"cwc {chamber}: cannot build the message ({exc})")
        url, key = self.endpoint(chamber)
        try:
            response = self.session().post(url, params={"apikey": key}, data=xml,
                                           headers={"Content-Type": "application/xml"},
                                           timeout=self.timeouts, allow_redirects=False)
        except requests.exceptions.RequestException as exc:
            return transport_error(f"cwc {chamber}", exc)
        except Exception as exc:  # noqa: BLE001 — whatever went wrong, the request may have gone out
            return ProviderResult(Outcome.UNKNOWN, error=f"cwc {chamber}: unexpected {type(exc).__name__}")
        return _classify(chamber, response, message.delivery_key)

    # --- reconciling -----------------------------------------------------------------------------

    def reconcile(self, message: OutgoingMessage) -> Reconciliation:
        """Answer NO: CWC has no lookup, and a resend with the same DeliveryId cannot deliver twice.

        The outbox then sends again with the same delivery key as DeliveryId: the Senate answers 409 when the
        first attempt arrived (ACCEPTED), House offices de-duplicate on the id, and a lost message is delivered.
        """
        return Reconciliation(Found.NO)


def _classify(chamber: str, response: requests.Response, delivery_id: str) -> ProviderResult:
    status = response.status_code
    if 200 <= status < 300:
        return ProviderResult(Outcome.ACCEPTED, provider_id=delivery_id)
    if status == 409 and chamber == "senate":
        # This DeliveryId was delivered before: an earlier, unclear attempt got through.
        return ProviderResult(Outcome.ACCEPTED, provider_id=delivery_id)
    if status == 429:
        return ProviderResult(Outcome.RETRY, error=f"cwc {chamber}: HTTP 429 too many requests",
                              retry_after=retry_after_seconds(response.headers.get("Retry-After")))
    if status in (401, 403):
        return ProviderResult(Outcome.RETRY, error=f"cwc {chamber}: HTTP {status} refused "
                                                   "(check the API key and the allow-listed address)")
    if status >= 500 or status < 200 or 300 <= status < 400:
        return ProviderResult(Outcome.UNKNOWN, error=f"cwc {chamber}: HTTP {status}")
    errors = error_texts(response.content)
    text = f"cwc {chamber}: HTTP {status}" + (f": {'; '.join(errors)}" if errors else "")
    return ProviderResult(Outcome.FAILED, error=_cap(text))


def error_texts(body: bytes | None) -> list[str]:
    """Return the texts of an <Errors><Error>…</Error></Errors> answer, with quoted values removed."""
    if not body:
        return []
    try:
        root = etree.fromstring(body, parser=_SAFE_PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return []
    elements: Iterable[Any] = [root] if root.tag == "Error" else root.iter("Error")
    texts = []
    for element in elements:
        text = " ".join("".join(element.itertext()).split())
        if text:
            texts.append(redact_error(text))
    return texts


def redact_error(text: str) -> str:
    """Remove what a schema message may quote from the document (libxml2: "doesn't allow value '…'")."""
    text = _QUOTED.sub("'…'", text)
    text = _EMAILISH.sub("…", text)
    return _DIGITS.sub("…", text)


def _cap(text: str) -> str:
    return text if len(text) <= MAX_ERROR else text[:MAX_ERROR - 1].rstrip() + "…"




# --- office lists ----------------------------------------------------------------------------------

def senate_offices_url(senate_url: str) -> str:
    """Return the Senate's active-offices URL, on the host of its messages endpoint."""
    parts = urlsplit(senate_url)
    if not (parts.scheme and parts.netloc):
        raise CwcOfficeListError("CWC senate: the messages URL has no scheme and host")
    return f"{parts.scheme}://{parts.netloc}/api/active_offices"


def fetch_office_codes(base_url: str, key: str, chamber: str, timeout: float = 15,
                       session: requests.Session | None = None) -> set[str]:
    """Fetch a chamber's list of offices that take CWC; raise CwcOfficeListError when that fails.

    House: GET {house_url}/v2/offices → ["HIL09", …]. Senate: GET /api/active_offices on the host of the
    messages URL → [{"name": …, "office_code": "SMN01"}, …].
    """
    install_log_redaction()
    kind = (chamber or "").strip().lower()
    if kind not in ("house", "senate"):
        raise ValueError("fetch_office_codes: chamber must be house or senate")
    if not base_url:
        raise CwcOfficeListError(f"CWC {kind}: no URL configured")
    url = f"{base_url.rstrip('/')}/v2/offices" if kind == "house" else senate_offices_url(base_url)
    http = session or requests.Session()
    try:
        response = http.get(url, params={"apikey": key}, headers={"Accept": "application/json"},
                            timeout=(min(float(timeout), 10.0), float(timeout)), allow_redirects=False)
    except requests.exceptions.RequestException as exc:
        # Not chained: the requests exception's text holds the URL, api key included.
        raise CwcOfficeListError(f"CWC {kind} office list: {transport_error('cwc ' + kind, exc).error}") from None
    finally:
        if session is None:
            http.close()
    if response.status_code != 200:
        raise CwcOfficeListError(f"CWC {kind} office list: HTTP {response.status_code}")
    try:
        payload = response.json()
    except ValueError:
        raise CwcOfficeListError(f"CWC {kind} office list: the answer is not JSON") from None
    if not isinstance(payload, list):
        raise CwcOfficeListError(f"CWC {kind} office list: the answer is not a list")
    letter = "H" if kind == "house" else "S"
    codes = set()
    for item in payload:
        code = item.get("office_code") if isinstance(item, dict) else item
        if not (isinstance(code, str) and OFFICE_CODE.match(code.strip()) and code.strip()[0] == letter):
            raise CwcOfficeListError(f"CWC {kind} office list: an entry is not a {kind} office code")
        codes.add(code.strip())
    if not codes:
        # An empty list would hand every message to the person: more likely a fault than the truth.
        raise CwcOfficeListError(f"CWC {kind} office list: empty")
    return codes


# --- configuration ---------------------------------------------------------------------------------

def cwc_channel_from_config(config: Mapping[str, Any]) -> CWCChannel | None:
    """Build the CWC channel from the configuration, or None unless a chamber and the delivery agent are set."""
    house_url, house_key = config.get("CWC_HOUSE_API_URL") or None, config.get("CWC_HOUSE_API_KEY") or None
    senate_url, senate_key = config.get("CWC_SENATE_API_URL") or None, config.get("CWC_SENATE_API_KEY") or None
    name = config.get("CWC_DELIVERY_AGENT_NAME") or None
    email = config.get("CWC_DELIVERY_AGENT_EMAIL") or None
    phone = config.get("CWC_DELIVERY_AGENT_PHONE") or None
    if not ((house_url and house_key) or (senate_url and senate_key)) or not (name and email and phone):
        return None
    agent = DeliveryAgent(name=name, ack_email=email,
                          contact_name=config.get("CWC_DELIVERY_AGENT_CONTACT_NAME") or name,
                          contact_email=email, contact_phone=phone, organization=config.get("ORG_NAME") or None)
    return CWCChannel(house_url, house_key, senate_url, senate_key, agent,
                      timeout=float(config.get("CWC_TIMEOUT") or 15.0))
