"""Call queues: <Enqueue> with its waitUrl loop, <Dial><Queue> bridging, <Leave>, and unwinding on hangup.

Semantics follow https://www.twilio.com/docs/voice/twiml/enqueue and https://www.twilio.com/docs/voice/twiml/queue:
the waitUrl is re-requested whenever its TwiML finishes; a Dial > Queue takes the longest-waiting caller, runs the
Queue `url` on that caller first, then connects the two; the Enqueue action is requested with QueueResult and
QueueTime when the caller leaves the queue (right away for Leave/REST, after the bridge for Dial).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from emulator import twiml
from emulator.parties import HangUp
from emulator.resources import QueueMember

if TYPE_CHECKING:
    from emulator.legs import Frame, Leg
    from emulator.resources import Queue

HOLD_MUSIC = "https://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3"
HOLD_MUSIC_SECONDS = 30.0
#: A waitUrl whose TwiML takes no time is re-requested at most once a second.
MIN_WAIT_ITERATION = 1.0


@dataclass
class Enqueued:
    queue: Queue
    verb: twiml.Verb
    doc_url: str | None
    since: float
    last_fetch: float = -1.0
    left_at: float | None = None


@dataclass
class DialWait:
    queue: Queue | None
    verb: twiml.Verb
    noun: twiml.Verb
    doc_url: str | None
    since: float


@dataclass
class Bridge:
    caller: Leg
    agent: Leg
    queue: Queue
    queue_time: int
    connected_at: float | None = None

    def other(self, leg: Leg) -> Leg:
        return self.agent if leg is self.caller else self.caller


def _secs(seconds: float) -> int:
    """Whole seconds, immune to float noise (59.99999 is 60)."""
    return int(seconds + 1e-6)


def _queue_params(leg: Leg) -> dict:
    enq = leg.queued
    now = leg.now()
    with leg.emu.store.lock:
        return {
            "QueueSid": enq.queue.sid,
            "QueuePosition": enq.queue.position(leg.sid),
            "QueueTime": _secs(now - enq.since),
            "AvgQueueTime": enq.queue.average_wait(now),
            "CurrentQueueSize": len(enq.queue.members),
            "MaxQueueSize": enq.queue.max_size,
        }


def enqueue(leg: Leg, verb: twiml.Verb, frame: Frame) -> None:
    queue = leg.emu.queue_named(leg.record.account_sid, verb.text or "default", create=True)
    enq = Enqueued(queue, verb, frame.url, leg.now())
    leg.suspended, leg.frames = leg.frames, []
    with leg.emu.store.lock:
        full = len(queue.members) >= queue.max_size
        if not full:
            queue.members.append(QueueMember(leg.sid, leg.now(), leg.engine.clock.datetime()))
    leg.queued = enq
    if full:
        leg.note("queue", f"queue {queue.friendly_name!r} is full")
        _after_queue(leg, enq, "queue-full")
        return
    leg.note("queue", f"enqueued in {queue.friendly_name!r} at position {queue.position(leg.sid)}")
    _perform_while_waiting(leg, enq, leg.party.on_enqueued(leg))
    waiters = leg.emu.dial_waiters.get(queue.sid)
    if waiters:
        _start_dequeue(waiters.pop(0), leg)
        return
    wait_loop(leg)


def _perform_while_waiting(leg: Leg, enq: Enqueued, actions: list) -> None:
    """Schedule a party's on-hold reactions: a hold-patience hangup only fires while the caller still waits.

    Once connected to an agent the caller is no longer on hold, so giving up on the queue no longer applies.
    """
    for action in actions:
        if isinstance(action, HangUp):
            leg.engine.schedule(action.after, _hold_hangup, leg, enq)
        else:
            leg.perform([action])


def _hold_hangup(leg: Leg, enq: Enqueued) -> None:
    connected = leg.bridge is not None and leg.bridge.connected_at is not None
    if leg.queued is enq and not connected and not leg.ended:
        leg.note("call", f"{leg.party.describe()} hangs up")
        leg.hangup("completed")


def wait_loop(leg: Leg) -> None:
    """(Re-)request the waitUrl, or play hold music when there is none."""
    enq = leg.queued
    if enq is None or leg.bridge is not None or leg.ended:
        return
    now = leg.now()
    if now - enq.last_fetch < MIN_WAIT_ITERATION:
        leg.after(MIN_WAIT_ITERATION, _fetch_wait, leg)
        return
    _fetch_wait(leg)


def _fetch_wait(leg: Leg) -> None:
    enq = leg.queued
    if enq is None or leg.bridge is not None:
        return
    enq.last_fetch = leg.now()
    wait_url = leg.resolve(enq.verb.get("waitUrl"), enq.doc_url)
    if not wait_url:
        leg.hear("play", HOLD_MUSIC, HOLD_MUSIC_SECONDS)
        leg.after(HOLD_MUSIC_SECONDS, wait_loop, leg)
        return
    leg.run_document("wait", wait_url, enq.verb.get("waitUrlMethod", "POST"), "wait", **_queue_params(leg))


def _remove_member(leg: Leg) -> None:
    """Take the leg off its queue's member list (idempotent: the first removal fixes QueueTime)."""
    enq = leg.queued
    with leg.emu.store.lock:
        remaining = [m for m in enq.queue.members if m.call_sid != leg.sid]
        if len(remaining) == len(enq.queue.members):
            return
        enq.queue.members = remaining
        enq.queue.waits.append(leg.now() - enq.since)
    enq.left_at = leg.now()


