"""A fake Twilio Messages API on 127.0.0.1, spoken to by the real ``twilio`` SDK.

In pytest, list ``"tests.fakes.twilio"`` in ``pytest_plugins`` and ask for the ``fake_twilio`` fixture::

    def test_something(fake_twilio):
        channel = TwilioSMSChannel(fake_twilio.account_sid, fake_twilio.auth_token,
                                   from_number=fake_twilio.from_number, api_base=fake_twilio.base_url)
        fake_twilio.script([429, 201])
        assert channel.send(message).outcome is Outcome.RETRY
        assert channel.send(message).outcome is Outcome.ACCEPTED
        assert fake_twilio.count_by_to() == {message.to: 1}

Outside pytest (say, for ``flask outreach worker`` subprocesses), start one yourself and hand its settings over::

    with FakeTwilio() as fake:
        env = {**os.environ, **fake.env()}          # TWILIO_ACCOUNT_SID, ..._AUTH_TOKEN, ..._FROM_NUMBER, ..._API_BASE
        subprocess.run(["flask", "outreach", "worker", ...], env=env)
        assert fake.max_in_window(1.0) <= 1

The server is its own ``pytest_httpserver.HTTPServer`` (threaded, so a hung request holds up no other one) and
does not share the ``httpserver`` fixture, so it coexists with the Census fake.

Endpoints (``{sid}`` must be the account SID the request authenticates as, with HTTP basic auth):

``POST /2010-04-01/Accounts/{sid}/Messages.json``
    Form fields ``To``, ``From`` or ``MessagingServiceSid``, ``Body``, ``StatusCallback``. Validates like Twilio
    (21604 no To, 21602 no Body, 21603 no sender, 21211 a To that is not E.164), records the message and answers
    201 with the Message resource (status ``queued``, or ``accepted`` through a messaging service).
``GET /2010-04-01/Accounts/{sid}/Messages.json``
    Filters ``To``, ``From``, ``DateSent``, ``DateSent>`` (on or after), ``DateSent<`` (on or before); newest
    first; ``PageSize``/``Page`` paging with Twilio's page metadata.

Scripting (each entry is consumed by one create request; afterwards requests succeed)::

    fake.script([201, 429, 500, "hang", 21610, 21211, 21614, 503, "500-accepted", "hang-accepted"],
                accepted_on_500=False, accepted_on_hang=False, hang_seconds=3.0, retry_after=None)
    fake.script_list([500, "hang"])       # the same for list requests
    fake.fail_number("+15005550009", 21610)   # every create to this number answers that error

- ``201``: the normal answer.
- ``429``: Twilio's 20429 JSON, with a ``Retry-After`` header when ``retry_after`` is given.
- ``500`` (any 5xx): Twilio's error JSON; with ``accepted_on_500`` (or the entry ``"500-accepted"``) the message
  is recorded first, as when Twilio took it and then failed to answer: exactly what makes a resend dangerous.
- ``"hang"``: waits ``hang_seconds`` (at most MAX_HANG_SECONDS, cut short by ``release()``/teardown) and then
  answers 504 without recording: the request was lost. With ``accepted_on_hang`` (or ``"hang-accepted"``) it
  records the message first and answers 201 after the wait.
- a Twilio error code (21610, 21211, 21614, 21408, 21612, any number >= 10000): HTTP 400 with that code.

Reading: ``fake.messages`` (dicts: sid, to, from, messaging_service_sid, body, status_callback, status,
received_at, date_sent), ``fake.count_by_to()``, ``fake.requests`` (every request: method, kind, to, outcome,
status, at — ``time.monotonic()`` when it arrived), ``fake.create_times()`` and ``fake.max_in_window(seconds)``
for send-rate checks. ``fake.set_status(sid, "failed")`` edits a recorded message; ``FakeTwilio(send_immediately=
False)`` keeps messages ``queued`` with no ``date_sent``, like Twilio before the carrier hand-off.
"""

from __future__ import annotations

