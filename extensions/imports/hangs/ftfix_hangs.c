/* Multi-phase init whose exec slot sleeps forever with the GIL released: an import that never
 * returns. It declares Py_MOD_GIL_NOT_USED, so on a free-threaded build the only finding is the hang. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#ifdef _WIN32
#include <windows.h>
#else
#include <unistd.h>
#endif

static int
exec_module(PyObject *module)
{
    Py_BEGIN_ALLOW_THREADS
    for (;;) {
#ifdef _WIN32
        Sleep(1000);
#else
        sleep(1);
#endif
    }
    Py_END_ALLOW_THREADS
    return 0;
}

static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, exec_module},
#ifdef Py_mod_gil
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef def = {
    PyModuleDef_HEAD_INIT, "ftfix_hangs", NULL, 0, NULL, slots,
};

PyMODINIT_FUNC
PyInit_ftfix_hangs(void)
{
    return PyModuleDef_Init(&def);
}
