"""Calibration fixture: accounts whose moves deadlock (InvertedAccounts) and their twin
(OrderedAccounts)."""

from ftcalib_locks._locks import InvertedAccounts, OrderedAccounts

__all__ = ["InvertedAccounts", "OrderedAccounts"]
