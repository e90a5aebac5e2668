"""The in-lane runtime: one module per command, dispatched by ``python -m ftlab_probes.runtime``."""
