"""`acs employee …`: create the console's employees (the first manager included)."""

from __future__ import annotations

import sys

import click

from ivr.console.employees import EmployeeError, Employees, Role
from ivr.services import services_from_env


@click.group()
def employee() -> None:
    """Console employees."""


@employee.command("add")
@click.argument("username")
@click.option("--name", required=True, help="full name, printed on letters")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.EMPLOYEE.value, show_default=True)
@click.option("--phone", required=True, help="where 'Take next caller' rings: +E.164 number or client:identity")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    envvar="ACS_EMPLOYEE_PASSWORD",
    help="prompted for when not given (or set ACS_EMPLOYEE_PASSWORD)",
)
def add(username: str, name: str, role: str, phone: str, password: str) -> None:
    """Create an employee, or replace one (resetting the password)."""
    svc = services_from_env()
    try:
        created = Employees(svc.redis, svc.keys).add(username, name, password, role, phone)
    except EmployeeError as error:
        click.echo(f"cannot add {username!r}: {error}", err=True)
        sys.exit(1)
    click.echo(f"employee {created.username} ({created.role.value}) saved; rings {created.phone}")


@employee.command("list")
def list_() -> None:
    """List employees (never their password hashes)."""
    svc = services_from_env()
    for person in Employees(svc.redis, svc.keys).all():
        click.echo(f"{person.username:<16} {person.role.value:<9} {person.phone:<16} {person.name}")
