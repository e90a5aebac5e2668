/* Single-phase init that declares free-threading support with PyUnstable_Module_SetGIL, which only
 * exists on free-threaded builds. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *
hello(PyObject *module, PyObject *unused)
{
    return PyUnicode_FromString("singlephase-nogil");
}

static PyMethodDef methods[] = {
    {"hello", hello, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef def = {
    PyModuleDef_HEAD_INIT, "ftfix_singlephase_nogil", NULL, -1, methods,
};

PyMODINIT_FUNC
PyInit_ftfix_singlephase_nogil(void)
{
    PyObject *module = PyModule_Create(&def);
    if (module == NULL) {
        return NULL;
    }
#ifdef Py_GIL_DISABLED
    if (PyUnstable_Module_SetGIL(module, Py_MOD_GIL_NOT_USED) < 0) {
        Py_DECREF(module);
        return NULL;
    }
#endif
    return module;
}
