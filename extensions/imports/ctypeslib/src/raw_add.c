/* A plain shared library: no Python.h, no PyInit_ function. The package loads it with ctypes. */
#ifdef FTFIX_AVX2
int ftfix_raw_add(int a, int b) { return a + b; }
int ftfix_variant(void) { return 2; }
#else
int ftfix_raw_add(int a, int b) { return a + b; }
int ftfix_variant(void) { return 1; }
#endif
