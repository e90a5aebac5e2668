"""Sleeps forever inside C while holding the GIL (PyDLL keeps it), so no Python code runs again."""
import ctypes

ctypes.PyDLL(None).sleep(10**6)
