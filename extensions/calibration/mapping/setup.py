from setuptools import Extension, setup

setup(ext_modules=[Extension("ftcalib_mapping._mapping", ["ftcalib_mapping/_mapping.c"])])
