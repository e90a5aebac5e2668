from setuptools import Extension, setup

setup(packages=[], ext_modules=[Extension("ftfix_singlephase_nogil", ["ftfix_singlephase_nogil.c"])])
