from setuptools import Extension, setup

setup(packages=[], ext_modules=[Extension("ftfix_segfault", ["ftfix_segfault.c"])])
