from setuptools import Extension, setup

# Built as extensions get built (the file name carries EXT_SUFFIX, as pycryptodome's do), but the C
# sources define no PyInit_ function: plain libraries the package loads with ctypes.
setup(
    packages=["ftfix_ctypeslib"],
    ext_modules=[
        Extension("ftfix_ctypeslib._raw_add", ["src/raw_add.c"]),
        Extension("ftfix_ctypeslib._raw_add_avx2", ["src/raw_add.c"], define_macros=[("FTFIX_AVX2", "1")]),
        Extension("ftfix_ctypeslib._real", ["src/real.c"]),
    ],
)
