/* Multi-phase init that declares free-threading support: the GIL stays disabled on 3.13t/3.14t. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *
hello(PyObject *module, PyObject *unused)
{
    return PyUnicode_FromString("multiphase-nogil");
}

static PyMethodDef methods[] = {
    {"hello", hello, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot slots[] = {
#ifdef Py_mod_gil /* 3.13+ */
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef def = {
    PyModuleDef_HEAD_INIT, "ftfix_multiphase_nogil", NULL, 0, methods, slots,
};

PyMODINIT_FUNC
PyInit_ftfix_multiphase_nogil(void)
{
    return PyModuleDef_Init(&def);
}
