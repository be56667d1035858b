"""Mask SSN/EIN-shaped numbers in every log record the process writes (app, gunicorn, RQ, libraries).

A filter on one logger misses records from its children and from libraries that echo request data (an RQ job's
arguments, a gunicorn access line with a query string), so the redaction sits in the log-record factory: every
record is masked as it is created, its formatted exception text included, before any handler sees it.
"""

from __future__ import annotations

import logging
import traceback

from ivr.cases.tin import redact

_installed = False


class RedactingFilter(logging.Filter):
    """A filter for handlers outside this process's factory (e.g. attached to a handler by hand)."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    try:
        message = record.getMessage()
    except Exception:  # a malformed %-format: leave it to the handler to report, as logging does
        return record
    masked = redact(message)
    if masked != message or record.args:
        record.msg, record.args = masked, None
    if record.exc_info and not record.exc_text:
        record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


def install() -> None:
    """Redact every log record created from now on in this process (idempotent)."""
    global _installed
    if _installed:
        return
    make_record = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        return redact_record(make_record(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    _installed = True
