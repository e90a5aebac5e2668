"""ftlab's version, in a module of its own so the layers below the public API can name it without
importing that API (``ftlab/__init__.py`` sits above the engine)."""

__version__ = "0.1.0"
