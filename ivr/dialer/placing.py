"""Placing one outbound call through the official twilio SDK, and sorting its failures.

What matters about a failure is whether Twilio may have accepted the call: a 429 or 5xx answer means it did not
(safe to send the same attempt again later), a 4xx like 21211 means it never will (flag the case), and a lost
connection after the request went out means nobody knows (never resend; the status callback or the reaper
settles it).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol
from urllib.parse import urlencode

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from ivr.config import Config

MIN_RING_SECONDS = 15
#: `completed` is the outcome. `initiated` (and `ringing`) would add a webhook to every call only to name the CallSid
#: the REST answer already names: when that answer is lost, reconciliation finds the call in Twilio's call list
#: (ivr/dialer/reconcile.py).
STATUS_EVENTS = ["completed"]
#: Predictive pacing also hears `answered`: the callee picked up, a few seconds before the answering-machine verdict
#: (it then knows when a person, if it is one, will be heard, and that calls still ringing are less likely to be
#: people). Other modes would get one webhook more per picked-up call for nothing.
PICKUP_STATUS_EVENTS = ["answered", "completed"]
ANSWER_PATH = "/voice/outbound/answer"
STATUS_PATH = "/voice/outbound/status"
PRESS_PATH = "/voice/outbound/press"


class Failure(StrEnum):
    TRANSIENT = "transient"  # not accepted; retry with backoff
    PERMANENT = "permanent"  # not accepted and never will be; record, flag, stop
    UNKNOWN = "unknown"  # may have been accepted; never resend this attempt


class PlacementError(Exception):
    def __init__(self, failure: Failure, message: str, code: int | None = None):
        super().__init__(message)
        self.failure = failure
        self.code = code


@dataclass(frozen=True)
class CallRequest:
    attempt_id: str
    to: str
    hear_pickup: bool = False  # ask for the `answered` event (predictive pacing)


class CallPlacer(Protocol):
    def place(self, call: CallRequest) -> str:
        """Send the call; return its CallSid or raise PlacementError."""
        ...


def classify_exception(exc: Exception) -> PlacementError:
    """Sort an SDK or network failure by whether Twilio may have accepted the call."""
    if isinstance(exc, TwilioRestException):
        status, code = exc.status or 0, exc.code
        message = f"Twilio {status} / {code}: {exc.msg}"
        if status == 429 or code == 20429 or status >= 500:
            return PlacementError(Failure.TRANSIENT, message, code)
        if status in (401, 403):
            # Our credentials, not the callee: retry, and never blame (flag) the case.
            return PlacementError(Failure.TRANSIENT, message, code)
        return PlacementError(Failure.PERMANENT, message, code)
    if isinstance(exc, requests.ConnectTimeout) or (
        isinstance(exc, requests.ConnectionError) and "NewConnectionError" in repr(exc)
    ):
        return PlacementError(Failure.TRANSIENT, f"could not connect to Twilio: {type(exc).__name__}")
    return PlacementError(Failure.UNKNOWN, f"no answer from Twilio: {type(exc).__name__}")


class TwilioPlacer:
    """calls.create with the webhooks, status events, ring timeout and answering-machine detection we rely on."""

    def __init__(self, client: Client, config: Config, ring_timeout: int = 25):
        if not config.from_number:
            raise RuntimeError("ACS_FROM_NUMBER is not set: the dialer has no caller ID")
        self.client = client
        self.from_number = config.from_number
        self.answer_url = config.public_url(ANSWER_PATH)
        self.status_url = config.public_url(STATUS_PATH)
        self.ring_timeout = max(MIN_RING_SECONDS, ring_timeout)

    def place(self, call: CallRequest) -> str:
        query = "?" + urlencode({"attempt": call.attempt_id})
        try:
            record = self.client.calls.create(
                to=call.to,
                from_=self.from_number,
                url=self.answer_url + query,
                method="POST",
                status_callback=self.status_url + query,
                status_callback_method="POST",
                status_callback_event=PICKUP_STATUS_EVENTS if call.hear_pickup else STATUS_EVENTS,
                timeout=self.ring_timeout,
                machine_detection="DetectMessageEnd",
                machine_detection_timeout=30,
            )
        except Exception as exc:  # noqa: BLE001 - every failure is sorted, none escapes unclassified
            raise classify_exception(exc) from exc
        return record.sid
