"""The package itself needs a module that is not installed: the whole distribution is unusable, so
this is an import error (top-level), never an optional dependency."""

import ftfix_absent_dependency  # noqa: F401
