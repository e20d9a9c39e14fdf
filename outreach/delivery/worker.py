"""The worker loop: expire stale leases, reconcile unclear sends, claim and send due deliveries."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import datetime, timedelta

from flask import Flask

from outreach.actions.services import erase_expired_contact_details
from outreach.delivery import outbox
from outreach.extensions import db

log = logging.getLogger(__name__)

RETENTION_EVERY_SECONDS = 3600


def worker_id() -> str:
    """Name this worker by host and process, for the heartbeat table."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 10000}"


def run_once(app: Flask, batch: int = 10, now: datetime | None = None) -> int:
    """Do one round of work; return how many deliveries were claimed.

    `now` freezes the clock that scheduling, claims and the alert rules read (tests only); None is the real one.
    """
    from outreach.sms import alerts

    channels = app.extensions["outreach.channels"]
    outbox.expire_leases()
    outbox.reconcile_unknown(channels, app.config)
    # Scheduled alerts whose time has come are fanned out here, each by exactly one worker.
    alerts.fan_out_due(now)
    claimed = outbox.claim_due(batch, now=now, lease=timedelta(seconds=app.config["DELIVERY_LEASE_SECONDS"]))
    for delivery_id in claimed:
        try:
            outbox.dispatch(delivery_id, channels, app.config, now=now)
        except Exception:  # one bad row must not stop the queue; it stays sending and its lease expires
            db.session.rollback()
            log.exception("delivery %s: unexpected error while sending", delivery_id)
    alerts.finish_done()
    return len(claimed)


def run(app: Flask, stop: threading.Event, batch: int = 10, idle_seconds: float = 1.0) -> None:
    """Work until `stop` is set; with WORKER_THREADS > 1, as that many threads, each with its own app context.

    Threads help because most of a send is waiting (for the database's commits and the provider's answer);
    they share the queue exactly as separate processes do.
    """
    threads = max(1, int(app.config.get("WORKER_THREADS", 1)))
    helpers = [threading.Thread(target=_loop, args=(app, stop, batch, idle_seconds, index == 0),
                                name=f"outreach-worker-{index + 1}", daemon=True)
               for index in range(1, threads)]
    for helper in helpers:
        helper.start()
    _loop(app, stop, batch, idle_seconds, True)
    for helper in helpers:
        helper.join()


def _loop(app: Flask, stop: threading.Event, batch: int, idle_seconds: float, housekeeping: bool) -> None:
    name = worker_id()
    last_retention = 0.0
    with app.app_context():
        log.info("worker %s started", name)
        while not stop.is_set():
            try:
                claimed = run_once(app, batch)
                outbox.heartbeat(name)
                if housekeeping and time.monotonic() - last_retention > RETENTION_EVERY_SECONDS:
                    erase_expired_contact_details(app.config["RETENTION_DAYS"])
                    last_retention = time.monotonic()
            except Exception:
                db.session.rollback()
                log.exception("worker round failed; retrying")
                claimed = 0
            finally:
                db.session.remove()
            if not claimed:
                stop.wait(idle_seconds)
        log.info("worker %s stopped", name)


def install_embedded_worker(app: Flask) -> None:
    """Start one worker thread in this process on its first request, when OUTREACH_EMBEDDED_WORKER is on."""
    if not app.config["OUTREACH_EMBEDDED_WORKER"] or app.config.get("TESTING"):
        return
    lock = threading.Lock()
    started: list[threading.Thread] = []

    @app.before_request
    def _start_worker_once() -> None:
        if started:
            return
        with lock:
            if not started:
                thread = threading.Thread(target=run, args=(app, threading.Event()), name="outreach-worker",
                                          daemon=True)
                thread.start()
                started.append(thread)
