"""Enqueue / waitUrl / Leave / Dial > Queue bridging, and the virtual clock on long holds."""

from __future__ import annotations

import pytest

from emulator import Caller, Employee

NUMBER, AGENT = "+18005550100", "+12025550999"

VOICE = "<Response><Say>Please hold</Say><Enqueue waitUrl='/wait' action='/result'>acs</Enqueue></Response>"
WAIT = "<Response><Say>Your call is important to us</Say><Pause length='20'/></Response>"
AGENT_DOC = "<Response><Dial action='/dialed'><Queue url='/announce'>acs</Queue></Dial></Response>"


def setup(emu, webapp, agent_at=None, talk=60, **agent_kwargs):
    webapp.docs.update(
        {
            "/voice": VOICE,
            "/wait": WAIT,
            "/result": lambda p: f"<Response><Say>Result {p['QueueResult']}</Say></Response>",
            "/agent": AGENT_DOC,
            "/announce": "<Response><Say>Connecting you now</Say></Response>",
            "/dialed": "<Response><Hangup/></Response>",
        }
    )
    emu.add_number(NUMBER, "https://app.test/voice")
    if agent_at is not None:
        emu.assign(AGENT, Employee("agent", talk_seconds=talk, **agent_kwargs))
        emu.create_call(AGENT, NUMBER, url="https://app.test/agent", at=agent_at)


def test_wait_url_gets_queue_parameters_and_loops(emu, webapp):
    # https://www.twilio.com/docs/voice/twiml/enqueue#attributes-wait-url: re-requested when its TwiML ends
    setup(emu, webapp)
    emu.dial_in("+12025550001", NUMBER, Caller("first", hangup_after_in_queue=100))
    emu.dial_in("+12025550002", NUMBER, Caller("second", hangup_after_in_queue=100), at=5)
    emu.run()
    waits = [r["params"] for r in webapp.requests if r["path"] == "/wait"]
    first = [w for w in waits if w["CallSid"] == emu.leg("first").sid]
    assert len(first) == 5  # one fetch every 22.4 s (six words at 2.5 words/s + Pause 20 s) over 100 s
    assert [w["QueueTime"] for w in first[:3]] == ["0", "22", "44"]
    second = [w for w in waits if w["CallSid"] == emu.leg("second").sid][0]
    assert second["QueuePosition"] == "2" and second["CurrentQueueSize"] == "2"
    assert {"QueueSid", "AvgQueueTime", "MaxQueueSize"} <= set(second)


def test_hangup_in_queue_reports_hangup(emu, webapp):
    # https://www.twilio.com/docs/voice/twiml/enqueue#attributes-action: QueueResult=hangup
    setup(emu, webapp)
    leg = emu.dial_in("+12025550001", NUMBER, Caller("caller", hangup_after_in_queue=300))
    emu.run()
    result = webapp.to("/result")[0]
    assert result["QueueResult"] == "hangup" and result["QueueTime"] == "300"
    assert leg.queue_results == ["hangup"]


def test_dial_queue_bridges_longest_waiting_caller(emu, webapp):
    # https://www.twilio.com/docs/voice/twiml/queue: url runs on the dequeued caller before connecting
    setup(emu, webapp, agent_at=120)
    first = emu.dial_in("+12025550001", NUMBER, Caller("first"))
    second = emu.dial_in("+12025550002", NUMBER, Caller("second", hangup_after_in_queue=600), at=10)
    emu.run()
    announce = webapp.to("/announce")[0]
    assert announce["CallSid"] == first.sid
    assert announce["DequeingCallSid"] == emu.leg("agent").sid
    # Enqueued at 0.8 s ("Please hold"); the agent answered at 123 s (1 s setup + 2 s ring).
    assert announce["QueueTime"] == "122"
    assert "Connecting you now" in first.heard
    assert first.queue_results == ["bridged"]
    result = [p for p in webapp.to("/result") if p["CallSid"] == first.sid][0]
    assert result["QueueTime"] == "122"  # time in queue, not including the conversation
    assert first.heard[-1] == "Result bridged"
    dialed = webapp.to("/dialed")[0]
    assert (dialed["DialCallStatus"], dialed["DialCallSid"], dialed["DialCallDuration"]) == (
        "completed",
        first.sid,
        "60",
    )
    assert second.queue_results == ["hangup"]


def test_agent_waiting_on_empty_queue_takes_next_caller(emu, webapp):
    setup(emu, webapp, agent_at=0)
    emu.create_queue("acs")
    webapp.docs["/agent"] = "<Response><Dial timeout='120'><Queue>acs</Queue></Dial></Response>"
    caller = emu.dial_in("+12025550001", NUMBER, Caller("caller"), at=30)
    emu.run()
    assert caller.queue_results == ["bridged"]
    assert "/wait" not in webapp.paths()  # bridged at once: the waitUrl never played


def test_dial_times_out_on_empty_queue(emu, webapp):
    setup(emu, webapp, agent_at=0)
    emu.create_queue("acs")
    emu.run()
    assert webapp.to("/dialed")[0]["DialCallStatus"] == "no-answer"


