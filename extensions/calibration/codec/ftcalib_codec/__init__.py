"""Calibration fixture: ``encode(data, level)``, a C function with no signature the interpreter can
read (no text signature, no typed docstring) that needs bytes and an int; only the shipped stub
(``_codec.pyi``) says so. It stages its work in one static buffer shared by every caller, with the
GIL released: two threads encoding at once get each other's bytes. Its correct twin is
``ftcalib_codec_safe.encode`` (a mutex around the buffer)."""

from ftcalib_codec._codec import encode

__all__ = ["encode"]