def on_app_error(leg: Leg) -> None:
    """The app failed a queued call: it hangs up after the apology, so no agent may dequeue it meanwhile."""
    if leg.queued is not None and leg.bridge is None:
        _remove_member(leg)


def leave(leg: Leg, result: str) -> None:
    """Take the leg out of its queue (Leave verb, REST dequeue) and continue after the Enqueue."""
    enq = leg.queued
    _remove_member(leg)
    leg.cancel()
    leg.frames = []
    _after_queue(leg, enq, result)


def _after_queue(leg: Leg, enq: Enqueued, result: str, ignore_twiml: bool = False) -> None:
    leg.queued = None
    leg.queue_results.append(result)
    queue_time = _secs((enq.left_at if enq.left_at is not None else leg.now()) - enq.since)
    leg.note("queue", f"left {enq.queue.friendly_name!r}: QueueResult={result} after {queue_time}s")
    extra = {"QueueResult": result, "QueueSid": enq.queue.sid, "QueueTime": queue_time}
    _run_verb_action(leg, enq.verb, enq.doc_url, "enqueue-action", extra, ignore_twiml=ignore_twiml or leg.ended)


def _run_verb_action(
    leg: Leg, verb: twiml.Verb, doc_url: str, kind: str, params: dict, ignore_twiml: bool = False
) -> None:
    """After Enqueue or Dial ends: request the verb's action (its TwiML replaces the document) or carry on.

    A leg that has hung up still notifies the action URL, as Twilio does, but its TwiML is not run.
    """
    action = leg.resolve(verb.get("action"), doc_url)
    method = verb.get("method", "POST")
    if ignore_twiml:
        if action:
            leg.request(action, method, leg.params(**params), kind)
        return
    if action:
        leg.suspended = []
        leg.run_document("main", action, method, kind, **params)
    else:
        leg.continue_main()


def dial_queue(agent: Leg, verb: twiml.Verb, noun: twiml.Verb, frame: Frame) -> None:
    queue = agent.emu.queue_named(agent.record.account_sid, noun.text, create=False)
    agent.suspended, agent.frames = agent.frames, []
    agent.dialing = DialWait(queue, verb, noun, frame.url, agent.now())
    if queue is None:
        # https://www.twilio.com/docs/voice/twiml/queue: a missing queue posts an error status to the action.
        agent.note("queue", f"dial: no queue named {noun.text!r}")
        _after_dial(agent, "failed")
        return
    with agent.emu.store.lock:
        front = queue.members[0].call_sid if queue.members else None
    if front is not None:
        _start_dequeue(agent, agent.emu.legs[front])
        return
    agent.note("queue", f"dial: waiting for a caller in {queue.friendly_name!r}")
    agent.emu.dial_waiters.setdefault(queue.sid, []).append(agent)
    agent.after(verb.number("timeout", 30.0), _dial_timeout, agent)


def _dial_timeout(agent: Leg) -> None:
    waiters = agent.emu.dial_waiters.get(agent.dialing.queue.sid, [])
    if agent in waiters:
        waiters.remove(agent)
    _after_dial(agent, "no-answer")


