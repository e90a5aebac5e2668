"""Calibration fixture: a buffer whose resize crashes concurrent readers (RacyBuffer) and its twin
(LockedBuffer)."""

from ftcalib_buffer._buffer import LockedBuffer, RacyBuffer

__all__ = ["LockedBuffer", "RacyBuffer"]
