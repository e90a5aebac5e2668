from setuptools import Extension, setup

setup(ext_modules=[Extension("ftcalib_bank._bank", ["ftcalib_bank/_bank.c"])])