def test_dial_to_missing_queue_fails(emu, webapp):
    # https://www.twilio.com/docs/voice/twiml/queue: "If the queue does not exist, Dial will post an error status"
    setup(emu, webapp, agent_at=0)
    emu.run()
    assert emu.leg("agent").dial_statuses == ["failed"]


def test_leave_in_wait_url(emu, webapp):
    # https://www.twilio.com/docs/voice/twiml/leave: QueueResult=leave, action requested right away
    setup(emu, webapp)
    webapp.docs["/wait"] = lambda p: "<Response><Leave/></Response>" if int(p["QueueTime"]) >= 40 else WAIT
    leg = emu.dial_in("+12025550001", NUMBER, Caller("caller"))
    emu.run()
    assert leg.queue_results == ["leave"]
    assert leg.heard[-1] == "Result leave"


def test_caller_hangs_up_while_bridged(emu, webapp):
    setup(emu, webapp, agent_at=60, talk=600)
    caller = emu.dial_in("+12025550001", NUMBER, Caller("caller", hangup_after=100))
    emu.run()
    assert caller.record.status == "completed" and caller.record.duration == 100
    assert emu.leg("agent").dial_statuses == ["completed"]
    assert webapp.to("/result")[0]["QueueResult"] == "bridged"


def test_queue_full(emu, webapp):
    setup(emu, webapp)
    emu.create_queue("acs", max_size=1)
    emu.dial_in("+12025550001", NUMBER, Caller("first", hangup_after_in_queue=60))
    second = emu.dial_in("+12025550002", NUMBER, Caller("second"), at=5)
    emu.run()
    assert second.queue_results == ["queue-full"]


def test_ten_minute_hold_runs_on_virtual_time(emu, webapp):
    setup(emu, webapp, agent_at=600)
    caller = emu.dial_in("+12025550001", NUMBER, Caller("caller"))
    events = emu.run()
    assert caller.queue_results == ["bridged"]
    assert emu.engine.now() > 660  # ten minutes on hold plus a minute of conversation, virtually
    assert events < 200  # one event per prompt, not per second
    assert len(webapp.to("/wait")) == 27  # 600 s / 22.4 s per waitUrl pass


def test_default_hold_music_without_wait_url(emu, webapp):
    setup(emu, webapp)
    webapp.docs["/voice"] = "<Response><Enqueue>acs</Enqueue></Response>"
    leg = emu.dial_in("+12025550001", NUMBER, Caller("caller", hangup_after_in_queue=65))
    emu.run()
    assert len(leg.heard) == 3 and all(h.endswith(".mp3") for h in leg.heard)


def test_caller_hanging_up_during_the_queue_url_lets_the_agent_take_the_next(emu, webapp):
    setup(emu, webapp, agent_at=100)
    webapp.docs["/announce"] = "<Response><Say>Please wait while we connect you</Say><Pause length='10'/></Response>"
    webapp.docs["/agent"] = (
        "<Response><Dial timeout='300' action='/dialed'><Queue url='/announce'>acs</Queue></Dial></Response>"
    )
    # The first caller gives up 5 s into the announcement (agent answers at 103 s); the second is then taken.
    first = emu.dial_in("+12025550001", NUMBER, Caller("first", hangup_after_in_queue=107))
    second = emu.dial_in("+12025550002", NUMBER, Caller("second"), at=1)
    emu.run()
    assert first.queue_results == ["hangup"]
    assert second.queue_results == ["bridged"]
    assert emu.leg("agent").dial_statuses == ["completed"]


def test_agent_hanging_up_during_the_queue_url_puts_the_caller_back_in_front(emu, webapp):
    setup(emu, webapp, agent_at=100, hangup_after=5)
    webapp.docs["/announce"] = "<Response><Say>Please wait while we connect you</Say><Pause length='10'/></Response>"
    caller = emu.dial_in("+12025550001", NUMBER, Caller("caller", hangup_after_in_queue=400))
    emu.run()
    assert caller.queue_results == ["hangup"]
    assert webapp.to("/result")[0]["QueueTime"] == "400"
    assert len(webapp.to("/wait")) > 5  # back on hold after the aborted connection


def test_hold_patience_does_not_end_a_connected_call(emu, webapp):
    # hangup_after_in_queue is hold patience: once the agent is connected the caller is no longer on hold, and
    # the call lasts as long as the conversation (https://www.twilio.com/docs/voice/twiml/enqueue: the caller
    # leaves the queue when dequeued by <Dial>).
    setup(emu, webapp, agent_at=10, talk=600)
    caller = emu.dial_in("+12025550001", NUMBER, Caller("caller", hangup_after_in_queue=300))
    emu.run()
    assert caller.queue_results == ["bridged"]
    assert emu.leg("agent").dial_statuses == ["completed"]
    assert webapp.to("/dialed")[0]["DialCallDuration"] == "600"


