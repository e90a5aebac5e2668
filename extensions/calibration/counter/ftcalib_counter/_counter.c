/* Calibration fixture 1: lost updates on a shared counter, and its correct twin.
 *
 * RacyCounter.add() loads the value, yields the CPU, then stores value + n, all with the GIL released:
 * two threads that load the same value both store their own sum and one update is lost. The loads
 * and stores are atomic (no undefined behaviour); the read-modify-write as a whole is not.
 * LockedCounter does the same steps under a pthread mutex (also with the GIL released).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <sched.h>

typedef struct {
    PyObject_HEAD
    long value;
    int locked;
    pthread_mutex_t lock;
} CounterObject;

static PyObject *
counter_new(PyTypeObject *type, int locked)
{
    CounterObject *self = (CounterObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->value = 0;
    self->locked = locked;
    pthread_mutex_init(&self->lock, NULL);
    return (PyObject *)self;
}

static PyObject *
racy_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    return counter_new(type, 0);
}

static PyObject *
locked_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    return counter_new(type, 1);
}

static void
counter_dealloc(CounterObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    pthread_mutex_destroy(&self->lock);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static PyObject *
counter_add(CounterObject *self, PyObject *arg)
{
    long n = PyLong_AsLong(arg);
    long result;
    if (n == -1 && PyErr_Occurred()) {
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    if (self->locked) {
        pthread_mutex_lock(&self->lock);
    }
    result = __atomic_load_n(&self->value, __ATOMIC_SEQ_CST);
    sched_yield(); /* the window: another thread loads the same value here */
    result += n;
    __atomic_store_n(&self->value, result, __ATOMIC_SEQ_CST);
    if (self->locked) {
        pthread_mutex_unlock(&self->lock);
    }
    Py_END_ALLOW_THREADS
    return PyLong_FromLong(result);
}

static PyObject *
counter_get(CounterObject *self, PyObject *unused)
{
    return PyLong_FromLong(__atomic_load_n(&self->value, __ATOMIC_SEQ_CST));
}

static PyMethodDef counter_methods[] = {
    {"add", (PyCFunction)counter_add, METH_O, "Add n; return the new value."},
    {"get", (PyCFunction)counter_get, METH_NOARGS, "The current value."},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot racy_slots[] = {
    {Py_tp_new, racy_new},
    {Py_tp_dealloc, counter_dealloc},
    {Py_tp_methods, counter_methods},
    {Py_tp_doc, "A counter whose add() loses updates under concurrency."},
    {0, NULL},
};

static PyType_Slot locked_slots[] = {
    {Py_tp_new, locked_new},
    {Py_tp_dealloc, counter_dealloc},
    {Py_tp_methods, counter_methods},
    {Py_tp_doc, "The same counter with a mutex around add()."},
    {0, NULL},
};

static PyType_Spec racy_spec = {
    "ftcalib_counter._counter.RacyCounter", sizeof(CounterObject), 0, Py_TPFLAGS_DEFAULT, racy_slots,
};

static PyType_Spec locked_spec = {
    "ftcalib_counter._counter.LockedCounter", sizeof(CounterObject), 0, Py_TPFLAGS_DEFAULT, locked_slots,
};

static int
add_type(PyObject *module, const char *name, PyType_Spec *spec)
{
    PyObject *type = PyType_FromSpec(spec);
    if (type == NULL) {
        return -1;
    }
    if (PyModule_AddObject(module, name, type) < 0) {
        Py_DECREF(type);
        return -1;
    }
    return 0;
}

static int
counter_exec(PyObject *module)
{
    if (add_type(module, "RacyCounter", &racy_spec) < 0) {
        return -1;
    }
    return add_type(module, "LockedCounter", &locked_spec);
}

static PyModuleDef_Slot counter_module_slots[] = {
    {Py_mod_exec, counter_exec},
#ifdef Py_GIL_DISABLED
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef counter_module = {
    PyModuleDef_HEAD_INIT, "_counter", "Calibration fixture: lost updates.", 0, NULL, counter_module_slots,
};

PyMODINIT_FUNC
PyInit__counter(void)
{
    return PyModuleDef_Init(&counter_module);
}
