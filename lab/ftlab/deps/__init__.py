"""Dependencies: the package index and pip settings, the lock, wheel readiness, CI templates."""
