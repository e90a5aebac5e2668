/* Perf fixture: work() runs ROUNDS steps of a linear congruential generator (a fixed, deterministic
 * amount of CPU, about 100 us) with the GIL released, so threads can run it in parallel on any build.
 * Built with -DFTPERF_DELAY_US=N, every call also sleeps N microseconds: the injected slowdown the
 * perf gates must catch. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <time.h>

#ifndef FTPERF_DELAY_US
#define FTPERF_DELAY_US 0
#endif

#define ROUNDS 70000UL

static PyObject *
work(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    volatile unsigned long state = 1;
    Py_BEGIN_ALLOW_THREADS
    for (unsigned long i = 0; i < ROUNDS; i++) {
        state = state * 6364136223846793005UL + 1442695040888963407UL;
    }
#if FTPERF_DELAY_US > 0
    struct timespec delay = {0, FTPERF_DELAY_US * 1000L};
    nanosleep(&delay, NULL);
#endif
    Py_END_ALLOW_THREADS
    return PyLong_FromUnsignedLong(state >> 48);
}

static PyMethodDef work_methods[] = {
    {"work", work, METH_NOARGS, "A fixed amount of C work with the GIL released; returns a checksum."},
    {NULL, NULL, 0, NULL},
};

static int
work_exec(PyObject *module)
{
    if (PyModule_AddIntConstant(module, "DELAY_US", FTPERF_DELAY_US) < 0) {
        return -1;
    }
    return PyModule_AddIntConstant(module, "ROUNDS", (long)ROUNDS);
}

static PyModuleDef_Slot work_slots[] = {
    {Py_mod_exec, work_exec},
#ifdef Py_GIL_DISABLED
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef work_module = {
    PyModuleDef_HEAD_INIT, "_work", "Perf fixture: fixed C work per call.", 0, work_methods, work_slots,
};

PyMODINIT_FUNC
PyInit__work(void)
{
    return PyModuleDef_Init(&work_module);
}
