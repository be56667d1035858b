"""Hot paths stay flat (issue 10 §3): a tick, an inbound TIN match, a console lookup by case id and by CRN, the
manager's campaign view and `acs case show` send Redis the same commands with 20,000 cases as with 100, and none
that walks the inventory.

Counted, not timed: Redis's own `INFO commandstats` after `CONFIG RESETSTAT`, around each operation.
"""

from __future__ import annotations

from click.testing import CliRunner
from console_support import Console
from dialer_support import MIDDAY, make_dialer, make_emulator

from bench.synthetic import inventory, tin_for
from ivr import clock
from ivr.cases.importer import Importer
from ivr.cli import cli
from ivr.console.employees import Employees, Role

#: Commands whose cost grows with what they walk: never on these paths (SMEMBERS only reads one taxpayer's few
#: authorizations here; the counts being equal at both sizes shows it never reads a set that grows with the inventory).
WALKS = {"keys", "scan", "sscan", "hscan", "zscan", "sunionstore", "sinterstore", "hkeys", "hvals"}
CASE = "AC00000003"


def command_counts(redis) -> dict[str, int]:
    stats = redis.info("commandstats")
    return {
        name.removeprefix("cmdstat_"): row["calls"]
        for name, row in stats.items()
        if name not in ("cmdstat_info", "cmdstat_config|resetstat", "cmdstat_config")
    }


def measure(redis, operation) -> dict[str, int]:
    operation()  # warm: scripts loaded, sessions made, the first call's one-off work done
    redis.config_resetstat()
    operation()
    return command_counts(redis)


def paths_at(size: int, tmp_path, redis, keys, app, client, twilio, config_overrides) -> dict[str, dict[str, int]]:
    redis.flushall()
    files = inventory(tmp_path, size)
    importer = Importer(redis, keys)
    for kind in ("practitioners", "cases", "authorizations"):
        assert importer.import_file(kind, files[kind]).ok
    crn = app.extensions["acs"].store.issue_crn(CASE, "taxpayer")
    console = Console(client)
    Employees(redis, keys).add("alice", "Alice Agent", "correct horse battery", Role.EMPLOYEE, "+12025550170")
    console.sign_in("alice", "correct horse battery")
    manager = Console(app.test_client())
    Employees(redis, keys).add("maria", "Maria Manager", "correct horse battery", Role.MANAGER, "client:maria")
    manager.sign_in("maria", "correct horse battery")
    call = {"CallSid": "CA" + "7" * 32, "From": "+12125550101", "To": "+18008293903", "AccountSid": "AC" + "0" * 32}
    digits = tin_for(3).replace("-", "")
    emu = make_emulator(app)
    dialer = make_dialer(app, emu)
    runner = CliRunner(env=config_overrides)
    clock.use(lambda: MIDDAY)
    try:
        return {
            "tick": measure(redis, lambda: dialer.tick(limit=5)),
            "inbound TIN": measure(redis, lambda: twilio.post("/voice/acs/tin", call | {"Digits": digits})),
            "console case": measure(redis, lambda: console.get(f"/console/cases/{CASE}")),
            "console CRN": measure(redis, lambda: console.post("/console/find", {"crn_or_case_id": crn})),
            "campaign view": measure(redis, lambda: manager.get("/console/campaign")),
            "acs case show": measure(redis, lambda: runner.invoke(cli, ["case", "show", CASE, "--json"])),
        }
    finally:
        clock.use(None)
        dialer.close()


def test_hot_paths_send_the_same_commands_at_100_and_20000_cases(
    tmp_path, redis, keys, app, client, twilio, config_overrides
):
    small = paths_at(100, tmp_path, redis, keys, app, client, twilio, config_overrides)
    large = paths_at(20_000, tmp_path, redis, keys, app, client, twilio, config_overrides)
    for path, counts in large.items():
        assert counts == small[path], path
        assert not WALKS & set(counts), (path, WALKS & set(counts))
    assert small["tick"].get("evalsha", 0) >= 2  # the tick really claimed and dialed
