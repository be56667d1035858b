"""The employee's phone on the floor: the queues its leg waits on exist before it dials them."""

from __future__ import annotations

from ivr.dialer.floor_phone import FLOOR_QUEUE, ensure_queue


def test_a_queue_is_found_past_the_first_page_and_created_only_when_missing(emu):
    """A Dial to a queue that does not exist fails (Twilio creates one only on Enqueue), so Ready makes sure of the
    shared queue and the employee's own; with a queue per employee an account may hold more than a page of them."""
    for n in range(1001):  # a page holds at most 1,000
        emu.create_queue(f"acs-preview-agent{n:04d}")
    sdk = emu.sdk_client()
    ensure_queue(sdk, "acs-preview-agent1000")  # on the second page: found, not created again
    ensure_queue(sdk)  # missing: created
    ensure_queue(sdk)  # and found the next time
    names = [queue.friendly_name for queue in sdk.queues.stream(page_size=1000)]
    assert len(names) == 1002 and names.count("acs-preview-agent1000") == 1 and names.count(FLOOR_QUEUE) == 1
