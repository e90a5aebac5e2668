"""ftlab import fixture: plain C libraries loaded with ctypes, as pycryptodome loads its own."""

import ctypes
import os
from importlib import machinery

from ftfix_ctypeslib import _real  # noqa: F401  (a real extension module)


def _load(name):
    here = os.path.dirname(os.path.abspath(__file__))
    for suffix in machinery.EXTENSION_SUFFIXES:
        path = os.path.join(here, name + suffix)
        if os.path.exists(path):
            return ctypes.CDLL(path)
    raise ImportError("ftfix_ctypeslib: no %s library next to the package" % name)


_lib = _load("_raw_add")


def add(a, b):
    return _lib.ftfix_raw_add(a, b)
