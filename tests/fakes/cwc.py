"""A fake Communicating with Congress on 127.0.0.1: the House CWC API and the Senate's SOAPBox, on one port.

In pytest, list ``"tests.fakes.cwc"`` in ``pytest_plugins`` (or run with ``-p tests.fakes.cwc``) and ask for the
``fake_cwc`` fixture::

    def test_something(fake_cwc):
        channel = CWCChannel(fake_cwc.house_url, fake_cwc.house_key, fake_cwc.senate_url, fake_cwc.senate_key,
                             DeliveryAgent(**fake_cwc.agent))
        fake_cwc.script("senate", ["hang-accepted"], hang_seconds=1)
        ...

Outside pytest (for ``flask outreach worker`` subprocesses)::

    with FakeCWC() as fake:
        env = {**os.environ, **fake.env()}   # CWC_HOUSE_API_URL, ..._KEY, CWC_SENATE_API_URL, ..., agent settings

Endpoints (every one checks ``?apikey=``, the House key or the Senate key, else 401):

``POST /v2/message`` (House)
    ``Content-Type: application/xml`` (else 415); the body must validate against ``cwc-2.0-house.rng`` (else 400
    ``<Errors><Error>…</Error></Errors>`` from libxml2's RelaxNG messages); MemberOffice must be in
    ``house_offices``; DeliveryAgent must equal ``agent_name`` ("DeliveryAgent Mismatch"). 200 on success. A
    DeliveryId seen before is answered 200 too but not delivered again: it is recorded in ``duplicates`` (the
    office de-duplicates).
``POST /v2/validate`` (House)
    The schema check alone: no office, agent or duplicate checks, nothing recorded; 200.
``GET /v2/offices`` (House)
    JSON array of ``house_offices``.
``POST /api/testing-messages/`` (Senate)
    As the House, validated against the same grammar with the MemberOffice pattern changed (in memory) to Senate
    codes, plus the Senate's five prefixes; MemberOffice must be in ``senate_offices``; a reused DeliveryId gets
    409; 201 on success.
``GET /api/active_offices`` (and ``.json``) (Senate)
    ``[{"name": "Richard J. Durbin [bioguide_id: D000563]", "office_code": "SIL02"}, …]``.

Scripting, per chamber (each entry is consumed by one message POST; afterwards requests are answered normally)::

    fake.script("house", [500, "hang", 429, "hang-accepted", "500-accepted", 200], hang_seconds=3.0,
                retry_after=None)

- ``200``/``201`` (any 2xx): the normal handling (validation included).
- ``429``: too many requests, with ``Retry-After`` when ``retry_after`` is given; nothing recorded.
- a 5xx: an error page, nothing recorded; ``"500-accepted"``: the message is handled normally first (recorded
  when valid), then 500 — the case that makes a blind resend dangerous.
- ``"hang"``: waits ``hang_seconds`` (at most 3 s; ``release()`` and teardown cut it short), then 504, nothing
  recorded. ``"hang-accepted"``: handled normally first, then the wait, then the normal answer.
- any other status (400, 401, 403, 409…): that status with ``<Errors><Error>Scripted answer</Error></Errors>``.

Reading: ``house_messages`` / ``senate_messages`` (dicts: ``delivery_id``, ``office``, ``agent``, ``xml`` — the
bytes as received), ``duplicates`` (the same shape plus ``chamber``: House resends of a known DeliveryId),
``requests`` (every request: chamber, path, delivery_id, outcome, status), ``delivery_ids(chamber)``.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

RNG_PATH = Path(__file__).parents[3] / "shared" / "docs" / "cwc-2.0-house.rng"
RNG_NS = "http://relaxng.org/ns/structure/1.0"
SENATE_OFFICE_PATTERN = "S[A-Z][A-Z]0[1-3]"
SENATE_PREFIXES = ("Mr.", "Mrs.", "Miss", "Ms.", "Dr.")
HOUSE_KEY = "house-test-key-0123456789abcdef"
SENATE_KEY = "senate-test-key-fedcba9876543210"
AGENT = {"name": "Outreach Test Delivery Agent", "ack_email": "cwc-ack@example.org",
         "contact_name": "Outreach Operator", "contact_email": "cwc@example.org", "contact_phone": "202-555-0100",
         "organization": "Outreach Test Organization"}
SENATE_PATH = "/api/testing-messages/"
MAX_HANG_SECONDS = 3.0

# The House offices of the fixture districts (tests/fixtures/README.md). CA-14 is vacant in the fixture and
# is left out on purpose.
HOUSE_OFFICES = ("HCA28", "HCO02", "HDC00", "HIL05", "HIL07", "HIL09", "HNY10", "HNY12", "HNY13", "HWY00")
# A subset of the fixture senators' seats, so that some Senate messages go through CWC and others are hand-offs:
# Illinois both on, New York, California and Colorado one each, Wyoming none.
SENATE_OFFICES = ("SCA03", "SCO03", "SIL02", "SIL03", "SNY01")
SENATE_NAMES = {
    "SCA01": "Adam B. Schiff [bioguide_id: S001150]", "SCA03": "Alex Padilla [bioguide_id: P000145]",
    "SCO02": "John W. Hickenlooper [bioguide_id: H000273]", "SCO03": "Michael F. Bennet [bioguide_id: B001267]",
    "SIL02": "Richard J. Durbin [bioguide_id: D000563]", "SIL03": "Tammy Duckworth [bioguide_id: D000622]",
    "SNY01": "Kirsten E. Gillibrand [bioguide_id: G000555]", "SNY03": "Charles E. Schumer [bioguide_id: S000148]",
    "SWY01": "John Barrasso [bioguide_id: B001261]", "SWY02": "Cynthia M. Lummis [bioguide_id: L000571]",
}


def load_grammars(path: Path = RNG_PATH) -> tuple[etree.RelaxNG, etree.RelaxNG]:
    """Return the House grammar and its Senate variant (MemberOffice accepting S codes), read from `path`."""
    if not path.is_file():
        raise FileNotFoundError(f"the CWC RelaxNG schema is missing: {path} (it lives in ../shared/docs)")
    house_tree = etree.parse(str(path))
    senate_tree = etree.parse(str(path))
    patterns = senate_tree.xpath("//rng:element[@name='MemberOffice']//rng:param[@name='pattern']",
                                 namespaces={"rng": RNG_NS})
    if len(patterns) != 1:
        raise RuntimeError("the CWC schema's MemberOffice pattern was not found")
    patterns[0].text = SENATE_OFFICE_PATTERN
    return etree.RelaxNG(house_tree), etree.RelaxNG(senate_tree)


class _QuietAccessLog:
    """Mixin for werkzeug's request handler: no access lines (they carry the api key in the query string)."""

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        pass


