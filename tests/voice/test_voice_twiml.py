"""ivr/twiml.py (named apart from tests/emulator/test_twiml.py: test basenames must be unique), parsed with
ElementTree: structure, attributes and order, no HTTP involved."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from ivr.cases.crn import spoken
from ivr.voice import twiml

BASE = "https://acs.example.test"
URLS = twiml.AcsUrls(
    acs=f"{BASE}/voice/acs",
    tin=f"{BASE}/voice/acs/tin",
    queue=f"{BASE}/voice/acs/queue",
    wait=f"{BASE}/voice/acs/wait",
    queue_result=f"{BASE}/voice/acs/queue-result",
    connect=f"{BASE}/voice/acs/connect",
)


def parse(document) -> ET.Element:
    root = ET.fromstring(str(document))
    assert root.tag == "Response"
    return root


def tags(element: ET.Element) -> list[str]:
    return [child.tag for child in element]


def spoken_text(element: ET.Element) -> str:
    return " ".join(say.text or "" for say in element.iter("Say"))


def test_acs_greeting_gathers_only_the_tin_then_falls_through_to_the_queue() -> None:
    root = parse(twiml.acs_greeting(URLS, timeout=7))
    assert tags(root) == ["Say", "Gather", "Redirect"]
    gather = root.find("Gather")
    assert gather.attrib["input"] == "dtmf"
    assert gather.attrib["numDigits"] == "9"
    assert gather.attrib["timeout"] == "7"
    assert gather.attrib["action"] == f"{BASE}/voice/acs/tin"
    assert gather.attrib["method"] == "POST"
    assert gather.attrib.get("actionOnEmptyResult", "false") == "false"  # silence falls through, not to /tin
    prompt = spoken_text(gather).lower()
    assert tags(gather) == ["Say"]
    assert "social security number" in prompt and "employer identification number" in prompt
    assert "stay on the line" in prompt
    assert "reference" not in prompt and "crn" not in prompt
    redirect = root.find("Redirect")
    assert redirect.text == f"{BASE}/voice/acs/queue" and redirect.attrib["method"] == "POST"


def test_reprompt_and_give_up_end_in_the_queue() -> None:
    root = parse(twiml.tin_reprompt(URLS, timeout=6))
    assert tags(root) == ["Gather", "Redirect"]
    assert root.find("Gather").attrib["numDigits"] == "9"
    assert "reference" not in spoken_text(root).lower()
    assert root.find("Redirect").text == URLS.queue
    for document in (twiml.tin_given_up(URLS), twiml.tin_accepted(URLS)):
        root = parse(document)
        assert tags(root) == ["Say", "Redirect"] and root.find("Redirect").text == URLS.queue


def test_enqueue() -> None:
    root = parse(twiml.enqueue("acs", URLS))
    assert tags(root) == ["Say", "Enqueue"]
    enqueue = root.find("Enqueue")
    assert enqueue.text == "acs"
    assert enqueue.attrib["waitUrl"] == URLS.wait
    assert enqueue.attrib["waitUrlMethod"] == "POST"
    assert enqueue.attrib["action"] == URLS.queue_result
    assert enqueue.attrib["method"] == "POST"


@pytest.mark.parametrize(
    ("position", "minutes", "expected"),
    [(1, 1, ["the next caller", "about 1 minute."]), (4, 12, ["caller number 4", "about 12 minutes"])],
)
def test_hold_message_states_position_and_wait(position: int, minutes: int, expected: list[str]) -> None:
    root = parse(twiml.hold_message(position, minutes, None))
    assert tags(root) == ["Say", "Say", "Pause"]
    text = spoken_text(root)
    assert all(fragment in text for fragment in expected)
    assert root.find("Pause").attrib["length"] == str(twiml.HOLD_PAUSE_SECONDS)


def test_hold_message_without_figures_and_with_music() -> None:
    root = parse(twiml.hold_message(0, 0, "https://cdn.example.test/hold.mp3"))
    assert tags(root) == ["Say", "Play"]
    assert "shortly" in spoken_text(root)
    assert root.find("Play").text == "https://cdn.example.test/hold.mp3"


@pytest.mark.parametrize(
    ("position", "average", "size", "minutes"),
    [(0, 300, 3, 0), (1, 0, 3, 0), (1, 300, 3, 2), (3, 300, 3, 5), (1, 10, 1, 1), (5, 120, 2, 2)],
)
def test_estimated_wait(position: int, average: int, size: int, minutes: int) -> None:
    assert twiml.estimated_wait_minutes(position, average, size) == minutes


def test_agent_dials_the_queue() -> None:
    root = parse(twiml.agent_dial("acs", URLS.connect))
    assert tags(root) == ["Say", "Dial", "Say", "Hangup"]
    dial = root.find("Dial")
    assert tags(dial) == ["Queue"]
    queue = dial.find("Queue")
    assert queue.text == "acs"
    assert queue.attrib["url"] == URLS.connect and queue.attrib["method"] == "POST"


def test_pps_menu() -> None:
    menu = f"{BASE}/voice/pps"
    first = parse(twiml.pps_menu(menu, URLS.acs))
    assert tags(first) == ["Say", "Gather", "Redirect"]
    gather = first.find("Gather")
    assert (gather.attrib["numDigits"], gather.attrib["action"]) == ("1", menu)
    assert "press 3" in spoken_text(gather)
    assert first.find("Redirect").text == f"{menu}?replay=1"
    replay = parse(twiml.pps_menu(menu, URLS.acs, replay=1))
    assert tags(replay) == ["Gather", "Redirect"]
    assert replay.find("Redirect").text == URLS.acs
    assert parse(twiml.redirect_to(URLS.acs)).find("Redirect").text == URLS.acs
    assert tags(parse(twiml.pps_option_unavailable(menu))) == ["Say", "Redirect"]


@pytest.mark.parametrize("result", ["bridged", "hangup", "redirected", "error", "queue-full", "system-error"])
def test_queue_left(result: str) -> None:
    root = parse(twiml.queue_left(result))
    assert tags(root)[-1] == "Hangup"
    assert ("sorry" in spoken_text(root)) is (result in ("error", "queue-full", "system-error"))


def test_connect_and_apology() -> None:
    assert tags(parse(twiml.connect_caller())) == ["Say"]
    assert tags(parse(twiml.apology_and_hangup())) == ["Say", "Hangup"]


def test_contact_message_spells_the_crn_and_discloses_nothing() -> None:
    text = twiml.contact_message("4012345678", ["+18008293903", "+18008297650"], for_practitioner=True)
    assert text.count(spoken("4012345678")) == 2
    assert "8 0 0, 8 2 9, 3 9 0 3" in text and "8 0 0, 8 2 9, 7 6 5 0" in text
    assert not re.search(r"\d{2,}", text)  # every number is spoken digit by digit
    taxpayer = twiml.contact_message("4012345678", ["+18008293903"], for_practitioner=False)
    assert "client" not in taxpayer and "$" not in taxpayer


def test_the_taxpayer_message_is_limited_content_and_its_wording_is_checked() -> None:
    from ivr.voice.limited_content import LimitedContent, disclosure

    text = twiml.taxpayer_message(LimitedContent(), ["+18008293903"])
    assert "8 0 0, 8 2 9, 3 9 0 3" in text and "Jordan Lee" in text and disclosure(text) is None
    assert not re.search(r"\d{2,}", text)
    for env in (
        {"ACS_VOICEMAIL_TEXT": "About your tax debt, call {numbers}"},
        {"ACS_VOICEMAIL_TEXT": "Case {crn}: call {numbers}"},
        {"ACS_VOICEMAIL_OFFICE": "the Internal Revenue Service"},
        {"ACS_VOICEMAIL_TEXT": "Please call us back."},
    ):
        try:
            LimitedContent.from_env(env)
        except ValueError as error:
            assert len(str(error).splitlines()) == 1
        else:
            raise AssertionError(f"{env} was accepted")
    custom = LimitedContent.from_env({"ACS_VOICEMAIL_TEXT": "Hi, {person} here. Call {numbers}."})
    assert custom.render(["1"]) == "Hi, Jordan Lee here. Call 1."


def test_in_preview_mode_the_leg_waits_on_its_own_queue_and_the_answer_joins_it():
    urls = twiml.FloorUrls(*(f"https://x/{n}" for n in ("agent", "next", "connect", "wait", "left", "in")))
    own = ET.fromstring(str(twiml.employee_waits(urls, None, 30, "acs-preview-ann"))).find("Dial/Queue")
    assert own.text == "acs-preview-ann" and own.get("url") == "https://x/connect"
    inbound_first = ET.fromstring(str(twiml.employee_waits(urls, "acs", 30, "acs-preview-ann"))).find("Dial/Queue")
    assert inbound_first.text == "acs"
    assert ET.fromstring(str(twiml.employee_waits(urls, None, 30))).find("Dial/Queue").text == twiml.FLOOR_QUEUE
    enqueue = ET.fromstring(str(twiml.live_answer_enqueue(urls, "acs-preview-ann"))).find("Enqueue")
    assert enqueue.text == "acs-preview-ann" and enqueue.get("waitUrl") == "https://x/wait"


def test_a_leg_sent_to_the_inbound_queue_says_so_in_its_dial_action():
    """floor_agent_next learns from the action URL that the Dial that ended was on the inbound queue."""
    urls = twiml.FloorUrls(*(f"https://x/{n}" for n in ("agent", "next", "connect", "wait", "left", "in")))
    inbound = ET.fromstring(str(twiml.employee_waits(urls, "acs", 10))).find("Dial")
    outbound = ET.fromstring(str(twiml.employee_waits(urls, None, 30))).find("Dial")
    assert inbound.get("action") == "https://x/next?after=inbound" and inbound.get("timeout") == "10"
    assert outbound.get("action") == "https://x/next" and outbound.get("timeout") == "30"
