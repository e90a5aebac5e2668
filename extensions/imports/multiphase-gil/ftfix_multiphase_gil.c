/* Multi-phase init with no Py_mod_gil slot, which means Py_MOD_GIL_USED: importing it on a
 * free-threaded build re-enables the GIL and warns. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *
hello(PyObject *module, PyObject *unused)
{
    return PyUnicode_FromString("multiphase-gil");
}

static PyMethodDef methods[] = {
    {"hello", hello, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot slots[] = {
    {0, NULL},
};

static struct PyModuleDef def = {
    PyModuleDef_HEAD_INIT, "ftfix_multiphase_gil", NULL, 0, methods, slots,
};

PyMODINIT_FUNC
PyInit_ftfix_multiphase_gil(void)
{
    return PyModuleDef_Init(&def);
}
