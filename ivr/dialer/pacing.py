"""How many calls to place this tick: pure pacing strategies (no Redis, no Twilio), one small class per mode.

* message — nobody is signed in: today's agentless message + press 1, paced only by ACS_MAX_CPS.
* preview — the employee sees the case and clicks to dial: the dialer places nothing by itself.
* progressive — one call per ready employee, that employee reserved until the call resolves.
* predictive — places calls for the employees who will be free when the calls are expected to be answered, so
  that the chance a person who answers finds nobody stays inside the 30-day abandonment budget.

The predictive rule, per call considered: it may be placed while the probability that, were it answered by a
person, every employee free at its answer time is already taken by the people answering the calls in flight (and
the calls placed before it this tick) is at most `lam`. Since each call is human with the same probability, the
average of those probabilities over placed calls is the expected abandonment rate, so a threshold over it bounds
the rate. `lam` moves with the 30-day budget: lower when the campaign is behind (has abandoned more than its
share), higher when it has room, and small for a campaign with no history (which also dials progressively until
it has measured enough calls). A call may carry more risk while an employee is already waiting than when the
employees it is for are still wrapping up (see URGENCY). Where Twilio reports pickups (the `answered` event), a call
picked up is expected to be heard a measured few seconds later (and is more likely a person the sooner it was picked
up), and a call still ringing cannot be heard before its pickup plus those seconds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

MODES = ("preview", "progressive", "predictive", "message")
#: The mode in which each employee's phone leg waits on a queue of their own (the calls they ask for reach them).
PREVIEW = "preview"
#: Resolved calls a campaign needs (in its recent hours) before predictive pacing trusts its estimates.
MIN_SAMPLES = 60
#: Aim below the legal limit (also less the measured rate's noise, see `threshold`).
SAFETY = 0.9
#: A call for an employee already waiting (one per waiting employee, the first of the tick's calls) may carry
#: URGENCY times the risk; a call for an employee about to be free, 1/URGENCY times (the budget's feedback keeps the
#: average where it belongs). The waiting employee's idle time is already running; a wrap-up's end can be covered a
#: second later, with more calls resolved by then.
URGENCY = 1.5
#: A call still ringing may be heard from its pickup plus the verdict time's low end (mean less this many standard
#: deviations of the measured pickup-to-verdict times), not its mean: AMD takes longer for some people than others.
VERDICT_LOW_Z = 2.0
#: Live answers below which the 30-day rate is treated as this many (its noise term would be unbounded).
MIN_HUMANS = 50


@dataclass(frozen=True)
class Estimates:
    """Rolling measurements for one campaign (recent hours, same hour on recent days)."""

    resolved: int = 0
    p_human: float = 0.30
    p_fast: float = 0.10  # busy/failed: resolve quickly without an answer
    human_ring_mean: float = 8.0  # seconds from placing the call to the answer webhook saying human
    human_ring_sd: float = 3.0
    talk_mean: float = 180.0
    wrap_mean: float = 30.0
    p_machine: float = 0.20
    # Seconds from the callee picking up to the verdict "human" (0: not measured, e.g. no `answered` events).
    verdict_mean: float = 0.0
    verdict_sd: float = 0.5
    # Seconds from placing to the pickup, for people and for machines (mean, sd; 0: not measured).
    pickup_human: tuple[float, float] = (0.0, 0.0)
    pickup_machine: tuple[float, float] = (0.0, 0.0)


@dataclass(frozen=True)
class FloorSnapshot:
    now: float
    signed_in: int  # employees not away
    ready: int
    wrap_ends: Sequence[float] = ()
    talking: int = 0  # employees on a call (talk is memoryless: when each call began tells nothing more)
    in_flight: Sequence[float] = ()  # when each unresolved call was placed
    waiting_live: int = 0  # live answers waiting for an employee
    waiting_inbound: int = 0  # callers holding on the inbound line (they come first)
    estimates: Estimates = field(default_factory=Estimates)
    humans_30d: int = 0
    abandoned_30d: int = 0
    picked_up: Sequence[float | None] = ()  # per in-flight call: when its callee picked up (None: still ringing)


@dataclass(frozen=True)
class Limits:
    max_calls: int  # ACS_MAX_CPS × tick seconds, and what the batch allows
    lines_per_employee: float = 3.0
    max_abandon_percent: float = 3.0
    wrap_seconds: float = 30.0


class Pacer:
    name = "base"

    def calls(self, floor: FloorSnapshot, limits: Limits) -> int:
        raise NotImplementedError

    @staticmethod
    def capped(n: int, floor: FloorSnapshot, limits: Limits) -> int:
        lines = math.floor(limits.lines_per_employee * floor.signed_in) - len(floor.in_flight)
        return max(0, min(n, limits.max_calls, lines))


class MessagePacer(Pacer):
    name = "message"

    def calls(self, floor: FloorSnapshot, limits: Limits) -> int:
        return limits.max_calls


class PreviewPacer(Pacer):
    name = "preview"

    def calls(self, floor: FloorSnapshot, limits: Limits) -> int:
        return 0


class ProgressivePacer(Pacer):
    name = "progressive"

    def calls(self, floor: FloorSnapshot, limits: Limits) -> int:
        free = floor.ready - floor.waiting_live - floor.waiting_inbound - len(floor.in_flight)
        return self.capped(free, floor, limits)


class PredictivePacer(Pacer):
    name = "predictive"

    def calls(self, floor: FloorSnapshot, limits: Limits) -> int:
        est = floor.estimates
        if est.resolved < MIN_SAMPLES:
            return ProgressivePacer().calls(floor, limits)  # a new campaign: measure before betting
        points = answer_points(est)
        # Employees free when a person answering a call placed now would be heard (ready now, wrap-ups that end by
        # then, talkers done with talk and wrap-up), at each likely answer moment.
        supply = [available_at(floor, floor.now + r, limits.wrap_seconds, est.talk_mean) for r in points]
        if max(supply) <= 0:
            return 0
        # Per answer moment: the chance each committed call is a person answering before it (first come, first
        # served: only those take the employees this call's person would need).
        sd = max(est.human_ring_sd, MIN_RING_SD)
        picked = floor.picked_up or [None] * len(floor.in_flight)
        calls = [
            (floor.now - placed, None if up is None else floor.now - up)
            for placed, up in zip(floor.in_flight, picked, strict=True)
        ]
        # A moment with nobody free counts as taken whatever its distribution, so only the others' are kept up, and
        # adding a call that cannot be a person there (p == 0) leaves a distribution as it was, bit for bit.
        dists = [[1.0] + [0.0] * max(free, 0) for free in supply]
        live = [j for j, free in enumerate(supply) if free > 0]
        for age, picked_age in calls:
            chances = answers_at(age, points, est, sd, picked_age)
            for j in live:
                if chances[j]:
                    dists[j] = add_capped(dists[j], chances[j])
        placed = [est.p_human * _cdf((r - est.human_ring_mean) / sd) for r in points]
        n = 0
        while n < limits.max_calls:
            # P(every employee free at the answer is taken by earlier answers), averaged over the answer moments.
            risk = sum(dist[-1] if free > 0 else 1.0 for dist, free in zip(dists, supply, strict=True)) / len(points)
            if risk > call_threshold(floor, limits, n):
                break
            n += 1
            for j in live:
                dists[j] = add_capped(dists[j], placed[j])
        return self.capped(n, floor, limits)


#: A person's ring time, as five equally likely moments (normal quantiles 10 %, 30 %, …, 90 %).
ANSWER_QUANTILES = (-1.2816, -0.5244, 0.0, 0.5244, 1.2816)
MIN_RING_SD = 0.75
MIN_VERDICT_SD = 0.25
#: Pickups measured before the pacer trusts the pickup-to-verdict time.
MIN_PICKUPS = 5


def answer_points(est: Estimates) -> list[float]:
    """Seconds after placing a call at which its person, if any, is likely to answer."""
    sd = max(est.human_ring_sd, MIN_RING_SD)
    return [max(0.5, est.human_ring_mean + z * sd) for z in ANSWER_QUANTILES]


def person_share(pickup: float, est: Estimates) -> float:
    """P(a call picked up `pickup` seconds after it was placed is a person): people and machines pick up at
    different times (a machine after its rings, a person sooner), so the moment says much; unmeasured, the mix."""
    (hm, hs), (mm, ms) = est.pickup_human, est.pickup_machine
    human, machine = est.p_human, est.p_machine
    if hm > 0 and mm > 0:
        human *= _density((pickup - hm) / max(hs, MIN_RING_SD)) / max(hs, MIN_RING_SD)
        machine *= _density((pickup - mm) / max(ms, MIN_RING_SD)) / max(ms, MIN_RING_SD)
    return human / (human + machine) if human + machine > 0 else 0.0


def _density(z: float) -> float:
    return math.exp(-0.5 * min(z * z, 700.0))


def answers_within(age: float, within: float, est: Estimates, sd: float, picked_age: float | None = None) -> float:
    """P(a call unresolved after `age` seconds is a person who answers in the next `within` seconds).

    Where pickups are reported (`answered` events, `est.verdict_mean` > 0), a call picked up `picked_age` seconds
    ago is heard (if a person) about `verdict_mean` after its pickup, and a call still ringing cannot be heard
    before its pickup plus that: both narrow the guess about when, and whether, a person will be heard."""
    return answers_at(age, (within,), est, sd, picked_age)[0]


def answers_at(
    age: float, moments: Sequence[float], est: Estimates, sd: float, picked_age: float | None = None
) -> list[float]:
    """answers_within for each of `moments` (the pacer's answer points), sharing what does not depend on them."""
    verdict = est.verdict_mean
    if picked_age is not None and verdict > 0:
        vsd = max(est.verdict_sd, MIN_VERDICT_SD)
        pending = _survival((picked_age - verdict) / vsd)
        if pending <= 1e-9:
            return [0.0] * len(moments)  # no verdict long after the pickup: a machine's greeting
        share = person_share(age - picked_age, est)
        person = share * pending / (share * pending + 1.0 - share)
        return [person * (pending - _survival((picked_age + within - verdict) / vsd)) / pending for within in moments]
    # Still ringing: no person is heard before this age (the verdict time's low end, see VERDICT_LOW_Z).
    known = age + max(verdict - VERDICT_LOW_Z * est.verdict_sd, 0.0)
    survive = _survival((known - est.human_ring_mean) / sd)
    if survive <= 1e-9:
        return [0.0] * len(moments)
    human = human_probability(known, est)
    return [
        human * max(survive - _survival((age + within - est.human_ring_mean) / sd), 0.0) / survive for within in moments
    ]


def add_capped(dist: list[float], p: float) -> list[float]:
    """Add one call to a distribution of answers whose last bucket means "that many or more"."""
    # Bucket k gets (k-1 answered, this call a person) + (k answered, not); the last also keeps its own share.
    # The plain loop: the same float operations in the same order as ever (bit-for-bit identical results), and on
    # lists this short (an answer moment's free employees) twice as fast as a comprehension, which the pacer calls
    # ~50 times a tick.
    q = 1.0 - p
    below = dist[0]
    out = [below * q]
    append = out.append
    for mass in dist[1:]:
        append(below * p + mass * q)
        below = mass
    out[-1] += below * p
    return out


def _cdf(z: float) -> float:
    return 1.0 - _survival(z)


PACERS: dict[str, type[Pacer]] = {
    "message": MessagePacer,
    "preview": PreviewPacer,
    "progressive": ProgressivePacer,
    "predictive": PredictivePacer,
}


#: A wrap-up this far past its end, its leg not back to wait (the leg's webhook was lost), is not counted as an
#: employee coming free: it would make every tick dial for someone who will not take the call. Wrap-ups end by the
#: leg's own pause, within a second of their end.
WRAP_OVERDUE_SECONDS = 30.0


def pacer_for(mode: str, signed_in: int) -> Pacer:
    """The campaign's mode, except that nobody signed in means the agentless message mode."""
    if signed_in <= 0:
        return MessagePacer()
    return PACERS.get(mode, PredictivePacer)()


def available_at(floor: FloorSnapshot, at: float, wrap_seconds: float, talk_mean: float) -> float:
    """Employees expected free at `at`: ready now (less those already claimed), wrap-ups ending by then, and talkers
    whose call ends early enough to finish wrap-up too (talk is memoryless: P(end within t) = 1 - exp(-t/mean))."""
    free = floor.ready - floor.waiting_live - floor.waiting_inbound
    # A live answer may wait up to a second; a wrap-up long overdue is a leg that never came back (its webhook lost).
    overdue = floor.now - WRAP_OVERDUE_SECONDS
    free += sum(1 for end in floor.wrap_ends if overdue < end <= at + 1.0)
    room = at - floor.now - wrap_seconds
    if room > 0 and talk_mean > 0:
        free += floor.talking * (1.0 - math.exp(-room / talk_mean))
    return math.floor(free + 1e-9)


def human_probability(age: float, est: Estimates) -> float:
    """P(a call unresolved after `age` seconds will still be answered by a person)."""
    sd = max(est.human_ring_sd, MIN_RING_SD)
    still_human = est.p_human * _survival((age - est.human_ring_mean) / sd)
    rest = max(1.0 - est.p_human - (est.p_fast if age > 4.0 else 0.0), 0.05)
    return still_human / (still_human + rest)


def call_threshold(floor: FloorSnapshot, limits: Limits, placed: int = 0) -> float:
    """The risk the tick's next call (after `placed` this tick) may carry: the budget's threshold, raised while it
    is for an employee already waiting (their idle time is running: one call each) and lowered once the calls are
    only for employees about to be free."""
    lam = threshold(floor, limits)
    return lam * URGENCY if floor.ready - floor.waiting_live - floor.waiting_inbound > placed else lam / URGENCY


def threshold(floor: FloorSnapshot, limits: Limits) -> float:
    """The marginal abandonment risk a call may carry, from the 30-day budget.

    The aim is the limit less a safety share and less the count's own noise (one standard deviation of a rate
    measured over the 30 days' live answers), so a small floor or a young campaign aims lower; then it leans
    up while the campaign is under its aim and down while over it."""
    limit = limits.max_abandon_percent / 100.0
    humans = max(floor.humans_30d, MIN_HUMANS)
    target = max(limit * 0.1, limit * SAFETY - math.sqrt(limit / humans))
    rate = floor.abandoned_30d / humans
    return target * min(3.0, max(0.2, 1.0 + 3.0 * (target - rate) / target))


_SQRT2 = math.sqrt(2.0)


def _survival(z: float) -> float:
    return 0.5 * math.erfc(z / _SQRT2)


def estimates_from(hours: Sequence[dict[str, str]], defaults: Estimates | None = None) -> Estimates:
    """Blend the hour buckets' sums (recent hours and the same hour on recent days) into one set of estimates."""
    return estimates_from_read([bucket_sums(bucket) for bucket in hours], defaults)


def bucket_sums(bucket: dict[str, str]) -> tuple[tuple[str, float], ...]:
    """An hour bucket's sums as numbers (fields that are not numbers left out). A past hour's bucket no longer
    changes, so the paced dialer reads its numbers once an hour instead of on every tick."""
    sums = []
    for name, value in bucket.items():
        try:
            sums.append((name, float(value)))
        except ValueError:
            continue
    return tuple(sums)


def estimates_from_read(hours: Sequence[Sequence[tuple[str, float]]], defaults: Estimates | None = None) -> Estimates:
    """estimates_from over buckets already read by bucket_sums (the same additions in the same order)."""
    d = defaults or Estimates()
    total: dict[str, float] = {}
    for bucket in hours:
        for name, value in bucket:
            total[name] = total.get(name, 0.0) + value
    resolved = total.get("resolved", 0.0)
    human = total.get("human", 0.0)
    if resolved <= 0:
        return Estimates(resolved=0, talk_mean=d.talk_mean, wrap_mean=d.wrap_mean)
    mean = total.get("ring_human", 0.0) / human if human else d.human_ring_mean
    var = total.get("ring_human_sq", 0.0) / human - mean * mean if human > 1 else d.human_ring_sd**2
    talks, wraps = total.get("talks", 0.0), total.get("wraps", 0.0)
    picked = total.get("picked_human", 0.0)
    verdict, verdict_sd = _mean_sd(total, "verdict_human", picked)
    return Estimates(
        resolved=int(resolved),
        p_human=human / resolved,
        p_fast=total.get("busy", 0.0) / resolved,
        p_machine=total.get("machine", 0.0) / resolved,
        verdict_mean=verdict,
        verdict_sd=verdict_sd,
        pickup_human=_mean_sd(total, "pickup_human", picked),
        pickup_machine=_mean_sd(total, "pickup_machine", total.get("picked_machine", 0.0)),
        human_ring_mean=mean,
        human_ring_sd=math.sqrt(max(var, 0.0)),
        talk_mean=total.get("talk_seconds", 0.0) / talks if talks >= 5 else d.talk_mean,
        wrap_mean=total.get("wrap_seconds", 0.0) / wraps if wraps >= 5 else d.wrap_mean,
    )


def _mean_sd(total: dict[str, float], name: str, count: float) -> tuple[float, float]:
    """Mean and standard deviation from a sum and a sum of squares (0, 0 below MIN_PICKUPS samples)."""
    if count < MIN_PICKUPS:
        return (0.0, 0.0)
    mean = total.get(name, 0.0) / count
    return (mean, math.sqrt(max(total.get(name + "_sq", 0.0) / count - mean * mean, 0.0)))
