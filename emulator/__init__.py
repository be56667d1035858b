"""A local Twilio: REST API subset, call engine and scripted parties for testing voice apps offline."""

from emulator.emulator import Emulator
from emulator.engine import Engine, RealClock, VirtualClock
from emulator.parties import (
    AnsweringMachine,
    BusyLine,
    Caller,
    Employee,
    Fax,
    Human,
    InvalidNumber,
    KeyRule,
    NoAnswerLine,
    Party,
)
from emulator.transcript import Transcript

__all__ = [
    "AnsweringMachine",
    "BusyLine",
    "Caller",
    "Emulator",
    "Employee",
    "Engine",
    "Fax",
    "Human",
    "InvalidNumber",
    "KeyRule",
    "NoAnswerLine",
    "Party",
    "RealClock",
    "Transcript",
    "VirtualClock",
]
