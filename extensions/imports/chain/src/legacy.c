/* Multi-phase init without the Py_mod_gil slot: needs the GIL. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *
answer(PyObject *module, PyObject *unused)
{
    return PyLong_FromLong(2);
}

static PyMethodDef methods[] = {
    {"answer", answer, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot slots[] = {
    {0, NULL},
};

static struct PyModuleDef def = {
    PyModuleDef_HEAD_INIT, "ftfix_chain._legacy", NULL, 0, methods, slots,
};

PyMODINIT_FUNC
PyInit__legacy(void)
{
    return PyModuleDef_Init(&def);
}
