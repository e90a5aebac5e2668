/* Calibration fixture: a bank of accounts whose transfers lose updates, and its correct twins.
 *
 * RacyBank.transfer(src, dst, amount) reads both balances, yields the CPU, then writes both back,
 * with the GIL released and no lock: two transfers that touch one account both write their own
 * result and one update is lost, so the conserved total drifts. transfer() returns None, so only
 * balance(i) and the total property show it.
 * LockedBank does the same steps under a pthread mutex.
 * TallyBank is LockedBank plus a statistics field (transfers made) bumped after the mutex is
 * released: a plain read-modify-write from many threads, a data race that no result shows (the
 * field is never read back). ThreadSanitizer reports it; the stress engine rightly finds nothing.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <sched.h>

#define MAX_ACCOUNTS 64

typedef struct {
    PyObject_HEAD
    long balances[MAX_ACCOUNTS];
    Py_ssize_t accounts;
    int locked;
    int tally;
    long transfers; /* TallyBank only: written without the lock, never read */
    pthread_mutex_t lock;
} BankObject;

static PyObject *
bank_new(PyTypeObject *type, PyObject *args, PyObject *kwds, int locked, int tally)
{
    static char *kwlist[] = {"accounts", "opening", NULL};
    Py_ssize_t accounts = 4;
    long opening = 100;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|nl", kwlist, &accounts, &opening)) {
        return NULL;
    }
    if (accounts < 1 || accounts > MAX_ACCOUNTS) {
        PyErr_Format(PyExc_ValueError, "accounts must be 1..%d", MAX_ACCOUNTS);
        return NULL;
    }
    BankObject *self = (BankObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < accounts; i++) {
        self->balances[i] = opening;
    }
    self->accounts = accounts;
    self->locked = locked;
    self->tally = tally;
    self->transfers = 0;
    pthread_mutex_init(&self->lock, NULL);
    return (PyObject *)self;
}

static PyObject *
racy_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    return bank_new(type, args, kwds, 0, 0);
}

static PyObject *
locked_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    return bank_new(type, args, kwds, 1, 0);
}

static PyObject *
tally_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    return bank_new(type, args, kwds, 1, 1);
}

static void
bank_dealloc(BankObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    pthread_mutex_destroy(&self->lock);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static int
check_index(BankObject *self, Py_ssize_t i)
{
    if (i < 0 || i >= self->accounts) {
        PyErr_SetString(PyExc_IndexError, "no such account");
        return -1;
    }
    return 0;
}

static PyObject *
bank_transfer(BankObject *self, PyObject *args)
{
    Py_ssize_t src, dst;
    long amount;
    if (!PyArg_ParseTuple(args, "nnl", &src, &dst, &amount)) {
        return NULL;
    }
    if (check_index(self, src) < 0 || check_index(self, dst) < 0) {
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    if (self->locked) {
        pthread_mutex_lock(&self->lock);
    }
    long from = self->balances[src];
    long to = self->balances[dst];
    sched_yield(); /* the window: another transfer reads the same balances here */
    if (src != dst) {
        self->balances[src] = from - amount;
        self->balances[dst] = to + amount;
    }
    if (self->locked) {
        pthread_mutex_unlock(&self->lock);
    }
    if (self->tally) {
        self->transfers = self->transfers + 1; /* the benign-looking race: statistics only */
    }
    Py_END_ALLOW_THREADS
    Py_RETURN_NONE;
}

static PyObject *
bank_balance(BankObject *self, PyObject *arg)
{
    Py_ssize_t i = PyLong_AsSsize_t(arg);
    long value;
    if (i == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (check_index(self, i) < 0) {
        return NULL;
    }
    if (self->locked) {
        Py_BEGIN_ALLOW_THREADS
        pthread_mutex_lock(&self->lock);
        Py_END_ALLOW_THREADS
    }
    value = self->balances[i];
    if (self->locked) {
        pthread_mutex_unlock(&self->lock);
    }
    return PyLong_FromLong(value);
}

static PyObject *
bank_total(BankObject *self, void *closure)
{
    long sum = 0;
    if (self->locked) {
        Py_BEGIN_ALLOW_THREADS
        pthread_mutex_lock(&self->lock);
        Py_END_ALLOW_THREADS
    }
    for (Py_ssize_t i = 0; i < self->accounts; i++) {
        sum += self->balances[i];
    }
    if (self->locked) {
        pthread_mutex_unlock(&self->lock);
    }
    return PyLong_FromLong(sum);
}

static PyMethodDef bank_methods[] = {
    {"transfer", (PyCFunction)bank_transfer, METH_VARARGS, "transfer(src, dst, amount): move amount between accounts."},
    {"balance", (PyCFunction)bank_balance, METH_O, "balance(i): the balance of account i."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef bank_getset[] = {
    {"total", (getter)bank_total, NULL, "The sum of every balance (transfers conserve it).", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

#define BANK_SLOTS(NEW, DOC)                                                                        \
    {                                                                                               \
        {Py_tp_new, NEW}, {Py_tp_dealloc, bank_dealloc}, {Py_tp_methods, bank_methods},             \
            {Py_tp_getset, bank_getset}, {Py_tp_doc, DOC}, {0, NULL},                               \
    }

static PyType_Slot racy_slots[] = BANK_SLOTS(racy_new, "RacyBank(accounts=4, opening=100): transfers lose updates.");
static PyType_Slot locked_slots[] = BANK_SLOTS(locked_new, "LockedBank(accounts=4, opening=100): a mutex around every access.");
static PyType_Slot tally_slots[] = BANK_SLOTS(tally_new, "TallyBank(accounts=4, opening=100): LockedBank plus an unlocked statistics field.");

static PyType_Spec racy_spec = {
    "ftcalib_bank._bank.RacyBank", sizeof(BankObject), 0, Py_TPFLAGS_DEFAULT, racy_slots,
};
static PyType_Spec locked_spec = {
    "ftcalib_bank._bank.LockedBank", sizeof(BankObject), 0, Py_TPFLAGS_DEFAULT, locked_slots,
};
static PyType_Spec tally_spec = {
    "ftcalib_bank._bank.TallyBank", sizeof(BankObject), 0, Py_TPFLAGS_DEFAULT, tally_slots,
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
bank_exec(PyObject *module)
{
    if (add_type(module, "RacyBank", &racy_spec) < 0 || add_type(module, "LockedBank", &locked_spec) < 0) {
        return -1;
    }
    return add_type(module, "TallyBank", &tally_spec);
}

static PyModuleDef_Slot bank_module_slots[] = {
    {Py_mod_exec, bank_exec},
#ifdef Py_GIL_DISABLED
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef bank_module = {
    PyModuleDef_HEAD_INIT, "_bank", "Calibration fixture: lost updates seen through accessors.", 0, NULL,
    bank_module_slots,
};

PyMODINIT_FUNC
PyInit__bank(void)
{
    return PyModuleDef_Init(&bank_module);
}
