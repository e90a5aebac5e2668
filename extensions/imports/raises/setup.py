from setuptools import Extension, setup

setup(packages=[], ext_modules=[Extension("ftfix_raises", ["ftfix_raises.c"])])
