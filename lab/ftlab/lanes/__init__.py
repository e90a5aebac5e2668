"""Lanes: interpreters, their environments, and the subjects installed into them."""
