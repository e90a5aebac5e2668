from setuptools import Extension, setup

# One source, two modules: the racy encoder and, built with CODEC_LOCKED, its correct twin.
setup(ext_modules=[
    Extension("ftcalib_codec._codec", ["ftcalib_codec/_codec.c"]),
    Extension("ftcalib_codec_safe._safe", ["ftcalib_codec/_codec.c"], define_macros=[("CODEC_LOCKED", "1")]),
])
