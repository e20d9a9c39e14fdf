"""Keep personal data out of logs: request lines lose their query strings."""

from __future__ import annotations

import logging
import re

# Loggers that print request URLs: werkzeug's and gunicorn's access lines (a lookup URL may carry an
# address), and urllib3's debug lines for outgoing requests (the geocoder sends the address as a query).
REQUEST_LOGGERS = ("werkzeug", "gunicorn.access", "urllib3.connectionpool")
_QUERY = re.compile(r"(/[^\s?\"]*)\?[^\s\"]*")
# A status page's token opens (and can delete) someone's action, and a reset or invitation token sets an
# organizer's password: secrets, not paths.
_STATUS_TOKEN = re.compile(r"(/(?:a|reset|invite)/)[A-Za-z0-9_-]{8,}")
# gunicorn hands its access line a dict of atoms; these hold a bare query string, with no "?" to find.
_BARE_QUERY_ATOMS = frozenset({"q", "{query_string}e"})


def drop_query_strings(text: str) -> str:
    """Replace every URL query string, and every status-page token, in a text with an ellipsis."""
    return _STATUS_TOKEN.sub(r"\1…", _QUERY.sub(r"\1?…", text))


class DropQueryStrings(logging.Filter):
    """Remove query strings from a log record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(drop_query_strings(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            # Edit in place: gunicorn's atoms are a dict subclass that formats missing keys as "-".
            for key, value in record.args.items():
                if key in _BARE_QUERY_ATOMS and value:
                    record.args[key] = "…"
                elif isinstance(value, str):
                    record.args[key] = drop_query_strings(value)
        if isinstance(record.msg, str):
            record.msg = drop_query_strings(record.msg)
        return True


def install_log_redaction() -> None:
    """Attach the filter to every logger that prints request URLs (idempotent)."""
    for name in REQUEST_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, DropQueryStrings) for f in logger.filters):
            logger.addFilter(DropQueryStrings())
