from setuptools import Extension, setup

setup(packages=[], ext_modules=[Extension("ftfix_singlephase_gil", ["ftfix_singlephase_gil.c"])])
