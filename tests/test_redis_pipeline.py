"""Pipelines with Lua scripts: one round trip, and a script the server forgot is loaded and run in its place."""

from redis.commands.core import Script

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


def test_a_script_queues_on_a_pipeline_what_redis_pys_script_would(redis_url):
    client = connect(redis_url)
    ours = client.register_script(INCR_BY)
    theirs = Script(client, INCR_BY)
    assert type(ours) is not Script and ours.sha == theirs.sha
    for keys, args in [(["t:q"], [3]), (["t:q", "t:r"], ["1.500", 2, "x"]), ([], []), (None, None), (("t:q",), None)]:
        for transaction in (False, True):
            queued = []
            for script in (ours, theirs):
                pipe = client.pipeline(transaction=transaction)
                assert script(keys=keys, args=args, client=pipe) is pipe
                queued.append((list(pipe.command_stack), set(pipe.scripts)))
                pipe.reset()
            assert queued[0][0] == queued[1][0]
            assert {s.sha for s in queued[0][1]} == {s.sha for s in queued[1][1]} == {ours.sha}
    pipe = client.pipeline(transaction=False)
    ours(keys=["t:q"], args=[4], client=pipe)
    theirs(keys=["t:q"], args=[1], client=pipe)
    assert pipe.execute() == [4, 5]
    assert ours(keys=["t:q"], args=[1]) == 6  # not on a pipeline: Script's own call


def test_a_watching_pipeline_runs_the_script_at_once_as_redis_py_does(redis_url):
    client = connect(redis_url)
    incr_by = client.register_script(INCR_BY)
    client.script_flush()  # the immediate call loads it, as Script's does
    with client.pipeline() as pipe:
        pipe.watch("t:w")
        assert incr_by(keys=["t:v"], args=[2], client=pipe) == 2
        pipe.multi()
        incr_by(keys=["t:w"], args=[3], client=pipe)
        assert pipe.execute() == [3]
