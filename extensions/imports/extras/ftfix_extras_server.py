"""black's ``blackd`` way: the missing extra is reported in words, the chain cut with ``from None``,
so no ModuleNotFoundError is left to read; only the distribution's metadata says it is optional."""

try:
    import ftfix_absent_extra_dep  # noqa: F401
except ImportError as te:
    raise ImportError(
        f"ftfix_absent_extra_dep dependency is not installed: {te}. "
        "Please re-install ftfix-extras with the '[server]' extra install to get it."
    ) from None