import base64
import bisect
import email.utils
import json
import logging
import re
import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

API_VERSION = "2010-04-01"
ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "0123456789abcdef0123456789abcdef"
FROM_NUMBER = "+15005550006"
MESSAGING_SERVICE_SID = "MG" + "0" * 31 + "1"
# A hung request holds one server thread; it is bounded and released as soon as its test ends.
MAX_HANG_SECONDS = 3.0
MESSAGES_PATH = re.compile(rf"^/{API_VERSION}/Accounts/(?P<sid>[^/]+)/Messages\.json$")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")

# Twilio's error messages; like Twilio's own, several quote the To number ({to}).
ERROR_MESSAGES = {
    20003: (401, "Authenticate"),
    20404: (404, "The requested resource {path} was not found"),
    20429: (429, "Too Many Requests"),
    20500: (500, "An internal server error has occurred"),
    21211: (400, "The 'To' number {to} is not a valid phone number."),
    21408: (400, "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: "
                 "{to}."),
    21602: (400, "Message body is required."),
    21603: (400, "A 'From' phone number is required."),
    21604: (400, "A 'To' phone number is required."),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21612: (400, "The 'To' phone number: {to}, is not currently reachable using the 'From' phone number via SMS."),
    21614: (400, "'To' number {to} is not a valid mobile number"),
}


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def rfc2822(moment: datetime | None) -> str | None:
    """Format a date the way Twilio's JSON does ("Tue, 04 Mar 2025 10:00:00 +0000")."""
    return email.utils.format_datetime(moment) if moment else None


def _parse_date(value: str) -> tuple[datetime, bool]:
    """Parse a DateSent filter value; return (moment, whether it was a bare date)."""
    value = value.strip()
    if len(value) == 10:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=timezone.utc), True
    return datetime.strptime(value.rstrip("Z"), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc), False


class _QuietAccessLog:
    """Mixin for werkzeug's request handler: no access lines (they carry To numbers in list query strings)."""

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        pass


class _Server(HTTPServer):
    def thread_target(self) -> None:
        # A short poll interval: stopping takes up to one interval, and every test stops a server.
        assert self.server is not None
        self.server.serve_forever(poll_interval=0.02)


