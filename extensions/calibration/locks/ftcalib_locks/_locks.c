/* Calibration fixture 3: a deadlock from lock-order inversion, and its correct twin.
 *
 * Two accounts, each behind its own pthread mutex. InvertedAccounts.move_right() takes the left
 * lock then the right one; move_left() takes the right lock then the left one; both wait 100 us
 * between the two (GIL released), so two threads moving in opposite directions each hold one lock
 * and wait forever for the other. OrderedAccounts always takes the left lock first.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <unistd.h>

/* Long enough that two calls started together overlap between their first and second lock. */
#define WINDOW_US 100

typedef struct {
    PyObject_HEAD
    long left, right;
    int ordered;
    pthread_mutex_t left_lock, right_lock;
} AccountsObject;

static PyObject *
accounts_new(PyTypeObject *type, int ordered)
{
    AccountsObject *self = (AccountsObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->left = 100;
    self->right = 100;
    self->ordered = ordered;
    pthread_mutex_init(&self->left_lock, NULL);
    pthread_mutex_init(&self->right_lock, NULL);
    return (PyObject *)self;
}

static PyObject *
inverted_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    return accounts_new(type, 0);
}

static PyObject *
ordered_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    return accounts_new(type, 1);
}

static void
accounts_dealloc(AccountsObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    pthread_mutex_destroy(&self->left_lock);
    pthread_mutex_destroy(&self->right_lock);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

/* Take both locks, first then second, with the window in between; move n from *from to *to and
 * note the balances while still holding both locks (so the result is the state this move made). */
static void
move(AccountsObject *self, pthread_mutex_t *first, pthread_mutex_t *second, long *from, long *to, long n,
     long *seen)
{
    pthread_mutex_lock(first);
    usleep(WINDOW_US);
    pthread_mutex_lock(second);
    *from -= n;
    *to += n;
    seen[0] = self->left;
    seen[1] = self->right;
    pthread_mutex_unlock(second);
    pthread_mutex_unlock(first);
}

static PyObject *
accounts_move_right(AccountsObject *self, PyObject *arg)
{
    long n = PyLong_AsLong(arg);
    if (n == -1 && PyErr_Occurred()) {
        return NULL;
    }
    long seen[2];
    Py_BEGIN_ALLOW_THREADS
    move(self, &self->left_lock, &self->right_lock, &self->left, &self->right, n, seen);
    Py_END_ALLOW_THREADS
    return Py_BuildValue("(ll)", seen[0], seen[1]);
}

static PyObject *
accounts_move_left(AccountsObject *self, PyObject *arg)
{
    long n = PyLong_AsLong(arg);
    if (n == -1 && PyErr_Occurred()) {
        return NULL;
    }
    long seen[2];
    Py_BEGIN_ALLOW_THREADS
    if (self->ordered) {
        move(self, &self->left_lock, &self->right_lock, &self->right, &self->left, n, seen);
    }
    else {
        move(self, &self->right_lock, &self->left_lock, &self->right, &self->left, n, seen); /* inverted */
    }
    Py_END_ALLOW_THREADS
    return Py_BuildValue("(ll)", seen[0], seen[1]);
}

static PyObject *
accounts_balances(AccountsObject *self, PyObject *unused)
{
    long left, right;
    Py_BEGIN_ALLOW_THREADS
    pthread_mutex_lock(&self->left_lock);
    pthread_mutex_lock(&self->right_lock);
    left = self->left;
    right = self->right;
    pthread_mutex_unlock(&self->right_lock);
    pthread_mutex_unlock(&self->left_lock);
    Py_END_ALLOW_THREADS
    return Py_BuildValue("(ll)", left, right);
}

static PyMethodDef accounts_methods[] = {
    {"move_right", (PyCFunction)accounts_move_right, METH_O, "Move n from left to right."},
    {"move_left", (PyCFunction)accounts_move_left, METH_O, "Move n from right to left."},
    {"balances", (PyCFunction)accounts_balances, METH_NOARGS, "(left, right)."},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot inverted_slots[] = {
    {Py_tp_new, inverted_new},
    {Py_tp_dealloc, accounts_dealloc},
    {Py_tp_methods, accounts_methods},
    {Py_tp_doc, "Two accounts whose moves take their locks in opposite orders."},
    {0, NULL},
};

static PyType_Slot ordered_slots[] = {
    {Py_tp_new, ordered_new},
    {Py_tp_dealloc, accounts_dealloc},
    {Py_tp_methods, accounts_methods},
    {Py_tp_doc, "The same accounts, locks always taken left first."},
    {0, NULL},
};

static PyType_Spec inverted_spec = {
    "ftcalib_locks._locks.InvertedAccounts", sizeof(AccountsObject), 0, Py_TPFLAGS_DEFAULT, inverted_slots,
};

static PyType_Spec ordered_spec = {
    "ftcalib_locks._locks.OrderedAccounts", sizeof(AccountsObject), 0, Py_TPFLAGS_DEFAULT, ordered_slots,
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
locks_exec(PyObject *module)
{
    if (add_type(module, "InvertedAccounts", &inverted_spec) < 0) {
        return -1;
    }
    return add_type(module, "OrderedAccounts", &ordered_spec);
}

static PyModuleDef_Slot locks_module_slots[] = {
    {Py_mod_exec, locks_exec},
#ifdef Py_GIL_DISABLED
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef locks_module = {
    PyModuleDef_HEAD_INIT, "_locks", "Calibration fixture: lock-order inversion.", 0, NULL, locks_module_slots,
};

PyMODINIT_FUNC
PyInit__locks(void)
{
    return PyModuleDef_Init(&locks_module);
}
