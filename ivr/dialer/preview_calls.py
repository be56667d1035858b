"""Preview mode's call: the employee chose the case and clicked Call now, so the person who answers is theirs.

The call goes the way `acs dial --case` sends it (`Dialer.dial_cases`: every calling rule and the per-case lock),
and on the pipeline that records it placed: the attempt notes the employee (the answer webhook enqueues the person
on that employee's own queue, ivr.dialer.floor_phone.preview_queue) and the floor counts it in flight, so the answer
is a live answer like a paced one (connected within 2 s or the short message, counted toward abandonment).
"""

from __future__ import annotations

from ivr import clock
from ivr.dialer.batch import Dialer, TickReport
from ivr.dialer.floor import Floor


def dial_for(dialer: Dialer, floor: Floor, case_id: str, username: str) -> TickReport:
    """Dial one case now for `username`, whose phone takes the live answer."""

    def note(pipe, placed) -> None:
        now = clock.now()
        dialer.attempts.note_employee(placed, username, pipe)
        floor.placed(dict.fromkeys(placed, now), now, pipe=pipe)

    return dialer.dial_cases([case_id], on_placed=note)
