"""Segfaults only when ``ftfix_batchdeath.armed`` is already imported (as a module whose import
starts a thread that later corrupts memory would)."""

import sys

if "ftfix_batchdeath.armed" in sys.modules:
    import ctypes

    ctypes.string_at(0)
