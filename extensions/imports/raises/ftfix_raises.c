/* Multi-phase init whose exec slot raises. It declares Py_MOD_GIL_NOT_USED, so on a free-threaded
 * build the only finding is the import error. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static int
exec_module(PyObject *module)
{
    PyErr_SetString(PyExc_RuntimeError, "ftfix_raises: deliberate failure during import");
    return -1;
}

static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, exec_module},
#ifdef Py_mod_gil
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef def = {
    PyModuleDef_HEAD_INIT, "ftfix_raises", NULL, 0, NULL, slots,
};

PyMODINIT_FUNC
PyInit_ftfix_raises(void)
{
    return PyModuleDef_Init(&def);
}
