"""The estimate's tool scheduler: at most `jobs` tools at once, place and route before waiting syntheses."""

from __future__ import annotations

import threading

from lepton_hw.boards import all_boards
from lepton_hw.estimate.runner import _Scheduler, _synthesis_order


def test_a_freed_slot_goes_to_place_and_route_first_then_in_submission_order() -> None:
    scheduler = _Scheduler(jobs=1)
    release = threading.Event()
    started: list[str] = []
    lock = threading.Lock()

    def job(name: str) -> str:
        with lock:
            started.append(name)
        if name == "blocker":
            release.wait(10)
        return name

    try:
        blocker = scheduler.submit(_Scheduler.SYNTH, job, "blocker")
        while not started:  # the blocker holds the only slot
            threading.Event().wait(0.01)
        waiting = [
            scheduler.submit(_Scheduler.SYNTH, job, "synth-a"),
            scheduler.submit(_Scheduler.SYNTH, job, "synth-b"),
            scheduler.submit(_Scheduler.PNR, job, "pnr"),
        ]
        threading.Event().wait(0.2)  # every waiting job has queued
        assert started == ["blocker"]  # one slot: nothing else ran
        release.set()
        assert [f.result(10) for f in [blocker, *waiting]] == ["blocker", "synth-a", "synth-b", "pnr"]
        assert started == ["blocker", "pnr", "synth-a", "synth-b"]
    finally:
        release.set()
        scheduler.pool.shutdown(wait=True)


def test_at_most_jobs_tools_run_at_once() -> None:
    scheduler = _Scheduler(jobs=2)
    running, most = 0, 0
    lock = threading.Lock()

    def job() -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        threading.Event().wait(0.05)
        with lock:
            running -= 1

    futures = [scheduler.submit(_Scheduler.SYNTH if i % 2 else _Scheduler.PNR, job) for i in range(8)]
    for future in futures:
        future.result(10)
    scheduler.pool.shutdown(wait=True)
    assert most == 2


def test_ecp5_synthesis_starts_first_for_all_boards() -> None:
    order = _synthesis_order(all_boards())
    assert order[0] == "ecp5"  # two boards place and route its netlist
    assert sorted(order) == sorted({b.family for b in all_boards()})
