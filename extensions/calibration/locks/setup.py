from setuptools import Extension, setup

setup(ext_modules=[Extension("ftcalib_locks._locks", ["ftcalib_locks/_locks.c"])])
