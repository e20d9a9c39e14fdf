"""Keep personal data out of logs: request lines lose their query strings."""

from __future__ import annotations

import logging
import re

# A request line as werkzeug's development server logs it: "GET /path?query HTTP/1.1".
_QUERY_IN_REQUEST_LINE = re.compile(r'(\"[A-Z]+ [^ ?"]*)\?[^ "]*')


class DropQueryStrings(logging.Filter):
    """Remove query strings from request lines, where addresses and ZIP codes would appear."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(_QUERY_IN_REQUEST_LINE.sub(r"\1?…", a) if isinstance(a, str) else a
                                for a in (record.args if isinstance(record.args, tuple) else (record.args,)))
        if isinstance(record.msg, str):
            record.msg = _QUERY_IN_REQUEST_LINE.sub(r"\1?…", record.msg)
        return True


def install_log_redaction() -> None:
    """Attach the filter to the request loggers of werkzeug and gunicorn (idempotent)."""
    for name in ("werkzeug", "gunicorn.access"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, DropQueryStrings) for f in logger.filters):
            logger.addFilter(DropQueryStrings())
