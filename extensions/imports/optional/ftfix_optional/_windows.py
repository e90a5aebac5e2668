"""Another platform's module, imported by its full name: a ModuleNotFoundError on every version."""

import ftfix_optional._native_windows  # noqa: F401
