from __future__ import annotations

from click.testing import CliRunner

from ivr.cli import cli
from ivr.console.employees import Employees, Role


def test_employee_add_prompts_for_the_password_and_list_shows_no_hash(
    redis_url, redis, keys, monkeypatch, config_overrides
):
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("ACS_DATA_KEY", config_overrides["ACS_DATA_KEY"])
    monkeypatch.delenv("ACS_EMPLOYEE_PASSWORD", raising=False)
    runner = CliRunner()
    result = runner.invoke(
        cli,
        ["employee", "add", "maria", "--name", "Maria Manager", "--role", "manager", "--phone", "client:maria"],
        input="a long enough password\na long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "employee maria (manager) saved" in result.output
    employees = Employees(redis, keys)
    assert employees.get("maria").role is Role.MANAGER
    assert employees.sign_in("maria", "a long enough password").employee is not None
    listing = runner.invoke(cli, ["employee", "list"])
    assert "maria" in listing.output and "argon2" not in listing.output


def test_employee_add_rejects_a_short_password(redis_url, redis, monkeypatch, config_overrides):
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("ACS_DATA_KEY", config_overrides["ACS_DATA_KEY"])
    monkeypatch.setenv("ACS_EMPLOYEE_PASSWORD", "short")
    result = CliRunner().invoke(cli, ["employee", "add", "bob", "--name", "Bob", "--phone", "+12025550171"])
    assert result.exit_code == 1 and "at least 10 characters" in result.output
