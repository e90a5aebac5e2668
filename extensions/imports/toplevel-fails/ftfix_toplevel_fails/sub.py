"""Fails only because its package does: folded into the package's signal."""
