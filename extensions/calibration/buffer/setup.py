from setuptools import Extension, setup

setup(ext_modules=[Extension("ftcalib_buffer._buffer", ["ftcalib_buffer/_buffer.c"])])