def _start_dequeue(agent: Leg, caller: Leg) -> None:
    enq = caller.queued
    _remove_member(caller)
    caller.cancel()
    caller.frames = []
    caller.gather = None
    agent.cancel()
    bridge = Bridge(caller, agent, enq.queue, _secs(caller.now() - enq.since))
    caller.bridge = agent.bridge = bridge
    caller.note("queue", f"dequeued by {agent.label} after {bridge.queue_time}s")
    noun = agent.dialing.noun
    url = agent.resolve(noun.get("url"), agent.dialing.doc_url)
    if url:
        extra = {"QueueSid": enq.queue.sid, "QueueTime": bridge.queue_time, "DequeingCallSid": agent.sid}
        caller.run_document("announce", url, noun.get("method", "POST"), "queue-url", **extra)
    else:
        _connect(bridge)


def announce_done(caller: Leg) -> None:
    if caller.bridge is not None:
        _connect(caller.bridge)


def _connect(bridge: Bridge) -> None:
    bridge.connected_at = bridge.caller.now()
    bridge.caller.frames = []
    bridge.caller.note("bridge", f"connected to {bridge.agent.label}")
    bridge.agent.note("bridge", f"connected to {bridge.caller.label}")
    bridge.caller.perform(bridge.caller.party.on_bridged(bridge.caller, bridge.agent))
    bridge.agent.perform(bridge.agent.party.on_bridged(bridge.agent, bridge.caller))


def _after_dial(agent: Leg, status: str, ignore_twiml: bool = False, **extra) -> None:
    dial = agent.dialing
    agent.dialing = None
    agent.dial_statuses.append(status)
    agent.note("queue", f"dial finished: DialCallStatus={status}")
    params = {"DialCallStatus": status, **extra}
    _run_verb_action(agent, dial.verb, dial.doc_url, "dial-action", params, ignore_twiml=ignore_twiml or agent.ended)


def _unbridge(leg: Leg, result: str = "hangup") -> None:
    """`leg` leaves a bridge (hangup or REST redirect): the other side carries on.

    The leaving leg's own action TwiML is never run: it hung up, or the REST API gave it a new document.
    """
    bridge = leg.bridge
    caller, agent = bridge.caller, bridge.agent
    caller.bridge = agent.bridge = None
    enq = caller.queued
    if bridge.connected_at is None:
        # Dropped while the Queue url was playing to the caller: the agent keeps dialing, the caller requeues.
        if leg is caller:
            _after_queue(caller, enq, result, ignore_twiml=True)
            _redial(agent)
        else:
            with caller.emu.store.lock:
                enq.queue.members.insert(0, QueueMember(caller.sid, enq.since, caller.engine.clock.datetime(enq.since)))
            enq.left_at = None
            wait_loop(caller)
        return
    talk = _secs(leg.now() - bridge.connected_at)
    caller.note("bridge", f"bridge with {agent.label} ended after {talk}s")
    _after_queue(caller, enq, "bridged", ignore_twiml=caller.ended or leg is caller)
    _after_dial(agent, "completed", ignore_twiml=leg is agent, DialCallSid=caller.sid, DialCallDuration=talk)


def _redial(agent: Leg) -> None:
    dial = agent.dialing
    agent.suspended, agent.frames = agent.suspended, []
    dial_queue_again = dial.queue is not None and not agent.ended
    if dial_queue_again:
        with agent.emu.store.lock:
            front = dial.queue.members[0].call_sid if dial.queue.members else None
        if front:
            _start_dequeue(agent, agent.emu.legs[front])
        else:
            # Waiting again for a caller: the Dial timeout applies as it did the first time (it was cancelled
            # when the dequeue started), so an empty queue cannot hold the agent forever.
            agent.emu.dial_waiters.setdefault(dial.queue.sid, []).append(agent)
            agent.after(dial.verb.number("timeout", 30.0), _dial_timeout, agent)


def detach(leg: Leg, result: str = "redirected") -> None:
    """Release the leg from any queue, bridge, dial, recording or room before the REST API redirects or ends it."""
    from emulator import conference, recording

    recording.detach(leg, result)
    conference.detach(leg, result)
    if leg.dial_link is not None:
        from emulator import dialing

        dialing.detach(leg, quiet=result == "redirected")
    if leg.bridge is not None:
        _unbridge(leg, result)
    elif leg.queued is not None:
        enq = leg.queued
        _remove_member(leg)
        _after_queue(leg, enq, result, ignore_twiml=True)
    if leg.dialing is not None:
        waiters = leg.emu.dial_waiters.get(leg.dialing.queue.sid if leg.dialing.queue else "", [])
        if leg in waiters:
            waiters.remove(leg)
        if not leg.ended:
            leg.dialing = None


def on_leg_ended(leg: Leg) -> None:
    """Called by `Leg.hangup`: a caller hanging up in queue reports QueueResult=hangup."""
    detach(leg, "hangup")
