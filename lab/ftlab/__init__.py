"""ftlab: a free-threaded compatibility lab for Python (host side)."""

__version__ = "0.1.0"
