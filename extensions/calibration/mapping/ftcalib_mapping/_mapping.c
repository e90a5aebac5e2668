/* Calibration fixture: a mapping whose race shows only through __setitem__ / __delitem__.
 *
 * RacySlots maps int keys 0..15 to int values. obj[k] = v on a new key, and del obj[k], read the
 * item count, yield the CPU, then write it back, with the GIL released and no lock: two threads
 * that insert (or delete) different keys at once both write their own count and one update is
 * lost, so len(obj) no longer matches the keys it holds. It has no public method: only the mapping
 * protocol (obj[k], obj[k] = v, del obj[k], k in obj, len(obj)) reaches it.
 * LockedSlots does the same steps under a pthread mutex.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <sched.h>

#define SLOTS 16

typedef struct {
    PyObject_HEAD
    long values[SLOTS];
    int present[SLOTS];
    Py_ssize_t count;
    int locked;
    pthread_mutex_t lock;
} SlotsObject;

static PyObject *
slots_new(PyTypeObject *type, int locked)
{
    SlotsObject *self = (SlotsObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    for (int i = 0; i < SLOTS; i++) {
        self->values[i] = 0;
        self->present[i] = 0;
    }
    self->count = 0;
    self->locked = locked;
    pthread_mutex_init(&self->lock, NULL);
    return (PyObject *)self;
}

static PyObject *
racy_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    return slots_new(type, 0);
}

static PyObject *
locked_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    return slots_new(type, 1);
}

static void
slots_dealloc(SlotsObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    pthread_mutex_destroy(&self->lock);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

/* The slot of an int key 0..SLOTS-1, or -1 with an exception set (KeyError, TypeError). */
static int
slot_of(PyObject *key)
{
    if (!PyLong_Check(key)) {
        PyErr_SetString(PyExc_TypeError, "keys are ints");
        return -1;
    }
    long k = PyLong_AsLong(key);
    if (k == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (k < 0 || k >= SLOTS) {
        PyErr_SetObject(PyExc_KeyError, key);
        return -1;
    }
    return (int)k;
}

static void
lock(SlotsObject *self)
{
    if (self->locked) {
        pthread_mutex_lock(&self->lock);
    }
}

static void
unlock(SlotsObject *self)
{
    if (self->locked) {
        pthread_mutex_unlock(&self->lock);
    }
}

static Py_ssize_t
slots_length(SlotsObject *self)
{
    Py_ssize_t n;
    Py_BEGIN_ALLOW_THREADS
    lock(self);
    n = __atomic_load_n(&self->count, __ATOMIC_SEQ_CST);
    unlock(self);
    Py_END_ALLOW_THREADS
    return n;
}

static PyObject *
slots_subscript(SlotsObject *self, PyObject *key)
{
    int k = slot_of(key);
    int present;
    long value;
    if (k < 0) {
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    lock(self);
    present = __atomic_load_n(&self->present[k], __ATOMIC_SEQ_CST);
    value = __atomic_load_n(&self->values[k], __ATOMIC_SEQ_CST);
    unlock(self);
    Py_END_ALLOW_THREADS
    if (!present) {
        PyErr_SetObject(PyExc_KeyError, key);
        return NULL;
    }
    return PyLong_FromLong(value);
}

static int
slots_ass_subscript(SlotsObject *self, PyObject *key, PyObject *value)
{
    int k = slot_of(key);
    long v = 0;
    int missing = 0;
    if (k < 0) {
        return -1;
    }
    if (value != NULL) {
        v = PyLong_AsLong(value);
        if (v == -1 && PyErr_Occurred()) {
            return -1;
        }
    }
    Py_BEGIN_ALLOW_THREADS
    lock(self);
    int was = __atomic_load_n(&self->present[k], __ATOMIC_SEQ_CST);
    if (value == NULL && !was) {
        missing = 1;
    }
    else if (value == NULL || !was) {
        Py_ssize_t n = __atomic_load_n(&self->count, __ATOMIC_SEQ_CST);
        sched_yield(); /* the window: another insert or delete reads the same count here */
        __atomic_store_n(&self->count, n + (value == NULL ? -1 : 1), __ATOMIC_SEQ_CST);
        __atomic_store_n(&self->present[k], value != NULL, __ATOMIC_SEQ_CST);
    }
    if (value != NULL) {
        __atomic_store_n(&self->values[k], v, __ATOMIC_SEQ_CST);
    }
    unlock(self);
    Py_END_ALLOW_THREADS
    if (missing) {
        PyErr_SetObject(PyExc_KeyError, key);
        return -1;
    }
    return 0;
}

static int
slots_contains(SlotsObject *self, PyObject *key)
{
    if (!PyLong_Check(key)) {
        return 0;
    }
    long k = PyLong_AsLong(key);
    if (k == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (k < 0 || k >= SLOTS) {
        return 0;
    }
    return __atomic_load_n(&self->present[k], __ATOMIC_SEQ_CST);
}

#define SLOTS_TYPE(NEW, DOC)                                                                         \
    {                                                                                                \
        {Py_tp_new, NEW}, {Py_tp_dealloc, slots_dealloc}, {Py_mp_length, slots_length},              \
            {Py_mp_subscript, slots_subscript}, {Py_mp_ass_subscript, slots_ass_subscript},          \
            {Py_sq_contains, slots_contains}, {Py_tp_doc, DOC}, {0, NULL},                           \
    }

static PyType_Slot racy_slots[] = SLOTS_TYPE(racy_new, "RacySlots(): int keys 0..15; inserts and deletes lose count updates.");
static PyType_Slot locked_slots[] = SLOTS_TYPE(locked_new, "LockedSlots(): the same mapping with a mutex around every access.");

static PyType_Spec racy_spec = {
    "ftcalib_mapping._mapping.RacySlots", sizeof(SlotsObject), 0, Py_TPFLAGS_DEFAULT, racy_slots,
};
static PyType_Spec locked_spec = {
    "ftcalib_mapping._mapping.LockedSlots", sizeof(SlotsObject), 0, Py_TPFLAGS_DEFAULT, locked_slots,
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
mapping_exec(PyObject *module)
{
    if (add_type(module, "RacySlots", &racy_spec) < 0) {
        return -1;
    }
    return add_type(module, "LockedSlots", &locked_spec);
}

static PyModuleDef_Slot mapping_module_slots[] = {
    {Py_mod_exec, mapping_exec},
#ifdef Py_GIL_DISABLED
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef mapping_module = {
    PyModuleDef_HEAD_INIT, "_mapping", "Calibration fixture: a mapping raced only through its protocol.", 0, NULL,
    mapping_module_slots,
};

PyMODINIT_FUNC
PyInit__mapping(void)
{
    return PyModuleDef_Init(&mapping_module);
}
