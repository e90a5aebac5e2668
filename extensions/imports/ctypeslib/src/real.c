/* A real extension module next to the plain libraries: it must still be imported. */
#include <Python.h>

static struct PyModuleDef_Slot real_slots[] = {
#ifdef Py_mod_gil
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef real_module = {
    PyModuleDef_HEAD_INIT, "_real", "ftlab fixture: a real extension next to plain libraries", 0,
    NULL, real_slots, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__real(void) { return PyModuleDef_Init(&real_module); }
