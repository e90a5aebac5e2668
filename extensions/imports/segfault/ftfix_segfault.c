/* Single-phase init that writes through a NULL pointer: a real SIGSEGV during import.
 * The pointer is itself volatile so the compiler cannot prove it is NULL and turn the store into a
 * trap instruction (which would be SIGILL instead). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static int *volatile nowhere = NULL;

static struct PyModuleDef def = {
    PyModuleDef_HEAD_INIT, "ftfix_segfault", NULL, -1, NULL,
};

PyMODINIT_FUNC
PyInit_ftfix_segfault(void)
{
    *nowhere = 42;
    return PyModule_Create(&def);
}