class _Server(HTTPServer):
    def thread_target(self) -> None:
        assert self.server is not None
        self.server.serve_forever(poll_interval=0.02)


def errors(*texts: str, status: int = 400, headers: dict[str, str] | None = None) -> Response:
    """Answer like CWC does on an error: <Errors><Error>text</Error>…</Errors>."""
    root = etree.Element("Errors")
    for text in texts:
        etree.SubElement(root, "Error").text = text
    return Response(etree.tostring(root, xml_declaration=True, encoding="UTF-8"), status=status,
                    content_type="application/xml", headers=headers)


class FakeCWC:
    """The fake service; see the module docstring. Use `start()`/`stop()` or `with FakeCWC() as fake:`."""

    def __init__(self, *, house_key: str = HOUSE_KEY, senate_key: str = SENATE_KEY,
                 agent_name: str = AGENT["name"], house_offices: Iterable[str] = HOUSE_OFFICES,
                 senate_offices: Iterable[str] = SENATE_OFFICES, host: str = "127.0.0.1", port: int = 0) -> None:
        self.house_key = house_key
        self.senate_key = senate_key
        self.agent_name = agent_name
        self.house_offices: set[str] = set(house_offices)
        self.senate_offices: set[str] = set(senate_offices)
        self.house_grammar, self.senate_grammar = load_grammars()
        self.server = _Server(host=host, port=port, threaded=True)
        self.server.no_handler_status_code = 404
        expect = self.server.expect_request
        expect("/v2/message", method="POST").respond_with_handler(self._house_message)
        expect("/v2/validate", method="POST").respond_with_handler(self._house_validate)
        expect("/v2/offices", method="GET").respond_with_handler(self._house_offices)
        expect(SENATE_PATH, method="POST").respond_with_handler(self._senate_message)
        expect("/api/active_offices", method="GET").respond_with_handler(self._senate_offices)
        expect("/api/active_offices.json", method="GET").respond_with_handler(self._senate_offices)
        self.house_messages: list[dict[str, Any]] = []
        self.senate_messages: list[dict[str, Any]] = []
        self.duplicates: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        # libxml2 validation contexts are not shared between threads: one validation at a time.
        self._validation_lock = threading.Lock()
        self._scripts: dict[str, deque[tuple[Any, dict[str, Any]]]] = {"house": deque(), "senate": deque()}
        self._release = threading.Event()

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> FakeCWC:
        """Start serving on a free port of 127.0.0.1 (in a thread of this process)."""
        self._release = threading.Event()
        self.server.start()
        handler = self.server.server.RequestHandlerClass
        self.server.server.RequestHandlerClass = type("QuietHandler", (_QuietAccessLog, handler), {})
        return self

    def stop(self) -> None:
        """Release hung requests, stop serving and close the port."""
        self.release()
        if self.server.is_running():
            wsgi_server = self.server.server
            self.server.stop()
            wsgi_server.server_close()

    def __enter__(self) -> FakeCWC:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """Scheme, host and port of the fake."""
        return f"http://{self.server.format_host(self.server.host)}:{self.server.port}"

    @property
    def house_url(self) -> str:
        """The CWC_HOUSE_API_URL to give the channel."""
        return self.base_url

    @property
    def senate_url(self) -> str:
        """The CWC_SENATE_API_URL to give the channel: the full messages endpoint."""
        return self.base_url + SENATE_PATH

    @property
    def agent(self) -> dict[str, str]:
        """Delivery-agent settings this fake accepts (keyword arguments of DeliveryAgent)."""
        return {**AGENT, "name": self.agent_name}

    def env(self) -> dict[str, str]:
        """Environment variables that point an Outreach process at this fake."""
        return {"CWC_HOUSE_API_URL": self.house_url, "CWC_HOUSE_API_KEY": self.house_key,
                "CWC_SENATE_API_URL": self.senate_url, "CWC_SENATE_API_KEY": self.senate_key,
                "CWC_DELIVERY_AGENT_NAME": self.agent_name, "CWC_DELIVERY_AGENT_EMAIL": AGENT["contact_email"],
                "CWC_DELIVERY_AGENT_PHONE": AGENT["contact_phone"]}

    def check(self) -> None:
        """Raise the first exception a handler of the fake raised (a bug in the fake, not in the app)."""
        self.server.check_handler_errors()

    # --- scripting and reading -------------------------------------------------------------------

    def script(self, chamber: str, outcomes: Iterable[int | str], *, hang_seconds: float = MAX_HANG_SECONDS,
               retry_after: float | str | None = None) -> None:
        """Queue answers for a chamber's next message POSTs (see the module docstring)."""
        if chamber not in self._scripts:
            raise ValueError("chamber must be house or senate")
        options = {"hang_seconds": min(float(hang_seconds), MAX_HANG_SECONDS), "retry_after": retry_after}
        with self._lock:
            self._scripts[chamber].extend((_check_outcome(outcome), options) for outcome in outcomes)

    def release(self) -> None:
        """Let every hung request finish now."""
        self._release.set()

    def delivery_ids(self, chamber: str) -> list[str]:
        """Return the DeliveryId of every message POST to a chamber, in order (rejected ones included)."""
        with self._lock:
            return [r["delivery_id"] for r in self.requests
                    if r["chamber"] == chamber and r["kind"] == "message" and r["delivery_id"]]

    def validate(self, xml: bytes, chamber: str = "house") -> list[str]:
        """Return the schema errors of a document ([] when it is valid), as the fake would report them."""
        try:
            document = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError as exc:
            return [f"XML not well-formed: {exc.msg}"]
        grammar = self.house_grammar if chamber == "house" else self.senate_grammar
        with self._validation_lock:
            if grammar.validate(document):
                problems = []
            else:
                problems = [entry.message for entry in grammar.error_log] or ["document does not validate"]
        if chamber == "senate" and not problems:
            prefix = document.findtext("Constituent/Prefix")
            if prefix not in SENATE_PREFIXES:
                problems.append("Prefix must be one of " + ", ".join(SENATE_PREFIXES))
        return problems

    # --- answering -------------------------------------------------------------------------------

    def _log(self, chamber: str, kind: str, path: str, delivery_id: str | None, outcome: Any, status: int) -> None:
        with self._lock:
            self.requests.append({"chamber": chamber, "kind": kind, "path": path, "delivery_id": delivery_id,
                                  "outcome": outcome, "status": status, "at": time.monotonic()})

    def _key_ok(self, request: Request, chamber: str) -> bool:
        return request.args.get("apikey") == (self.house_key if chamber == "house" else self.senate_key)

    def _house_offices(self, request: Request) -> Response:
        if not self._key_ok(request, "house"):
            response = errors("Unauthorized: invalid API key", status=401)
        else:
            response = Response(json.dumps(sorted(self.house_offices)), content_type="application/json")
        self._log("house", "offices", request.path, None, None, response.status_code)
        return response

    def _senate_offices(self, request: Request) -> Response:
        if not self._key_ok(request, "senate"):
            response = errors("Unauthorized: invalid API key", status=401)
        else:
            offices = [{"name": SENATE_NAMES.get(code, f"Senator ({code})"), "office_code": code}
                       for code in sorted(self.senate_offices)]
            response = Response(json.dumps(offices), content_type="application/json")
        self._log("senate", "offices", request.path, None, None, response.status_code)
        return response

    def _house_validate(self, request: Request) -> Response:
        response = self._precheck(request, "house")
        if response is None:
            problems = self.validate(request.get_data(), "house")
            response = errors(*problems) if problems else Response("", status=200, content_type="text/plain")
        self._log("house", "validate", request.path, _delivery_id(request.get_data()), None, response.status_code)
        return response

    def _house_message(self, request: Request) -> Response:
        return self._message(request, "house")

    def _senate_message(self, request: Request) -> Response:
        return self._message(request, "senate")

    def _precheck(self, request: Request, chamber: str) -> Response | None:
        if not self._key_ok(request, chamber):
            return errors("Unauthorized: invalid API key", status=401)
        if request.mimetype != "application/xml":
            return errors("Unsupported Media Type: send application/xml", status=415)
        return None

    def _message(self, request: Request, chamber: str) -> Response:
        body = request.get_data()
        delivery_id = _delivery_id(body)
        outcome: Any = "precheck"
        response = self._precheck(request, chamber)
        if response is None:
            with self._lock:
                script = self._scripts[chamber]
                outcome, options = script.popleft() if script else ("normal", {})
            response = self._scripted(chamber, body, outcome, options)
        self._log(chamber, "message", request.path, delivery_id, outcome, response.status_code)
        return response

    def _scripted(self, chamber: str, body: bytes, outcome: Any, options: dict[str, Any]) -> Response:
        if outcome == "hang":
            self._release.wait(options["hang_seconds"])
            return errors("Gateway Timeout", status=504)
        if outcome == "hang-accepted":
            answer = self._deliver(chamber, body)
            self._release.wait(options["hang_seconds"])
            return answer
        if outcome == "500-accepted":
            self._deliver(chamber, body)
            return errors("Internal Server Error", status=500)
        if outcome == 429:
            retry_after = options.get("retry_after")
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
            return errors("Too Many Requests", status=429, headers=headers)
        if isinstance(outcome, int) and outcome >= 500:
            return errors("Internal Server Error", status=outcome)
        if isinstance(outcome, int) and not 200 <= outcome < 300:
            return errors("Scripted answer", status=outcome)
        return self._deliver(chamber, body)

    def _deliver(self, chamber: str, body: bytes) -> Response:
        problems = self.validate(body, chamber)
        if problems:
            return errors(*problems)
        document = etree.fromstring(body, parser=etree.XMLParser(resolve_entities=False, no_network=True))
        office = document.findtext("Recipient/MemberOffice")
        agent = document.findtext("Delivery/DeliveryAgent")
        delivery_id = document.findtext("Delivery/DeliveryId")
        offices = self.house_offices if chamber == "house" else self.senate_offices
        if office not in offices:
            return errors(f"MemberOffice {office} is not an active office")
        if chamber == "house" and agent != self.agent_name:
            return errors("DeliveryAgent Mismatch")
        record = {"delivery_id": delivery_id, "office": office, "agent": agent, "xml": body}
        with self._lock:
            delivered = self.house_messages if chamber == "house" else self.senate_messages
            seen = any(m["delivery_id"] == delivery_id for m in delivered)
            if seen and chamber == "house":
                self.duplicates.append({**record, "chamber": chamber})
            elif not seen:
                delivered.append(record)
        if seen and chamber == "senate":
            return errors("DeliveryId has already been used", status=409)
        if chamber == "senate":
            return Response("", status=201, content_type="text/plain")
        return Response("", status=200, content_type="text/plain")


def _delivery_id(body: bytes) -> str | None:
    try:
        document = etree.fromstring(body, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except (etree.XMLSyntaxError, ValueError):
        return None
    return document.findtext("Delivery/DeliveryId")


def _check_outcome(outcome: int | str) -> int | str:
    if isinstance(outcome, str) and outcome.isdigit():
        outcome = int(outcome)
    if outcome in ("hang", "hang-accepted", "500-accepted") or (isinstance(outcome, int) and 100 <= outcome < 600):
        return outcome
    raise ValueError(f"unknown scripted outcome {outcome!r}")


@pytest.fixture
def fake_cwc() -> Iterator[FakeCWC]:
    """A fresh fake CWC (House and Senate) on its own port of 127.0.0.1: no messages, nothing scripted."""
    fake = FakeCWC().start()
    try:
        yield fake
    finally:
        fake.stop()
    fake.check()


def main() -> None:  # pragma: no cover — a convenience for poking at the fake by hand
    """Serve a fake CWC until interrupted: `python -m tests.fakes.cwc`."""
    with FakeCWC() as fake:
        for name, value in fake.env().items():
            print(f"{name}={value}")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
