from setuptools import Extension, setup

setup(packages=[], ext_modules=[Extension("ftfix_hangs", ["ftfix_hangs.c"])])
