"""The timeline an emulator keeps: bounded for a long-running server, readable on from where a reader stopped."""

from __future__ import annotations

import requests
from click.testing import CliRunner

from emulator import Emulator
from emulator.cli import emulator_command
from emulator.transcript import Transcript

APP_URL = "https://app.test"
FROM = "+12025550100"


def _add(transcript: Transcript, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        transcript.add(n, "leg", "CA1", "say", f"line {n}")


def test_unbounded_by_default():
    transcript = Transcript()
    _add(transcript, 1000)
    assert len(transcript) == transcript.total == 1000 and transcript.dropped == 0


def test_a_limit_keeps_the_newest_entries_and_counts_the_rest():
    transcript = Transcript(limit=10)
    _add(transcript, 25)
    assert [e.text for e in transcript.entries] == [f"line {n}" for n in range(15, 25)]
    assert (transcript.total, transcript.dropped) == (25, 15)
    assert transcript.to_text().splitlines()[0] == "(15 earlier entries not kept)"


def test_since_reads_on_without_repeating_or_skipping_a_kept_entry():
    transcript = Transcript(limit=10)
    _add(transcript, 4)
    first, cursor = transcript.since(0)
    assert [e.text for e in first] == ["line 0", "line 1", "line 2", "line 3"] and cursor == 4
    _add(transcript, 3, start=4)
    more, cursor = transcript.since(cursor)
    assert [e.text for e in more] == ["line 4", "line 5", "line 6"] and cursor == 7
    _add(transcript, 20, start=7)  # 27 added, the newest 10 kept: lines 7..16 were dropped unread
    rest, cursor = transcript.since(cursor)
    assert [e.text for e in rest] == [f"line {n}" for n in range(17, 27)] and cursor == 27
    assert transcript.since(cursor) == ([], 27)


def _calls(emu: Emulator, count: int) -> list[str]:
    """Place `count` calls one after another; nobody is mounted at the app URL, so each makes one failed webhook."""
    sdk = emu.sdk_client()
    sids = []
    for n in range(count):
        sids.append(sdk.calls.create(to=f"+1202556{n:04d}", from_=FROM, url=f"{APP_URL}/answer").sid)
        emu.run()
    return sids


def test_an_emulator_keeps_only_the_newest_webhooks_but_counts_them_all():
    unbounded, bounded = Emulator(), Emulator(keep=5)
    _calls(unbounded, 12)
    sids = _calls(bounded, 12)
    assert unbounded.webhook_count == len(unbounded.webhooks) == 12
    assert bounded.webhook_count == 12 and [w["call_sid"] for w in bounded.webhooks] == sids[-5:]
    assert len(bounded.transcript) == 5 and bounded.transcript.total == unbounded.transcript.total


def test_the_control_endpoints_serve_what_is_kept():
    emu = Emulator(keep=3)
    _calls(emu, 6)
    server = emu.serve()
    try:
        auth = (emu.account_sid, emu.auth_token)
        webhooks = requests.get(f"{server.url}/_emulator/webhooks", auth=auth, timeout=5)
        assert webhooks.status_code == 200 and len(webhooks.json()) == 3
        text = requests.get(f"{server.url}/_emulator/transcript", auth=auth, timeout=5).text
        assert text.startswith(f"({emu.transcript.dropped} earlier entries not kept)")
    finally:
        server.shutdown()


def test_the_emulator_command_refuses_a_negative_keep():
    result = CliRunner().invoke(emulator_command, ["--keep", "-1"])
    assert result.exit_code == 2 and "--keep" in result.output
