"""Loops forever in Python."""
while True:
    pass
