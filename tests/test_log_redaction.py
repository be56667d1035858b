"""Every log record is masked as it is created: message, arguments and exception text (issue 9 §1)."""

from __future__ import annotations

import logging

from ivr import log_redaction


def test_log_records_are_masked(caplog):
    log_redaction.install()
    log = logging.getLogger("ivr.test")
    with caplog.at_level(logging.INFO):
        log.info("caller typed %s", "015–14–6380")
        log.warning("dict %(x)s", {"x": "0 1 5 1 4 6 3 8 0"})
        try:
            raise ValueError("not a valid phone number '015-14-6380-'")
        except ValueError:
            log.exception("import failed for 015/14/6380")
    text = caplog.text
    assert "***-**-6380" in text and "Traceback" in text
    for typed in ("015–14–6380", "0 1 5 1 4 6 3 8 0", "015-14-6380", "015/14/6380"):
        assert typed not in text


def test_a_filter_does_the_same_for_a_handler():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "tin %s", ("015 146 380",), None)
    assert log_redaction.RedactingFilter().filter(record) and record.getMessage() == "tin ***-**-6380"


def test_a_worker_log_keeps_the_job_id_whole():
    job_id = "7d1b9c2e-3f4a-4b5c-8d6e-e123453696e4"
    record = logging.LogRecord("rq.worker", logging.INFO, __file__, 1, "Job OK (%s) 015 146 380", (job_id,), None)
    assert log_redaction.RedactingFilter().filter(record)
    assert record.getMessage() == f"Job OK ({job_id}) ***-**-6380"
