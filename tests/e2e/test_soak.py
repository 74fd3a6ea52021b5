"""Soak: thousands of calls against the served sandbox with 10 % injected faults of every kind.

Every read must succeed within its deadline (the retry budget absorbs the
faults); every purchase must end in success or a typed error, and the
sandbox's purchase ledger must show no purchase made twice, with "did not
act" never claimed for a purchase that happened.

The default run soaks 2,000 calls (every fault kind, 400 purchases, 16 at a
time: the same claims, in a fifth of the time); ``.ci/run`` also runs the full
soak with ``PY7D_SOAK_CALLS=10000`` (about 80 s on two loaded cores).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest

import py7D
from py7D import RetryPolicy
from py7D.sandbox import FaultInjector, Faults, Sandbox, running
from py7D.sandbox._faults import KINDS

CALLS = int(os.environ.get("PY7D_SOAK_CALLS", "2000"))
SEED = int(os.environ.get("PY7D_SOAK_SEED", "20240607"))
CONCURRENCY = 16
# One call in 10 is a purchase; one in 5 in a smaller soak, so that enough purchases
# still meet a fault after the action (about 8 in 2,000 calls).
WRITE_SHARE = 10 if CALLS >= 10_000 else 5
DEADLINE = 30.0

# 500 is retried here on purpose: the fault plan injects 500s into reads, and the
# claim under test is that the retry budget absorbs every transient fault. (The
# default policy leaves 500 out; see docs/guides/reliability.md.)
POLICY = RetryPolicy(
    max_attempts=12,
    backoff_base=0.005,
    backoff_cap=0.1,
    deadline=DEADLINE,
    statuses=frozenset({429, 500, 502, 503, 504}),
)


@dataclass
class Tally:
    reads_ok: int = 0
    read_errors: Counter[str] = field(default_factory=Counter)
    over_deadline: list[float] = field(default_factory=list)
    writes: dict[int, py7D.Py7DError | None] = field(default_factory=dict)
    untyped: list[BaseException] = field(default_factory=list)


def read_call(i: int, token: tuple[str, str]) -> tuple[str, str | None, dict[str, Any]]:
    kinds: list[tuple[str, str | None, dict[str, Any]]] = [
        ("artist", "details", {"artistId": 1 + i % 3000}),
        ("release", "details", {"releaseId": 100001 + i % 8000}),
        ("artist", "search", {"q": "pink", "pageSize": 3}),
        ("status", None, {}),
        ("release", "match/byId", {"sevenDigitalIds": 100001 + i % 8000}),  # 2-legged
        ("user", "locker", {"pageSize": 2, "access_token": token}),  # 3-legged
    ]
    return kinds[i % len(kinds)]


async def soak(url: str, token: tuple[str, str], tally: Tally) -> None:
    async with py7D.AsyncClient(
        "sandbox-key", "sandbox-secret", base_url=url, retries=POLICY, timeout=5.0
    ) as client:
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(i: int) -> None:
            async with gate:
                start = time.monotonic()
                try:
                    if i % WRITE_SHARE == 0:
                        release = 100001 + i // WRITE_SHARE
                        tally.writes[release] = None
                        try:
                            await client.request(
                                "user", "purchase/rrpitem", releaseId=release, access_token=token
                            )
                        except py7D.Py7DError as exc:
                            tally.writes[release] = exc
                    else:
                        resource, action, params = read_call(i, token)
                        try:
                            await client.request(resource, action, **params)
                            tally.reads_ok += 1
                        except py7D.Py7DError as exc:
                            tally.read_errors[repr(exc)[:200]] += 1
                except BaseException as exc:  # anything untyped is a failure
                    tally.untyped.append(exc)
                elapsed = time.monotonic() - start
                if elapsed > DEADLINE + 1.0:
                    tally.over_deadline.append(elapsed)

        await asyncio.gather(*(one(i) for i in range(CALLS)))


@pytest.mark.slow
def test_soak_under_injected_faults() -> None:
    sandbox = Sandbox(rate_limit=10**9)
    sandbox.catalogue  # noqa: B018 - build it before the clock starts
    token = sandbox.issue_access_token("alice@example.com")
    injector = FaultInjector(
        Faults(rate=0.1, seed=SEED, latency=0.02, drip_chunk=128, drip_delay=0.001)
    )
    tally = Tally()
    switch = sys.getswitchinterval()
    sys.setswitchinterval(0.001)  # client and server share one process: hand the GIL over fast
    try:
        with running(sandbox, faults=injector) as url:
            start = time.monotonic()
            asyncio.run(soak(url, token, tally))
            elapsed = time.monotonic() - start
    finally:
        sys.setswitchinterval(switch)

    reads = CALLS - len(tally.writes)
    ledger = Counter(record.items[0][0] for record in sandbox.purchases)
    write_errors = Counter(
        f"{type(e).__name__}(may_have_acted={e.may_have_acted})"
        for e in tally.writes.values()
        if e is not None
    )
    print(
        f"\nsoak: {CALLS} calls ({reads} reads, {len(tally.writes)} purchases) in {elapsed:.1f}s; "
        f"{injector.requests} requests, {injector.requests - CALLS} retries; "
        f"{injector.total_injected} faults injected {dict(sorted(injector.injected.items()))}, "
        f"{sum(f.changes_state for f in injector.log)} on purchases, "
        f"{injector.after_action} of them after the action; reads ok {tally.reads_ok}/{reads}; "
        f"purchases ok {sum(e is None for e in tally.writes.values())}, "
        f"failed {dict(write_errors)}; ledger {len(sandbox.purchases)}"
    )

    assert tally.untyped == []
    assert tally.over_deadline == []
    # every read succeeded within the retry budget
    assert dict(tally.read_errors) == {}
    assert tally.reads_ok == reads
    # the faults really happened, of every kind, before and after actions
    assert injector.total_injected >= 0.08 * injector.requests
    assert set(injector.injected) == set(KINDS)
    assert injector.after_action > 0
    # no purchase twice; successes recorded once; "did not act" never wrong
    assert all(count == 1 for count in ledger.values())
    for release, error in tally.writes.items():
        if error is None:
            assert ledger[release] == 1
        else:
            assert error.attempts == 1
            if error.may_have_acted is False:
                assert ledger[release] == 0, f"{release}: {error!r} claimed no action"
    assert set(ledger) <= set(tally.writes)
