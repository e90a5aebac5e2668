"""Calibration fixture: a bank whose transfers lose updates (RacyBank), its correct twin (LockedBank),
and a correct bank with a benign-looking data race on a statistics field (TallyBank), which only
ThreadSanitizer sees. No hand-written probe: the auto-probe must find RacyBank's lost updates
through ``balance(i)`` and the ``total`` property, since ``transfer`` returns nothing."""

from ftcalib_bank._bank import LockedBank, RacyBank, TallyBank

__all__ = ["LockedBank", "RacyBank", "TallyBank"]
