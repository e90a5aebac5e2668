"""Harmless: the attack is in setup.py, which runs while the package is built."""
