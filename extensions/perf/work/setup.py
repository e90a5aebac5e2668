from setuptools import Extension, setup

# CFLAGS=-DFTPERF_DELAY_US=1000 builds the slowed-down variant (a sleep in every call).
setup(ext_modules=[Extension("ftperf_work._work", ["ftperf_work/_work.c"])])
