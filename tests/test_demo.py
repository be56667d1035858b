"""`acs demo` plays the whole story green, on its own embedded Redis and loopback ports."""

from __future__ import annotations

import os

import pytest

from ivr import clock
from ivr.demo import _URL_PROVIDERS, add_url, run_demo, url_lines
from workers.jobs import reset_runtime


@pytest.fixture
def restored_environment():
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)
    clock.use(None)
    reset_runtime()


def test_the_story_plays_green_end_to_end(restored_environment, capsys):
    lines: list[str] = []
    provider = add_url(lambda world: ("console (test)", world.app_url + "/console"))
    ok, world = run_demo(echo=lines.append)
    try:
        text = "\n".join(lines)
        assert ok, text
        assert "FAIL" not in text
        for beat in ("AnsweredBy=machine_end_beep", "RECORDED", "DTMF     1", "outside 08:00–21:00", "BRIDGE"):
            assert beat in text
        assert ("console (test)", world.app_url + "/console") in world.urls()
    finally:
        world.stop()
        _URL_PROVIDERS.remove(provider)
    assert not os.path.exists(world.config.data_dir)  # no AOF of the sample data left behind in /tmp
    # The demo's data key dies with its temporary directory: nothing to back up, so no advice to.
    assert "back it up" not in capsys.readouterr().err


def test_the_keep_running_urls_share_one_column_whatever_the_labels_length():
    """Before: the console's label (with its password) was longer than the fixed width and pushed its URL out."""
    lines = url_lines([("health", "http://a/healthz"), ("console (demo / s0yuJkjcDXd2)", "http://a/console/")])
    assert [line.index("http://") for line in lines] == [len("  console (demo / s0yuJkjcDXd2)  ")] * 2
