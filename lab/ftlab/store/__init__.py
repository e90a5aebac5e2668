"""The store: SQLite on disk, and its integrity check."""
