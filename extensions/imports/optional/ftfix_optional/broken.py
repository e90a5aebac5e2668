"""A submodule that fails for its own reasons: an import error, not an optional dependency."""

raise RuntimeError("ftfix_optional.broken: deliberate failure")
