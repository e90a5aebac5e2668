"""Perf fixture: ``work()`` does a fixed amount of C work (about 100 us) with the GIL released;
a build with ``-DFTPERF_DELAY_US=N`` also sleeps N us in every call (the injected slowdown)."""

from ftperf_work._work import DELAY_US, ROUNDS, work

__all__ = ["DELAY_US", "ROUNDS", "work"]
