"""Calibration fixture: a C mapping of small int keys whose item count loses updates (RacySlots) and
its correct twin (LockedSlots). Neither has a public method: the race shows only through the mapping
protocol (``obj[k] = v``, ``del obj[k]``, ``len(obj)``), which the auto-probe must reach on its own."""

from ftcalib_mapping._mapping import LockedSlots, RacySlots

__all__ = ["LockedSlots", "RacySlots"]
