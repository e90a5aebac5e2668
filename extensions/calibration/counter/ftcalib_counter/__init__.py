"""Calibration fixture: a counter that loses updates (RacyCounter) and its correct twin (LockedCounter)."""

from ftcalib_counter._counter import LockedCounter, RacyCounter

__all__ = ["LockedCounter", "RacyCounter"]
