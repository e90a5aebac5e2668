from setuptools import Extension, setup

setup(packages=[], ext_modules=[Extension("ftfix_multiphase_gil", ["ftfix_multiphase_gil.c"])])