def test_redirecting_a_bridged_call_runs_only_the_new_document(emu, webapp, sdk):
    # https://www.twilio.com/docs/voice/api/call-resource#update-a-call-resource: the call continues with the new
    # Url's TwiML. The Enqueue and Dial actions are still notified, but only the other side runs its action TwiML.
    setup(emu, webapp, agent_at=10, talk=600)
    webapp.docs["/result"] = "<Response><Enqueue>elsewhere</Enqueue></Response>"
    webapp.docs["/moved"] = "<Response><Say>You have been moved</Say><Pause length='30'/></Response>"
    caller = emu.dial_in("+12025550001", NUMBER, Caller("caller"))
    emu.run(until=100)
    sdk.calls(caller.sid).update(url="https://app.test/moved")
    emu.run()
    assert caller.queue_results == ["bridged"]
    assert webapp.to("/result")[0]["QueueResult"] == "bridged"
    assert emu.queue_named(emu.account_sid, "elsewhere") is None  # the caller's action TwiML did not run
    assert caller.heard[-1] == "You have been moved" and caller.record.status == "completed"
    assert webapp.to("/dialed")[0]["DialCallStatus"] == "completed"
    assert emu.leg("agent").record.status == "completed"  # the agent ran its own Dial action (Hangup)


def test_redirecting_the_agent_of_a_bridge_leaves_its_dial_action_twiml_unrun(emu, webapp, sdk):
    setup(emu, webapp, agent_at=10, talk=600)
    webapp.docs["/dialed"] = "<Response><Enqueue>elsewhere</Enqueue></Response>"
    webapp.docs["/moved"] = "<Response><Say>Agent moved</Say></Response>"
    caller = emu.dial_in("+12025550001", NUMBER, Caller("caller"))
    emu.run(until=100)
    sdk.calls(emu.leg("agent").sid).update(url="https://app.test/moved")
    emu.run()
    assert emu.queue_named(emu.account_sid, "elsewhere") is None
    assert emu.leg("agent").heard[-1] == "Agent moved"
    assert caller.heard[-1] == "Result bridged"


def test_a_failed_wait_url_takes_the_caller_out_of_the_queue_before_the_apology(emu, webapp):
    # A failing webhook (11200) ends the call after the apology; an agent dialing the queue meanwhile must not
    # bridge to a caller who is being told goodbye (https://www.twilio.com/docs/api/errors/11200).
    setup(emu, webapp, agent_at=0)
    webapp.statuses["/wait"] = 500
    webapp.docs["/agent"] = "<Response><Dial timeout='20' action='/dialed'><Queue>acs</Queue></Dial></Response>"
    caller = emu.dial_in("+12025550001", NUMBER, Caller("caller"), at=2)
    emu.run()
    assert [e["code"] for e in caller.errors] == [11200]
    assert caller.queue_results == ["hangup"]
    result = webapp.to("/result")[0]
    assert (result["QueueResult"], result["QueueTime"]) == ("hangup", "0")  # left the queue at the error
    assert caller.heard[-1].startswith("We are sorry")
    assert caller.record.duration == 5  # "Please hold" 0.8 s + the apology 3.6 s, then hangup (rounded up)
    assert webapp.to("/dialed")[0]["DialCallStatus"] == "no-answer"  # nobody left to dequeue
    assert emu.store.queue_by_name(emu.account_sid, "acs").members == []


def test_agent_left_waiting_after_the_caller_hangs_up_during_the_queue_url_still_times_out(emu, webapp):
    # https://www.twilio.com/docs/voice/twiml/queue: on an empty queue Dial waits "until the next person joins the
    # queue or until the <Dial> timeout duration is reached" - also after a dequeue fell through.
    setup(emu, webapp, agent_at=100)
    webapp.docs["/announce"] = "<Response><Say>Please wait while we connect you</Say><Pause length='10'/></Response>"
    webapp.docs["/agent"] = (
        "<Response><Dial timeout='60' action='/dialed'><Queue url='/announce'>acs</Queue></Dial></Response>"
    )
    first = emu.dial_in("+12025550001", NUMBER, Caller("first", hangup_after_in_queue=107))
    emu.run()
    agent = emu.leg("agent")
    assert first.queue_results == ["hangup"]
    assert agent.dial_statuses == ["no-answer"]
    assert agent.record.status == "completed"  # the Dial action (<Hangup/>) ran once the wait timed out
    # Enqueued at 0.8 s, the caller hung up 107 s later; then 60 s of waiting on an empty queue.
    assert emu.engine.now() == pytest.approx(107.8 + 60)


def test_a_caller_put_back_in_front_keeps_its_enqueue_date(emu, webapp, sdk):
    # https://www.twilio.com/docs/voice/api/member-resource: date_enqueued is when the member entered the queue.
    setup(emu, webapp, agent_at=100, hangup_after=5)
    webapp.docs["/announce"] = "<Response><Say>Please wait while we connect you</Say><Pause length='10'/></Response>"
    emu.dial_in("+12025550001", NUMBER, Caller("caller", hangup_after_in_queue=400), at=30)
    emu.run(until=200)
    queue = emu.queue_named(emu.account_sid, "acs")
    member = sdk.queues(queue.sid).members("Front").fetch()
    assert member.date_enqueued == emu.engine.clock.datetime(30.8).replace(microsecond=0)  # after "Please hold"
    assert member.wait_time == 169
