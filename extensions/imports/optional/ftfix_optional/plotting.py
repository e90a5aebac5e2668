"""Like pandas.plotting._matplotlib: an optional dependency, checked the way pandas'
import_optional_dependency does it (its own ImportError raised while handling the
ModuleNotFoundError, so only the exception's context names the missing module)."""

try:
    import ftfix_absent_plotlib  # noqa: F401
except ImportError:
    raise ImportError("Missing optional dependency 'ftfix_absent_plotlib'. Use pip to install it.")