class FakeTwilio:
    """The fake service; see the module docstring. Use `start()`/`stop()` or `with FakeTwilio() as fake:`."""

    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN, *, from_number: str = FROM_NUMBER,
                 messaging_service_sid: str = MESSAGING_SERVICE_SID, host: str = "127.0.0.1", port: int = 0,
                 send_immediately: bool = True) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.from_number = from_number
        self.messaging_service_sid = messaging_service_sid
        self.send_immediately = send_immediately
        self.server = _Server(host=host, port=port, threaded=True)
        self.server.no_handler_status_code = 404
        self.server.expect_request(MESSAGES_PATH, method="POST").respond_with_handler(self._create)
        self.server.expect_request(MESSAGES_PATH, method="GET").respond_with_handler(self._list)
        self.messages: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._script: deque[tuple[Any, dict[str, Any]]] = deque()
        self._list_script: deque[tuple[Any, dict[str, Any]]] = deque()
        self._failing_numbers: dict[str, int] = {}
        self._release = threading.Event()

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> FakeTwilio:
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

    def __enter__(self) -> FakeTwilio:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """The TWILIO_API_BASE to give the channel: it replaces https://api.twilio.com."""
        return f"http://{self.server.format_host(self.server.host)}:{self.server.port}"

    def env(self, *, messaging_service: bool = False) -> dict[str, str]:
        """Environment variables that point an Outreach process at this fake."""
        # The fake has no send rate of its own: a process pointed at it may go as fast as it likes (the real
        # default, one text a second, would make every test that sends two texts wait). Tests of the limit
        # set SMS_MAX_PER_SECOND themselves.
        env = {"TWILIO_ACCOUNT_SID": self.account_sid, "TWILIO_AUTH_TOKEN": self.auth_token,
               "TWILIO_API_BASE": self.base_url, "SMS_MAX_PER_SECOND": "1000"}
        if messaging_service:
            env["TWILIO_MESSAGING_SERVICE_SID"] = self.messaging_service_sid
        else:
            env["TWILIO_FROM_NUMBER"] = self.from_number
        return env

    def check(self) -> None:
        """Raise the first exception a handler of the fake raised (a bug in the fake, not in the app)."""
        self.server.check_handler_errors()

    # --- scripting -------------------------------------------------------------------------------

    def script(self, outcomes: Iterable[int | str], *, accepted_on_500: bool = False, accepted_on_hang: bool = False,
               hang_seconds: float = MAX_HANG_SECONDS, retry_after: float | str | None = None) -> None:
        """Queue answers for the next create requests (see the module docstring)."""
        options = {"accepted_on_500": accepted_on_500, "accepted_on_hang": accepted_on_hang,
                   "hang_seconds": min(hang_seconds, MAX_HANG_SECONDS), "retry_after": retry_after}
        with self._lock:
            self._script.extend((_check_outcome(outcome), options) for outcome in outcomes)

    def script_list(self, outcomes: Iterable[int | str], *, hang_seconds: float = MAX_HANG_SECONDS,
                    retry_after: float | str | None = None) -> None:
        """Queue answers for the next list requests: 200, 429, a 5xx, or "hang"."""
        options = {"hang_seconds": min(hang_seconds, MAX_HANG_SECONDS), "retry_after": retry_after}
        with self._lock:
            self._list_script.extend((_check_outcome(outcome), options) for outcome in outcomes)

    def fail_number(self, to: str, code: int) -> None:
        """Answer every create to this number with a Twilio error code (e.g. 21610 after the person sent STOP)."""
        with self._lock:
            self._failing_numbers[to] = code

    def set_status(self, sid: str, status: str) -> None:
        """Change a recorded message's status (e.g. "failed", "undelivered", "delivered")."""
        with self._lock:
            for message in self.messages:
                if message["sid"] == sid:
                    message["status"] = status
                    if status not in ("queued", "accepted", "scheduled") and message["date_sent"] is None:
                        message["date_sent"] = _now()
                    return
        raise KeyError(sid)

    def release(self) -> None:
        """Let every hung request finish now."""
        self._release.set()

    # --- reading ---------------------------------------------------------------------------------

    def count_by_to(self) -> dict[str, int]:
        """Return how many messages were accepted for each recipient."""
        with self._lock:
            return dict(Counter(message["to"] for message in self.messages))

    def create_times(self) -> list[float]:
        """Return the `time.monotonic()` arrival time of every create request, in order."""
        with self._lock:
            return sorted(r["at"] for r in self.requests if r["kind"] == "create")

    def max_in_window(self, seconds: float) -> int:
        """Return the most create requests that arrived within any sliding window of `seconds`."""
        times = self.create_times()
        return max((bisect.bisect_left(times, t + seconds) - i for i, t in enumerate(times)), default=0)

    # --- answering -------------------------------------------------------------------------------

    def _authenticate(self, request: Request) -> Response | None:
        match = MESSAGES_PATH.match(request.path)
        header = request.headers.get("Authorization", "")
        try:
            user, _, password = base64.b64decode(header.removeprefix("Basic ")).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            user, password = "", ""
        if not header.startswith("Basic ") or user != self.account_sid or password != self.auth_token:
            return _error(20003, headers={"WWW-Authenticate": 'Basic realm="Twilio API"'})
        if match is None or match.group("sid") != self.account_sid:
            return _error(20404, path=request.path)
        return None

    def _log(self, kind: str, to: str | None, arrived: float, outcome: Any, status: int) -> None:
        with self._lock:
            self.requests.append({"method": "POST" if kind == "create" else "GET", "kind": kind, "to": to,
                                  "outcome": outcome, "status": status, "at": arrived})

    def _create(self, request: Request) -> Response:
        arrived = time.monotonic()
        form = request.form
        to = form.get("To")
        response = self._authenticate(request)
        outcome: Any = "auth"
        if response is None:
            with self._lock:
                outcome, options = self._script.popleft() if self._script else (201, {})
                failing_code = self._failing_numbers.get(to or "")
            if outcome == 201 and failing_code:
                outcome = failing_code
            response = self._answer_create(form, outcome, options)
        self._log("create", to, arrived, outcome, response.status_code)
        return response

    def _answer_create(self, form: Any, outcome: Any, options: dict[str, Any]) -> Response:
        to = form.get("To", "")
        if outcome == "hang" or outcome == "hang-accepted":
            if outcome == "hang-accepted" or options.get("accepted_on_hang"):
                recorded = self._validate_and_record(form)
                self._release.wait(options["hang_seconds"])
                return recorded
            self._release.wait(options["hang_seconds"])
            return _json({"code": 20504, "message": "Gateway Timeout", "status": 504}, 504)
        if outcome == 429:
            headers = {"Retry-After": str(options["retry_after"])} if options.get("retry_after") is not None else {}
            return _error(20429, headers=headers)
        if outcome == "500-accepted" or (isinstance(outcome, int) and 500 <= outcome < 600):
            status = 500 if outcome == "500-accepted" else outcome
            if outcome == "500-accepted" or options.get("accepted_on_500"):
                self._validate_and_record(form)
            return _error(20500, status=status)
        if isinstance(outcome, int) and outcome >= 10000:
            return _error(outcome, to=to)
        if isinstance(outcome, int) and outcome != 201:
            return _json({"code": outcome, "message": "Scripted answer", "status": outcome}, outcome)
        return self._validate_and_record(form)

    def _validate_and_record(self, form: Any) -> Response:
        to, body = form.get("To", ""), form.get("Body", "")
        sender, service = form.get("From"), form.get("MessagingServiceSid")
        if not to:
            return _error(21604)
        if not body:
            return _error(21602)
        if not (sender or service):
            return _error(21603)
        if not E164.match(to):
            return _error(21211, to=to)
        now = _now()
        message = {
            "sid": "SM" + secrets.token_hex(16),
            "to": to,
            "from": sender,
            "messaging_service_sid": service,
            "body": body,
            "status_callback": form.get("StatusCallback"),
            "status": "queued" if sender else "accepted",
            "received_at": now,
            "date_sent": None,
        }
        answer = self._resource(message)
        if self.send_immediately:
            message["status"], message["date_sent"] = "sent", now
        with self._lock:
            self.messages.append(message)
        return _json(answer, 201)

    def _resource(self, message: dict[str, Any]) -> dict[str, Any]:
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{message['sid']}"
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": message["body"],
            "date_created": rfc2822(message["received_at"]),
            "date_sent": rfc2822(message["date_sent"]),
            "date_updated": rfc2822(message["date_sent"] or message["received_at"]),
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": message["from"],
            "messaging_service_sid": message["messaging_service_sid"],
            "num_media": "0",
            "num_segments": str(max(1, -(-len(message["body"]) // 153))),
            "price": None,
            "price_unit": "USD",
            "sid": message["sid"],
            "status": message["status"],
            "subresource_uris": {"media": f"{uri}/Media.json", "feedback": f"{uri}/Feedback.json"},
            "to": message["to"],
            "uri": f"{uri}.json",
        }

    def _list(self, request: Request) -> Response:
        arrived = time.monotonic()
        args = request.args
        response = self._authenticate(request)
        outcome: Any = "auth"
        if response is None:
            with self._lock:
                outcome, options = self._list_script.popleft() if self._list_script else (200, {})
            if outcome == "hang":
                self._release.wait(options["hang_seconds"])
                response = _json({"code": 20504, "message": "Gateway Timeout", "status": 504}, 504)
            elif outcome == 429:
                headers = {"Retry-After": str(options["retry_after"])} if options.get("retry_after") is not None else {}
                response = _error(20429, headers=headers)
            elif isinstance(outcome, int) and outcome >= 500:
                response = _error(20500, status=outcome)
            elif outcome != 200:
                response = _json({"code": outcome, "message": "Scripted answer", "status": outcome}, outcome)
            else:
                response = self._answer_list(request)
        self._log("list", args.get("To"), arrived, outcome, response.status_code)
        return response

    def _answer_list(self, request: Request) -> Response:
        args = request.args
        try:
            filters = [(key, *_parse_date(args[key])) for key in ("DateSent", "DateSent>", "DateSent<") if key in args]
            page_size = max(1, min(1000, int(args.get("PageSize", 50))))
            page = max(0, int(args.get("Page", 0)))
        except ValueError:
            return _json({"code": 20001, "message": "Invalid parameter", "status": 400}, 400)
        with self._lock:
            selected = [dict(m) for m in self.messages
                        if (not args.get("To") or m["to"] == args["To"])
                        and (not args.get("From") or m["from"] == args["From"])
                        and all(_date_matches(m["date_sent"], key, moment, day) for key, moment, day in filters)]
        selected.sort(key=lambda m: (m["date_sent"] or m["received_at"], m["received_at"]), reverse=True)
        start = page * page_size
        records = selected[start:start + page_size]
        base = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages.json"
        query = [(key, value) for key, value in args.items(multi=True) if key not in ("Page", "PageSize", "PageToken")]

        def page_uri(number: int) -> str:
            return f"{base}?{urlencode([*query, ('PageSize', page_size), ('Page', number)])}"

        has_next = start + page_size < len(selected)
        return _json({
            "end": start + max(len(records), 1) - 1,
            "first_page_uri": page_uri(0),
            "messages": [self._resource(m) for m in records],
            "next_page_uri": (page_uri(page + 1) + f"&PageToken=PA{start + page_size}") if has_next else None,
            "page": page,
            "page_size": page_size,
            "previous_page_uri": page_uri(page - 1) if page > 0 else None,
            "start": start,
            "uri": page_uri(page),
        })


def _date_matches(date_sent: datetime | None, key: str, moment: datetime, bare_date: bool) -> bool:
    # Twilio filters on date_sent: a message it has not sent yet has none and matches no date filter.
    if date_sent is None:
        return False
    if bare_date:
        day, wanted = date_sent.date(), moment.date()
        return {"DateSent": day == wanted, "DateSent>": day >= wanted, "DateSent<": day <= wanted}[key]
    return {"DateSent": date_sent == moment, "DateSent>": date_sent >= moment, "DateSent<": date_sent <= moment}[key]


def _check_outcome(outcome: int | str) -> int | str:
    if isinstance(outcome, str) and outcome.isdigit():
        outcome = int(outcome)
    if outcome in ("hang", "hang-accepted", "500-accepted") or (isinstance(outcome, int) and outcome >= 100):
        return outcome
    raise ValueError(f"unknown scripted outcome {outcome!r}")


def _error(code: int, *, status: int | None = None, to: str = "", path: str = "",
           headers: dict[str, str] | None = None) -> Response:
    default_status, template = ERROR_MESSAGES.get(code, (400, "Error {code}"))
    status = status or default_status
    payload = {"code": code, "message": template.format(to=to, path=path, code=code),
               "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}
    return _json(payload, status, headers)


def _json(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(payload), status=status, content_type="application/json", headers=headers)


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    """A fresh fake Twilio on its own port of 127.0.0.1: no messages, nothing scripted."""
    fake = FakeTwilio().start()
    try:
        yield fake
    finally:
        fake.stop()
    fake.check()


def main() -> None:  # pragma: no cover — a convenience for poking at the fake by hand
    """Serve a fake Twilio until interrupted: `python -m tests.fakes.twilio`."""
    logging.basicConfig(level=logging.INFO)
    with FakeTwilio() as fake:
        for name, value in fake.env().items():
            print(f"{name}={value}")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
