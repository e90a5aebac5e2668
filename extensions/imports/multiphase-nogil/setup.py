from setuptools import Extension, setup

setup(packages=[], ext_modules=[Extension("ftfix_multiphase_nogil", ["ftfix_multiphase_nogil.c"])])
