"""Twilio REST errors and injectable faults.

Error bodies have Twilio's shape so the SDK raises `TwilioRestException` with the right `code` and `status`;
faults let client retry logic be tested against 429/5xx answers without a real rate limit.
"""

from __future__ import annotations

import threading
from collections import defaultdict

FAULT_CODES = {
    429: (20429, "Too Many Requests"),
    500: (20500, "Internal Server Error"),
    503: (20503, "Service Unavailable"),
}


class TwilioError(Exception):
    """An API error; `to_json()` is the body Twilio would send."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def to_json(self) -> dict:
        return {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }


def not_found(path: str) -> TwilioError:
    return TwilioError(404, 20404, f"The requested resource {path} was not found")


def unauthorized() -> TwilioError:
    return TwilioError(401, 20003, "Authenticate")


class Faults:
    """Make the next N requests of an operation (e.g. "calls.create") fail with a given HTTP status."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, list[int]] = defaultdict(list)

    def fail_next(self, operation: str, count: int = 1, status: int = 503) -> None:
        with self._lock:
            self._pending[operation].extend([status] * count)

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()

    def take(self, operation: str) -> TwilioError | None:
        """Consume one queued fault for `operation`, if any."""
        with self._lock:
            queue = self._pending.get(operation)
            if not queue:
                return None
            status = queue.pop(0)
        code, message = FAULT_CODES.get(status, (20000 + status, "Injected fault"))
        return TwilioError(status, code, message)
