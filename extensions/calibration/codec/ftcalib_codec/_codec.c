/* Calibration fixture: a C function that needs bytes and an int, typed only in a shipped .pyi.
 *
 * encode(data, level) copies data (at most 64 bytes) into ONE static buffer shared by every caller,
 * yields the CPU, then reads the buffer back XOR-ed with level, all with the GIL released and no
 * lock: two threads encoding at once read each other's bytes. Built with CODEC_LOCKED (module
 * _safe) the same steps run under a pthread mutex. Neither the method table (METH_VARARGS, no
 * text signature) nor the docstring says what the arguments are: only the stub does.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <sched.h>

#define SCRATCH 64

static unsigned char scratch[SCRATCH];
static Py_ssize_t scratch_len;
static pthread_mutex_t scratch_lock = PTHREAD_MUTEX_INITIALIZER;

#ifdef CODEC_LOCKED
#define LOCKED 1
#else
#define LOCKED 0
#endif

static PyObject *
encode(PyObject *module, PyObject *args)
{
    const char *data;
    Py_ssize_t len;
    int level;
    unsigned char out[SCRATCH];
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "y#i", &data, &len, &level)) {
        return NULL;
    }
    if (len > SCRATCH) {
        len = SCRATCH;
    }
    Py_BEGIN_ALLOW_THREADS
    if (LOCKED) {
        pthread_mutex_lock(&scratch_lock);
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        __atomic_store_n(&scratch[i], (unsigned char)data[i], __ATOMIC_SEQ_CST);
    }
    __atomic_store_n(&scratch_len, len, __ATOMIC_SEQ_CST);
    sched_yield(); /* the window: another caller stages its own bytes here */
    n = __atomic_load_n(&scratch_len, __ATOMIC_SEQ_CST);
    for (Py_ssize_t i = 0; i < n; i++) {
        out[i] = __atomic_load_n(&scratch[i], __ATOMIC_SEQ_CST) ^ (unsigned char)level;
    }
    if (LOCKED) {
        pthread_mutex_unlock(&scratch_lock);
    }
    Py_END_ALLOW_THREADS
    return PyBytes_FromStringAndSize((const char *)out, n);
}

static PyMethodDef codec_methods[] = {
    {"encode", encode, METH_VARARGS, "Encode with a level."},
    {NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot codec_slots[] = {
#ifdef Py_GIL_DISABLED
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

#ifdef CODEC_LOCKED
static struct PyModuleDef codec_module = {
    PyModuleDef_HEAD_INIT, "ftcalib_codec_safe._safe", "Calibration fixture: the correct twin.", 0, codec_methods,
    codec_slots,
};

PyMODINIT_FUNC
PyInit__safe(void)
{
    return PyModuleDef_Init(&codec_module);
}
#else
static struct PyModuleDef codec_module = {
    PyModuleDef_HEAD_INIT, "ftcalib_codec._codec", "Calibration fixture: a shared staging buffer.", 0, codec_methods,
    codec_slots,
};

PyMODINIT_FUNC
PyInit__codec(void)
{
    return PyModuleDef_Init(&codec_module);
}
#endif
