"""REST-visible records (calls, queues, numbers) and their Twilio JSON shapes.

Records are plain data guarded by one store lock: the REST threads read and create them, the engine thread
updates call status. Serialisation lives here so the REST layer stays a thin router.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime

API_VERSION = "2010-04-01"
FINAL_STATUSES = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})


def new_sid(prefix: str) -> str:
    """Return a Twilio-shaped SID: two-letter prefix + 32 hex digits."""
    return prefix + secrets.token_hex(16)


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def rfc2822(dt: datetime | None) -> str | None:
    """email.utils.format_datetime(dt): a UTC time (every clock's) formatted directly, at a fifth of its cost."""
    if not dt:
        return None
    if dt.tzinfo is not UTC:
        return format_datetime(dt)
    return (
        f"{_DAYS[dt.weekday()]}, {dt.day:02d} {_MONTHS[dt.month - 1]} {dt.year:04d} "
        f"{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d} +0000"
    )


def timestamp(dt: datetime) -> str:
    """dt.strftime("%a, %d %b %Y %H:%M:%S +0000") (a callback's Timestamp), by `rfc2822` for a UTC time."""
    if dt.tzinfo is UTC and dt.year >= 1000:  # strftime's %Y does not pad
        return rfc2822(dt)
    return dt.strftime("%a, %d %b %Y %H:%M:%S +0000")


@dataclass
class CallRecord:
    sid: str
    account_sid: str
    to: str
    from_: str
    direction: str
    date_created: datetime
    status: str = "queued"
    parent_call_sid: str | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    duration: int | None = None
    answered_by: str | None = None
    queue_time: str = "0"
    phone_number_sid: str | None = None
    date_updated: datetime | None = None

    def uri(self) -> str:
        return f"/{API_VERSION}/Accounts/{self.account_sid}/Calls/{self.sid}.json"

    def to_json(self) -> dict:
        base = self.uri()[: -len(".json")]
        return {
            "sid": self.sid,
            "account_sid": self.account_sid,
            "parent_call_sid": self.parent_call_sid,
            "date_created": rfc2822(self.date_created),
            "date_updated": rfc2822(self.date_updated or self.date_created),
            "to": self.to,
            "to_formatted": self.to,
            "from": self.from_,
            "from_formatted": self.from_,
            "phone_number_sid": self.phone_number_sid,
            "status": self.status,
            "start_time": rfc2822(self.start_time),
            "end_time": rfc2822(self.end_time),
            "duration": None if self.duration is None else str(self.duration),
            "price": None,
            "price_unit": "USD",
            "direction": self.direction,
            "answered_by": self.answered_by,
            "api_version": API_VERSION,
            "forwarded_from": None,
            "group_sid": None,
            "caller_name": None,
            "queue_time": self.queue_time,
            "trunk_sid": None,
            "uri": self.uri(),
            "subresource_uris": {
                "notifications": f"{base}/Notifications.json",
                "recordings": f"{base}/Recordings.json",
                "events": f"{base}/Events.json",
            },
        }


@dataclass
class QueueMember:
    call_sid: str
    enqueued_at: float
    date_enqueued: datetime


@dataclass
class Queue:
    sid: str
    account_sid: str
    friendly_name: str
    date_created: datetime
    max_size: int = 1000
    members: list[QueueMember] = field(default_factory=list)
    #: Seconds waited by callers who already left: feeds average_wait_time when nobody waits.
    waits: list[float] = field(default_factory=list)

    def uri(self) -> str:
        return f"/{API_VERSION}/Accounts/{self.account_sid}/Queues/{self.sid}.json"

    def average_wait(self, now: float) -> int:
        """Average seconds the current members have waited (Twilio computes it at request time)."""
        if not self.members:
            return 0
        return int(sum(now - m.enqueued_at for m in self.members) / len(self.members))

    def position(self, call_sid: str) -> int:
        for i, member in enumerate(self.members, 1):
            if member.call_sid == call_sid:
                return i
        return 0

    def to_json(self, now: float) -> dict:
        return {
            "sid": self.sid,
            "account_sid": self.account_sid,
            "friendly_name": self.friendly_name,
            "current_size": len(self.members),
            "max_size": self.max_size,
            "average_wait_time": self.average_wait(now),
            "date_created": rfc2822(self.date_created),
            "date_updated": rfc2822(self.date_created),
            "uri": self.uri(),
            "subresource_uris": {"members": self.uri()[: -len(".json")] + "/Members.json"},
        }

    def member_json(self, member: QueueMember, now: float) -> dict:
        return {
            "call_sid": member.call_sid,
            "queue_sid": self.sid,
            "date_enqueued": rfc2822(member.date_enqueued),
            "position": self.position(member.call_sid),
            "wait_time": int(now - member.enqueued_at),
            "uri": self.uri()[: -len(".json")] + f"/Members/{member.call_sid}.json",
        }


@dataclass
class IncomingNumber:
    sid: str
    account_sid: str
    phone_number: str
    date_created: datetime
    voice_url: str | None = None
    voice_method: str = "POST"
    status_callback: str | None = None
    status_callback_method: str = "POST"
    friendly_name: str | None = None

    def uri(self) -> str:
        return f"/{API_VERSION}/Accounts/{self.account_sid}/IncomingPhoneNumbers/{self.sid}.json"

    def to_json(self) -> dict:
        return {
            "sid": self.sid,
            "account_sid": self.account_sid,
            "phone_number": self.phone_number,
            "friendly_name": self.friendly_name or self.phone_number,
            "voice_url": self.voice_url,
            "voice_method": self.voice_method,
            "voice_fallback_url": None,
            "voice_fallback_method": "POST",
            "voice_caller_id_lookup": False,
            "voice_application_sid": None,
            "status_callback": self.status_callback,
            "status_callback_method": self.status_callback_method,
            "sms_url": None,
            "sms_method": "POST",
            "capabilities": {"voice": True, "sms": False, "mms": False, "fax": False},
            "api_version": API_VERSION,
            "date_created": rfc2822(self.date_created),
            "date_updated": rfc2822(self.date_created),
            "origin": "twilio",
            "status": "in-use",
            "beta": False,
            "uri": self.uri(),
        }


class Store:
    """Every REST-visible record, keyed by SID; one lock so REST threads and the engine agree."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.calls: OrderedDict[str, CallRecord] = OrderedDict()
        self.queues: dict[str, Queue] = {}
        self.numbers: dict[str, IncomingNumber] = {}
        self.recordings: OrderedDict = OrderedDict()  # RE… -> recording.Recording
        self.conferences: OrderedDict = OrderedDict()  # CF… -> conference.Conference
        self.messages: OrderedDict = OrderedDict()  # SM… -> messaging.Message
        self.applications: OrderedDict = OrderedDict()  # AP… -> messaging.Application

    def add_call(self, record: CallRecord) -> None:
        with self.lock:
            self.calls[record.sid] = record

    def queue_by_name(self, account_sid: str, name: str) -> Queue | None:
        with self.lock:
            for queue in self.queues.values():
                if queue.friendly_name == name and queue.account_sid == account_sid:
                    return queue
        return None

    def number_for(self, phone_number: str) -> IncomingNumber | None:
        with self.lock:
            for number in self.numbers.values():
                if number.phone_number == phone_number:
                    return number
        return None
