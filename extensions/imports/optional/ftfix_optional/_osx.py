"""Like psutil._psosx: imports the macOS extension, which no Linux build of this distribution ships.
`from . import name` that finds nothing raises a plain ImportError; CPython 3.12+ says which name
(ImportError.name_from), older versions do not."""

from . import _native_osx  # noqa: F401
