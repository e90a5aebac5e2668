from setuptools import Extension, setup

setup(ext_modules=[Extension("ftcalib_counter._counter", ["ftcalib_counter/_counter.c"])])
