from setuptools import Extension, setup

setup(
    packages=["ftfix_chain"],
    ext_modules=[
        Extension("ftfix_chain._speedups", ["src/speedups.c"]),
        Extension("ftfix_chain._legacy", ["src/legacy.c"]),
    ],
)
