"""The correct twin of ``ftcalib_codec.encode``: the same C code with a mutex around its shared buffer."""

from ftcalib_codec_safe._safe import encode

__all__ = ["encode"]
