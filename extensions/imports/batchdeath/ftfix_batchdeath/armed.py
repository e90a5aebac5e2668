"""Harmless alone; crash_after_armed dies when this was imported before it."""
