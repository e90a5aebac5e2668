/* Single-phase init that never calls PyUnstable_Module_SetGIL: the GIL is needed. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *
hello(PyObject *module, PyObject *unused)
{
    return PyUnicode_FromString("singlephase-gil");
}

static PyMethodDef methods[] = {
    {"hello", hello, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef def = {
    PyModuleDef_HEAD_INIT, "ftfix_singlephase_gil", NULL, -1, methods,
};

PyMODINIT_FUNC
PyInit_ftfix_singlephase_gil(void)
{
    return PyModule_Create(&def);
}
