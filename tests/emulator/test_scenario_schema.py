"""A scenario that cannot run is one line naming the file and the problem, exit status 2, never a traceback."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from emulator.cli import main
from emulator.scenario import load_scenario, run_scenario
from emulator.scenario_schema import ScenarioError

CALLER = '{from: "+12025550001", to: "+18005550100"'

BAD_FILES = {
    "unclosed.yaml": ("foo: [unclosed\n", "line 2, column 1: expected ',' or ']'"),
    "broken.json": ('{"callers": [1,,]}', "line 1, column 16"),
    "list.yaml": ("- a\n- b\n", "a scenario must be a mapping of sections, not a list"),
    "calls.yaml": ("calls: 5\n", "calls must be a list of entries, not a number"),
    "empty.json": ("{}", "the scenario is empty"),
    "blank.yaml": ("", "a scenario must be a mapping of sections, not empty"),
    "unknown.yaml": (f"foo: 1\ncallers:\n  - {CALLER}}}\n", "unknown key 'foo'"),
    "nothing.yaml": ("name: idle\nnumbers: {'+18005550100': /voice}\n", "nothing happens"),
    "no-from.yaml": ('callers:\n  - {to: "+18005550100"}\n', "callers[0]: missing 'from'"),
    "typo.yaml": (f"callers:\n  - {CALLER}, pres: []}}\n", "callers[0]: unknown key 'pres' for a caller party"),
    "rule.yaml": (f"callers:\n  - {CALLER}, press: [{{digits: '1'}}]}}\n", "callers[0]: press[0]: missing 'heard'"),
    "at.yaml": (f"callers:\n  - {CALLER}, at: soon}}\n", "callers[0]: at must be a number of seconds"),
    "party.yaml": (f"parties: {{'+1202': {{type: robot}}}}\ncallers:\n  - {CALLER}}}\n", "type 'robot' is not one of"),
    "call.yaml": ("calls:\n  - {to: '+1202', from: '+18005550100', urll: /x}\n", "calls[0]: unknown key 'urll'"),
    "refused.yaml": ("calls:\n  - {to: '12', from: '+18005550100', url: /x}\n", "calls[0]: Twilio would refuse"),
    "expect.yaml": (f"callers:\n  - {CALLER}}}\nexpect: [heard]\n", "expect[0]: must be a mapping, not text"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_a_bad_scenario_file_is_one_line_naming_it(tmp_path, name):
    text, problem = BAD_FILES[name]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["scenario", str(path), "--app-url", "https://app.test"])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"Error: {path}: ") and problem in result.output, result.output
    assert result.output.count("\n") == 1 and "Traceback" not in result.output


def test_a_directory_or_a_missing_file_is_named(tmp_path):
    with pytest.raises(ScenarioError, match="is a directory"):
        load_scenario(tmp_path)
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario(str(tmp_path / "missing.yaml"))


def test_a_scenario_error_is_a_value_error_for_library_callers():
    with pytest.raises(ValueError, match="scenario: unknown key 'foo'"):
        load_scenario({"foo": 1})


def test_an_empty_section_counts_as_not_given(emu, webapp):
    webapp.docs["/voice"] = "<Response><Say>Hello</Say></Response>"
    spec = f"numbers: {{'+18005550100': /voice}}\nparties:\ncallers:\n  - {CALLER}, name: c}}\nexpect:\n"
    result = run_scenario(spec, app_url="https://app.test", emulator=emu)
    assert result.ok, result.report()


def test_a_runner_adds_its_own_sections():
    extra = {"dial": lambda value: None if isinstance(value, list) else "must be a list"}
    assert load_scenario({"dial": []}, extra) == {"dial": []}
    with pytest.raises(ScenarioError, match="dial must be a list"):
        load_scenario({"dial": 1}, extra)
