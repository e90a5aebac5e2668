/* Calibration fixture 2: a crash from resizing a shared buffer while others read it, and its twin.
 *
 * The buffer is one anonymous mapping holding its size and its bytes (every byte is 1, so a
 * checksum is the size). RacyBuffer.checksum() takes the block pointer and walks it with the GIL
 * released, yielding the CPU at every page; RacyBuffer.resize() maps a new block, swaps it in and
 * unmaps the old one at once, also with the GIL released. A reader still walking the old block
 * touches unmapped memory: SIGSEGV. mmap/munmap are used instead of malloc/free so that freeing
 * really unmaps (glibc keeps freed heap memory mapped and may reuse it, which would hide the bug).
 * LockedBuffer takes a pthread mutex (GIL released) around both.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>

#define PAGE 4096
#define INITIAL_PAGES 16

typedef struct {
    size_t size;
    unsigned char bytes[];
} Block;

typedef struct {
    PyObject_HEAD
    Block *block;
    int locked;
    pthread_mutex_t lock;
} BufferObject;

static Block *
block_new(size_t size)
{
    Block *block = mmap(NULL, sizeof(Block) + size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (block == MAP_FAILED) {
        return NULL;
    }
    block->size = size;
    memset(block->bytes, 1, size);
    return block;
}

static void
block_free(Block *block)
{
    munmap(block, sizeof(Block) + block->size);
}

static PyObject *
buffer_new(PyTypeObject *type, int locked)
{
    BufferObject *self = (BufferObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->locked = locked;
    pthread_mutex_init(&self->lock, NULL);
    self->block = block_new(INITIAL_PAGES * PAGE);
    if (self->block == NULL) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    return (PyObject *)self;
}

static PyObject *
racy_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    return buffer_new(type, 0);
}

static PyObject *
locked_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    return buffer_new(type, 1);
}

static void
buffer_dealloc(BufferObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    if (self->block != NULL) {
        block_free(self->block);
    }
    pthread_mutex_destroy(&self->lock);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static PyObject *
buffer_resize(BufferObject *self, PyObject *arg)
{
    long pages = PyLong_AsLong(arg);
    Block *fresh, *old;
    if (pages == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (pages < 1 || pages > 1024) {
        PyErr_SetString(PyExc_ValueError, "pages must be in 1..1024");
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    if (self->locked) {
        pthread_mutex_lock(&self->lock);
    }
    fresh = block_new((size_t)pages * PAGE);
    if (fresh != NULL) {
        old = __atomic_exchange_n(&self->block, fresh, __ATOMIC_SEQ_CST);
        block_free(old); /* a reader may still be walking it */
    }
    if (self->locked) {
        pthread_mutex_unlock(&self->lock);
    }
    Py_END_ALLOW_THREADS
    if (fresh == NULL) {
        return PyErr_NoMemory();
    }
    Py_RETURN_NONE;
}

static PyObject *
buffer_checksum(BufferObject *self, PyObject *unused)
{
    unsigned long sum = 0;
    Py_BEGIN_ALLOW_THREADS
    if (self->locked) {
        pthread_mutex_lock(&self->lock);
    }
    Block *block = __atomic_load_n(&self->block, __ATOMIC_SEQ_CST);
    size_t size = block->size;
    for (size_t i = 0; i < size; i++) {
        if (i % PAGE == 0) {
            sched_yield(); /* let a resize run while this reader walks the block */
        }
        sum += ((volatile unsigned char *)block->bytes)[i];
    }
    if (self->locked) {
        pthread_mutex_unlock(&self->lock);
    }
    Py_END_ALLOW_THREADS
    return PyLong_FromUnsignedLong(sum);
}

static PyObject *
buffer_size(BufferObject *self, PyObject *unused)
{
    size_t size;
    Py_BEGIN_ALLOW_THREADS
    if (self->locked) {
        pthread_mutex_lock(&self->lock);
    }
    size = __atomic_load_n(&self->block, __ATOMIC_SEQ_CST)->size;
    if (self->locked) {
        pthread_mutex_unlock(&self->lock);
    }
    Py_END_ALLOW_THREADS
    return PyLong_FromSize_t(size);
}

static PyMethodDef buffer_methods[] = {
    {"resize", (PyCFunction)buffer_resize, METH_O, "Replace the buffer with one of n pages."},
    {"checksum", (PyCFunction)buffer_checksum, METH_NOARGS, "Sum of all bytes (the size: every byte is 1)."},
    {"size", (PyCFunction)buffer_size, METH_NOARGS, "Size in bytes."},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot racy_slots[] = {
    {Py_tp_new, racy_new},
    {Py_tp_dealloc, buffer_dealloc},
    {Py_tp_methods, buffer_methods},
    {Py_tp_doc, "A buffer whose resize() unmaps memory that checksum() may still be reading."},
    {0, NULL},
};

static PyType_Slot locked_slots[] = {
    {Py_tp_new, locked_new},
    {Py_tp_dealloc, buffer_dealloc},
    {Py_tp_methods, buffer_methods},
    {Py_tp_doc, "The same buffer with a mutex around resize() and the readers."},
    {0, NULL},
};

static PyType_Spec racy_spec = {
    "ftcalib_buffer._buffer.RacyBuffer", sizeof(BufferObject), 0, Py_TPFLAGS_DEFAULT, racy_slots,
};

static PyType_Spec locked_spec = {
    "ftcalib_buffer._buffer.LockedBuffer", sizeof(BufferObject), 0, Py_TPFLAGS_DEFAULT, locked_slots,
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
buffer_exec(PyObject *module)
{
    if (add_type(module, "RacyBuffer", &racy_spec) < 0) {
        return -1;
    }
    return add_type(module, "LockedBuffer", &locked_spec);
}

static PyModuleDef_Slot buffer_module_slots[] = {
    {Py_mod_exec, buffer_exec},
#ifdef Py_GIL_DISABLED
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef buffer_module = {
    PyModuleDef_HEAD_INIT, "_buffer", "Calibration fixture: use after unmap.", 0, NULL, buffer_module_slots,
};

PyMODINIT_FUNC
PyInit__buffer(void)
{
    return PyModuleDef_Init(&buffer_module);
}
