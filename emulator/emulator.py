"""The `Emulator`: one phone network (engine, records, parties, transport, transcript) behind one object."""

from __future__ import annotations

import re
import secrets
import threading
from collections import deque
from collections.abc import Iterable

from emulator import outbound, queueing
from emulator.engine import Clock, Engine, VirtualClock
from emulator.errors import Faults, TwilioError, not_found
from emulator.legs import Callbacks, EndedLeg, Leg
from emulator.parties import Caller, Human, Party
from emulator.resources import CallRecord, IncomingNumber, Queue, Store, new_sid
from emulator.transcript import Transcript
from emulator.transport import Transport, WebhookResult

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
STATUS_EVENTS = frozenset({"initiated", "ringing", "answered", "completed"})
#: One frozenset per subscribed combination (at most 16), shared by every call that subscribes to it.
_EVENT_SETS: dict[frozenset[str], frozenset[str]] = {}
_CLIENT = re.compile(r"^client:[\w.-]+$")


class Emulator:
    """A local Twilio: REST records, call legs on an engine clock, and scripted parties at every number."""

    def __init__(
        self,
        account_sid: str | None = None,
        auth_token: str | None = None,
        clock: Clock | None = None,
        default_party: type[Party] = Human,
        keep: int | None = None,
    ) -> None:
        """`keep`: how many transcript entries and webhook records to hold (the newest; None: all), so an
        emulator serving for days does not grow without end; REST records (calls, recordings...) are all kept,
        as Twilio keeps them."""
        self.account_sid = account_sid or new_sid("AC")
        self.auth_token = auth_token or secrets.token_hex(16)
        self.engine = Engine(clock or VirtualClock())
        self.store = Store()
        self.transcript = Transcript(limit=keep)
        self.transport = Transport(self.auth_token)
        self.faults = Faults()
        self.default_party = default_party
        self.parties: dict[str, Party] = {}
        self.legs: dict[str, Leg | EndedLeg] = {}  # a finished call's Leg is swapped for its EndedLeg
        self.labels: dict[str, str] = {}
        self._label_counts: dict[str, int] = {}
        self.dial_waiters: dict[str, list[Leg]] = {}
        self.webhooks: deque[dict] = deque(maxlen=keep)
        self.webhook_count = 0  # every webhook made, kept or not
        self.errors: list[dict] = []
        self.warnings: list[dict] = []  # TwiML schema warnings of every leg
        self._lock = threading.RLock()
        self._wsgi = None
        #: Where RecordingUrl and other media links point; `serve()` makes it the server's own URL.
        self.api_base = "https://api.twilio.com"

    # -- setup -------------------------------------------------------------------------------------------
    def add_number(self, phone_number: str, voice_url: str | None = None, **fields) -> IncomingNumber:
        """Own `phone_number`; inbound calls to it fetch `voice_url` (as IncomingPhoneNumbers create does)."""
        with self.store.lock:
            existing = self.store.number_for(phone_number)
            if existing:
                existing.voice_url = voice_url or existing.voice_url
                for key, value in fields.items():
                    setattr(existing, key, value)
                return existing
            number = IncomingNumber(
                new_sid("PN"), self.account_sid, phone_number, self.engine.clock.datetime(), voice_url, **fields
            )
            self.store.numbers[number.sid] = number
            return number

    def assign(self, phone_number: str, party: Party) -> Party:
        """Put `party` at `phone_number`: it answers every call placed to that number."""
        self.parties[phone_number] = party
        return party

    def party_for(self, phone_number: str) -> Party:
        """The party assigned to `phone_number`, else a fresh `default_party` (a listening human)."""
        party = self.parties.get(phone_number)
        if party is None:
            with self._lock:
                party = self.parties.setdefault(phone_number, self.default_party())
        return party

    def mount(self, base_url: str, wsgi_app) -> None:
        """Deliver webhooks under `base_url` to `wsgi_app` in-process."""
        self.transport.mount(base_url, wsgi_app)

    def queue_named(self, account_sid: str, name: str, create: bool = False) -> Queue | None:
        with self.store.lock:
            queue = self.store.queue_by_name(account_sid, name)
            if queue is None and create:
                queue = self.create_queue(name)
            return queue

    def create_queue(self, friendly_name: str, max_size: int = 1000) -> Queue:
        with self.store.lock:
            if self.store.queue_by_name(self.account_sid, friendly_name):
                raise TwilioError(400, 22003, f"A queue with friendly name {friendly_name} already exists")
            queue = Queue(new_sid("QU"), self.account_sid, friendly_name, self.engine.clock.datetime(), max_size)
            self.store.queues[queue.sid] = queue
            return queue

    # -- calls -------------------------------------------------------------------------------------------
    def _label(self, party: Party, fallback: str) -> str:
        """The party's name, or `fallback`; repeats get #2, #3... (O(1): creates must stay cheap)."""
        base = party.name or fallback
        with self._lock:
            n = self._label_counts.get(base, 0) + 1
            self._label_counts[base] = n
            label = base if n == 1 else f"{base}#{n}"
            while label in self.labels:  # only if someone named a party "x#2" explicitly
                n += 1
                label = f"{base}#{n}"
            return label

    def new_leg(self, record: CallRecord, party: Party, fallback: str, callbacks: Callbacks) -> Leg:
        """Register a leg for `record` (used by the API, inbound arrivals and <Dial> child legs)."""
        self.store.add_call(record)
        leg = Leg(self, record, party, self._label(party, fallback), callbacks)
        with self._lock:
            self.legs[record.sid] = leg
            self.labels[leg.label] = record.sid
        return leg

    def dial_in(self, from_: str, to: str, party: Party | None = None, at: float | None = None) -> Leg:
        """Place an inbound call from `from_` to one of our numbers at emulator time `at` (default now)."""
        party = party or Caller()
        record = CallRecord(new_sid("CA"), self.account_sid, to, from_, "inbound", self.engine.clock.datetime())
        number = self.store.number_for(to)
        callbacks = Callbacks()
        if number is not None:
            record.phone_number_sid = number.sid
            callbacks.status_url = number.status_callback
            callbacks.status_method = number.status_callback_method
        leg = self.new_leg(record, party, f"caller {from_}", callbacks)
        url, method = (number.voice_url, number.voice_method) if number else (None, "POST")
        callbacks.extra["url"] = url
        when = self.engine.now() if at is None else at
        self.engine.schedule_at(when, outbound.arrive, leg, url, method)
        return leg

    def create_call(
        self,
        to: str | None,
        from_: str | None,
        url: str | None = None,
        twiml: str | None = None,
        method: str = "POST",
        status_callback: str | None = None,
        status_callback_event: Iterable[str] = (),
        status_callback_method: str = "POST",
        timeout: float = 60,
        machine_detection: str | None = None,
        machine_detection_timeout: float = 30,
        async_amd: bool = False,
        async_amd_status_callback: str | None = None,
        async_amd_status_callback_method: str = "POST",
        at: float | None = None,
        send_digits: str | None = None,
        record: bool = False,
        recording_status_callback: str | None = None,
        recording_status_callback_event: Iterable[str] = (),
        recording_status_callback_method: str = "POST",
    ) -> CallRecord:
        """Accept an outbound-api call (what POST /Calls.json does): validate, record, schedule; O(1)."""
        if not to:
            raise TwilioError(400, 21201, "No 'To' number is specified")
        if not from_:
            raise TwilioError(400, 21213, "No 'From' number is specified")
        if not (E164.match(to) or _CLIENT.match(to)) or self.party_for(to).rejects_at_api():
            raise TwilioError(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if not (E164.match(from_) or _CLIENT.match(from_)):
            raise TwilioError(400, 21212, f"Invalid 'From' Phone Number: {from_}")
        if not url and twiml is None:
            raise TwilioError(400, 21205, "Either Url, Twiml or ApplicationSid must be provided")
        if machine_detection not in (None, "", "Enable", "DetectMessageEnd"):
            raise TwilioError(400, 21629, f"Invalid MachineDetection value {machine_detection}")
        events = frozenset(set(status_callback_event) & STATUS_EVENTS or {"completed"})
        events = _EVENT_SETS.setdefault(events, events)
        callbacks = Callbacks(
            status_url=status_callback,
            status_method=status_callback_method or "POST",
            status_events=events,
            machine_detection=machine_detection or None,
            async_amd=async_amd,
            async_amd_url=async_amd_status_callback,
            async_amd_method=async_amd_status_callback_method or "POST",
            timeout=float(timeout),
            extra={"url": url, "amd_timeout": machine_detection_timeout},
        )
        if send_digits:
            callbacks.extra["send_digits"] = send_digits
        if record:
            events = " ".join(recording_status_callback_event).replace(",", " ").split()
            callbacks.extra["record"] = {
                "status_callback": recording_status_callback,
                "method": recording_status_callback_method,
                "events": events or ["completed"],
            }
        record = CallRecord(new_sid("CA"), self.account_sid, to, from_, "outbound-api", self.engine.clock.datetime())
        leg = self.new_leg(record, self.party_for(to), f"callee {to}", callbacks)
        when = self.engine.now() if at is None else at
        self.engine.schedule_at(when, outbound.initiate, leg, url, method or "POST", twiml)
        return record

    def update_call(
        self,
        sid: str,
        url: str | None = None,
        method: str = "POST",
        twiml: str | None = None,
        status: str | None = None,
    ) -> CallRecord:
        """Redirect or end a live call (POST /Calls/{sid}.json); applied on the engine clock."""
        leg = self.legs.get(sid)
        if leg is None:
            raise not_found(f"/2010-04-01/Accounts/{self.account_sid}/Calls/{sid}.json")
        if status not in (None, "", "completed", "canceled"):
            raise TwilioError(400, 20001, f"Invalid Status {status}")
        if (url or twiml) and leg.record.status not in ("queued", "ringing", "in-progress"):
            raise TwilioError(400, 21220, "Call is not in-progress. Cannot redirect.")
        if not url and twiml is None and not status:
            return leg.record  # e.g. only StatusCallback or Method: nothing to redirect to
        self.engine.schedule(0, self._apply_update, leg, url, method or "POST", twiml, status)
        return leg.record

    def _apply_update(self, leg: Leg, url: str | None, method: str, twiml: str | None, status: str | None) -> None:
        if leg.ended:
            return
        if status == "canceled":
            if leg.answered_at is None:
                leg.hangup("canceled")
            return
        if status == "completed":
            leg.hangup("completed" if leg.answered_at is not None else "canceled")
            return
        if leg.answered_at is None and leg.record.direction == "outbound-api":
            # Nobody has picked up yet: the new instructions are what runs once the call connects.
            leg.note("call", f"answer URL changed by the REST API to {url or 'inline TwiML'}")
            leg.callbacks.extra["redirect"] = (url, method, twiml)
            return
        leg.note("call", f"redirected by the REST API to {url or 'inline TwiML'}")
        queueing.detach(leg, "redirected")
        leg.cancel()
        leg.suspended = []
        outbound.run_main(leg, url, method, twiml)

    def dequeue_member(self, queue_sid: str, call_sid: str, url: str, method: str = "POST") -> None:
        """Take a member out of its queue and point it at `url` (POST /Queues/{sid}/Members/{call}.json)."""
        leg = self.legs[call_sid]
        self.engine.schedule(0, self._apply_update, leg, url, method, None, None)

    # -- running -----------------------------------------------------------------------------------------
    def run(self, until: float | None = None, max_events: int = 2_000_000) -> int:
        """Drive the engine until idle (or `until` seconds); returns the number of events run."""
        return self.engine.run(until=until, max_events=max_events)

    def leg(self, name_or_sid: str) -> Leg | EndedLeg:
        """The leg with this label (party name) or call SID."""
        sid = self.labels.get(name_or_sid, name_or_sid)
        if sid not in self.legs:
            raise KeyError(f"no leg named {name_or_sid!r}; legs: {sorted(self.labels)}")
        return self.legs[sid]

    def webhook_log(self) -> list[dict]:
        """The webhook records kept, copied under the lock: a deque raises if the engine's thread appends while
        another thread (an HTTP request for /_emulator/webhooks) iterates it."""
        with self._lock:
            return list(self.webhooks)

    def record_webhook(self, leg: Leg, purpose: str, result: WebhookResult) -> None:
        with self._lock:
            self.webhook_count += 1
            self.webhooks.append(
                {
                    "t": round(self.engine.now(), 3),
                    "leg": leg.label,
                    "call_sid": leg.sid,
                    "purpose": purpose,
                    "method": result.method,
                    "url": result.url,
                    "status": result.status,
                    "error": result.error,
                }
            )

    def leg_ended(self, leg: Leg) -> None:
        """Hook for subclasses and the scenario runner; nothing to do by default."""

    def leg_finished(self, leg: Leg) -> None:
        """Keep only the `EndedLeg` of a finished call: its runtime state goes with the Leg's last event."""
        with self._lock:
            if self.legs.get(leg.sid) is leg:
                self.legs[leg.sid] = EndedLeg(leg)

    # -- serving -----------------------------------------------------------------------------------------
    @property
    def wsgi_app(self):
        """The Twilio-compatible REST API as a WSGI application."""
        if self._wsgi is None:
            from emulator.rest import RestApi

            self._wsgi = RestApi(self)
        return self._wsgi

    def sdk_client(self):
        """A `twilio.rest.Client` wired to this emulator in-process (no sockets)."""
        from emulator.sdk import WsgiHttpClient, twilio_client

        return twilio_client(None, self.account_sid, self.auth_token, http_client=WsgiHttpClient(self.wsgi_app))

    def serve(self, host: str = "127.0.0.1", port: int = 0):
        """Serve the REST API over HTTP in a daemon thread; returns the running `ServerThread`."""
        from emulator.server import ServerThread

        server = ServerThread(self.wsgi_app, host, port)
        server.start()
        self.api_base = server.url
        return server
