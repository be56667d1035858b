"""Pipelines with Lua scripts: one round trip, and a script the server forgot is loaded and run in its place."""

from ivr.redis_conn import connect

INCR_BY = "return redis.call('INCRBY', KEYS[1], ARGV[1])"


def script_commands(client) -> int:
    stats = client.info("commandstats")
    return sum(int(v["calls"]) for k, v in stats.items() if k.startswith("cmdstat_script"))


def test_a_pipeline_runs_its_scripts_without_asking_whether_they_exist(redis_url):
    client = connect(redis_url)
    incr_by = client.register_script(INCR_BY)
    incr_by(keys=["t:n"], args=[1])  # loads it
    before = script_commands(client)
    pipe = client.pipeline(transaction=False)
    pipe.set("t:a", "x")
    incr_by(keys=["t:n"], args=[2], client=pipe)
    pipe.get("t:a")
    assert pipe.execute() == [True, 3, "x"]
    assert script_commands(client) == before


def test_a_forgotten_script_is_loaded_and_run_once_in_its_place(redis_url):
    client = connect(redis_url)
    incr_by = client.register_script(INCR_BY)
    client.script_flush()
    pipe = client.pipeline(transaction=False)
    incr_by(keys=["t:m"], args=[5], client=pipe)
    pipe.incr("t:other")
    incr_by(keys=["t:m"], args=[1], client=pipe)
    assert pipe.execute() == [5, 1, 6]
    assert client.get("t:m") == "6"


def test_errors_still_raise_and_transactions_are_unchanged(redis_url):
    client = connect(redis_url)
    incr_by = client.register_script(INCR_BY)
    client.set("t:s", "text")
    pipe = client.pipeline(transaction=False)
    incr_by(keys=["t:s"], args=[1], client=pipe)
    try:
        pipe.execute()
    except Exception as error:  # noqa: BLE001
        assert "not an integer" in str(error)
    else:
        raise AssertionError("expected the script's error")
    pipe = client.pipeline(transaction=True)
    incr_by(keys=["t:k"], args=[4], client=pipe)
    assert pipe.execute() == [4]
