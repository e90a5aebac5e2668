"""Dereferences NULL: SIGSEGV during import."""
import ctypes

ctypes.string_at(0)
