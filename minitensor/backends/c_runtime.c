/* minitensor's C linker: the part that is the same for every fused node.
 *
 * Compiled once (minitensor/backends/c.py), as the Python extension module whose
 * ``bind`` makes a callable of one node's compiled loops. A node's own library
 * (its source is ``loop_source`` in c.py) holds nothing but its two loops:
 *
 *   mt_contiguous(n, data)        n elements, every array C-contiguous of one shape
 *   mt_strided(n, data, strides)  n elements at byte strides (NumPy's iterator feeds it)
 *
 * where data[k] is operand k: the node's inputs, then its constants, then its outputs.
 * This module reads the Python arguments, checks their dtypes, picks the loop, and
 * allocates the outputs; no header of Python is parsed when a node's loop compiles.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

/* The most operands NumPy 2's iterator takes (its NPY_MAXARGS, a run-time value in NumPy 2). */
#define MT_MAX_OPERANDS 64

typedef void (*contiguous_loop)(npy_intp n, char** data);
typedef void (*strided_loop)(npy_intp n, char** data, const npy_intp* strides);

/* One fused node: its loops, and what its operands must be. */
typedef struct {
  contiguous_loop contiguous;
  strided_loop strided;
  int nin;                /* inputs and constants: the operands read */
  int nout;               /* outputs: the operands written */
  int types[MT_MAX_OPERANDS]; /* the NumPy type number of each operand */
  npy_intp itemsizes[MT_MAX_OPERANDS]; /* and its size in bytes */
  char scalar[MT_MAX_OPERANDS]; /* whether input k has one element by its type: the loop reads it once */
  PyObject* constants;    /* a tuple of arrays, operands nin - len(constants) ... nin - 1 */
  PyObject* library;      /* what keeps the loops' library loaded */
} mt_node;

static const char* CAPSULE = "minitensor.c_linker.node";

/* Operand k as an array of its dtype (a new reference), or NULL with a TypeError set. */
static PyArrayObject* operand(const mt_node* node, PyObject* value, int k) {
  PyArrayObject* array;
  if (PyArray_Check(value)) {
    Py_INCREF(value);
    array = (PyArrayObject*) value;
  } else { /* a NumPy scalar (a reduction's result) or a Python number */
    array = (PyArrayObject*) PyArray_FromAny(value, NULL, 0, 0, 0, NULL);
    if (array == NULL) return NULL;
  }
  if (PyArray_TYPE(array) != node->types[k]) {
    PyArray_Descr* expected = PyArray_DescrFromType(node->types[k]);
    PyErr_Format(PyExc_TypeError, "fused node: operand %d has dtype %S, expected %S", k,
                 (PyObject*) PyArray_DESCR(array), (PyObject*) expected);
    Py_XDECREF(expected);
    Py_DECREF(array);
    return NULL;
  }
  return array;
}

/* Whether every operand that is not a scalar by its type is aligned, C-contiguous and of
 * one shape, which it then writes to *ndim and *shape; the scalars must have one element. */
static int one_shape(const mt_node* node, PyArrayObject** ops, int* ndim, npy_intp** shape) {
  *shape = NULL;
  for (int k = 0; k < node->nin; k++) {
    PyArrayObject* a = ops[k];
    if (node->scalar[k]) {
      if (PyArray_SIZE(a) != 1) return 0;
      continue;
    }
    if (!PyArray_IS_C_CONTIGUOUS(a) || !PyArray_ISALIGNED(a)) return 0;
    if (*shape == NULL) {
      *ndim = PyArray_NDIM(a);
      *shape = PyArray_DIMS(a);
    } else if (PyArray_NDIM(a) != *ndim || !PyArray_CompareLists(PyArray_DIMS(a), *shape, *ndim)) {
      return 0;
    }
  }
  return *shape != NULL;
}

/* Output k: ``given`` if it fits (C-contiguous, writeable, this dtype and shape), else new. */
static PyArrayObject* output(const mt_node* node, PyObject* given, int k, int ndim, npy_intp* shape) {
  int type = node->types[node->nin + k];
  if (given != NULL && PyArray_Check(given)) {
    PyArrayObject* a = (PyArrayObject*) given;
    if (PyArray_TYPE(a) == type && PyArray_IS_C_CONTIGUOUS(a) && PyArray_ISWRITEABLE(a) &&
        PyArray_NDIM(a) == ndim && PyArray_CompareLists(PyArray_DIMS(a), shape, ndim)) {
      Py_INCREF(given);
      return a;
    }
  }
  return (PyArrayObject*) PyArray_SimpleNew(ndim, shape, type);
}

/* Whether NumPy's iterator ``it`` gives inner loops the contiguous loop can run: every
 * operand contiguous along them (or one element by its type), at least MT_LONG elements. */
#define MT_LONG 64
static int long_contiguous(const mt_node* node, NpyIter* it) {
  npy_intp* strides = NpyIter_GetInnerStrideArray(it);
  for (int k = 0; k < node->nin + node->nout; k++)
    if (strides[k] != node->itemsizes[k] && !(k < node->nin && node->scalar[k])) return 0;
  return *NpyIter_GetInnerLoopSizePtr(it) >= MT_LONG;
}

/* Every operand through NumPy's iterator, which broadcasts them, checks that their shapes
 * agree and allocates the outputs. Where its inner loops are long and contiguous (the rows
 * of a matrix and a row broadcast along them), the contiguous loop runs on each, in place.
 * Otherwise (a column broadcast along short rows, as in ``x - max(x, axis=1)[:, None]``, a
 * transposed view) the iterator copies the operands through buffers of 8192 elements, as
 * NumPy's own loops do, so the contiguous loop still runs: the strided loop, which the
 * compiler does not vectorise, runs only on what the buffers leave strided. */
static int iterate(const mt_node* node, PyArrayObject** ops) {
  int nops = node->nin + node->nout;
  npy_uint32 flags[MT_MAX_OPERANDS];
  PyArray_Descr* dtypes[MT_MAX_OPERANDS];
  for (int k = 0; k < nops; k++) {
    flags[k] = k < node->nin ? NPY_ITER_READONLY : NPY_ITER_WRITEONLY | NPY_ITER_ALLOCATE;
    dtypes[k] = PyArray_DescrFromType(node->types[k]);
  }
  npy_uint32 common = NPY_ITER_EXTERNAL_LOOP | NPY_ITER_ZEROSIZE_OK;
  NpyIter* it = NpyIter_MultiNew(nops, ops, common, NPY_KEEPORDER, NPY_NO_CASTING, flags, dtypes);
  if (it != NULL && NpyIter_GetIterSize(it) > 0 && !long_contiguous(node, it)) {
    NpyIter_Deallocate(it);
    it = NpyIter_MultiNew(nops, ops, common | NPY_ITER_BUFFERED | NPY_ITER_GROWINNER, NPY_KEEPORDER,
                          NPY_NO_CASTING, flags, dtypes);
  }
  for (int k = 0; k < nops; k++) Py_DECREF(dtypes[k]);
  if (it == NULL) return -1;
  if (NpyIter_GetIterSize(it) > 0) {
    NpyIter_IterNextFunc* next = NpyIter_GetIterNext(it, NULL);
    if (next == NULL) {
      NpyIter_Deallocate(it);
      return -1;
    }
    char** data = NpyIter_GetDataPtrArray(it);
    npy_intp* strides = NpyIter_GetInnerStrideArray(it);
    npy_intp* size = NpyIter_GetInnerLoopSizePtr(it);
    do {
      int contiguous = 1;
      for (int k = 0; k < nops && contiguous; k++)
        contiguous = strides[k] == node->itemsizes[k] || (k < node->nin && node->scalar[k]);
      if (contiguous) {
        node->contiguous(*size, data);
      } else {
        node->strided(*size, data, strides);
      }
    } while (next(it));
  }
  for (int k = node->nin; k < nops; k++) {
    ops[k] = NpyIter_GetOperandArray(it)[k];
    Py_INCREF(ops[k]);
  }
  return NpyIter_Deallocate(it) == NPY_SUCCEED ? 0 : -1;
}

/* run(*inputs[, *outputs]): the node's outputs (one, or a tuple). An output given (not
 * None) is written into when it has the result's dtype and shape and is C-contiguous. */
static PyObject* run(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  const mt_node* node = (const mt_node*) PyCapsule_GetPointer(self, CAPSULE);
  const Py_ssize_t nconst = PyTuple_GET_SIZE(node->constants), nin = node->nin - nconst;
  const int nops = node->nin + node->nout;
  if (nargs != nin && nargs != nin + node->nout) {
    PyErr_Format(PyExc_TypeError, "fused node: takes %zd inputs (and optionally %d outputs), got %zd",
                 nin, node->nout, nargs);
    return NULL;
  }
  PyArrayObject* ops[MT_MAX_OPERANDS] = {NULL};
  PyObject* result = NULL;
  int ndim;
  npy_intp* shape;
  for (int k = 0; k < node->nin; k++) {
    PyObject* value = k < nin ? args[k] : PyTuple_GET_ITEM(node->constants, k - nin);
    if ((ops[k] = operand(node, value, k)) == NULL) goto done;
  }
  if (one_shape(node, ops, &ndim, &shape)) { /* the common case: one loop over contiguous memory */
    char* data[MT_MAX_OPERANDS];
    for (int k = 0; k < node->nout; k++) {
      PyObject* given = nargs > nin && args[nin + k] != Py_None ? args[nin + k] : NULL;
      if ((ops[node->nin + k] = output(node, given, k, ndim, shape)) == NULL) goto done;
    }
    for (int k = 0; k < nops; k++) data[k] = (char*) PyArray_DATA(ops[k]);
    npy_intp n = PyArray_SIZE(ops[node->nin]);
    if (n > 65536) { /* long enough to let other Python threads run meanwhile, as NumPy does */
      Py_BEGIN_ALLOW_THREADS
      node->contiguous(n, data);
      Py_END_ALLOW_THREADS
    } else {
      node->contiguous(n, data);
    }
  } else if (iterate(node, ops) < 0) { /* broadcasting or views; it allocates the outputs */
    goto done;
  }
  if (node->nout == 1) {
    result = (PyObject*) ops[node->nin];
    ops[node->nin] = NULL;
  } else {
    if ((result = PyTuple_New(node->nout)) == NULL) goto done;
    for (int k = 0; k < node->nout; k++) {
      PyTuple_SET_ITEM(result, k, (PyObject*) ops[node->nin + k]);
      ops[node->nin + k] = NULL;
    }
  }
done:
  for (int k = 0; k < nops; k++) Py_XDECREF(ops[k]);
  return result;
}

static PyMethodDef run_method = {"run", (PyCFunction) (void (*)(void)) run, METH_FASTCALL,
                                 "run(*inputs[, *outputs]): the fused node's outputs"};

/* Drop a node's references and free it (an mt_sum begins with its mt_node). */
static void free_node_fields(mt_node* node) {
  Py_XDECREF(node->constants);
  Py_XDECREF(node->library);
  PyMem_Free(node);
}

static void free_node(PyObject* capsule) {
  free_node_fields((mt_node*) PyCapsule_GetPointer(capsule, CAPSULE));
}

/* Fill in what every compiled node has: its operands' counts, NumPy types, item sizes and
 * read-once flags, and references to its constants and library. ``who`` names the caller
 * in the error raised (ValueError) where the counts do not agree; returns 0, or -1. */
static int describe_operands(mt_node* node, const char* who, PyObject* library, PyObject* types, PyObject* scalar,
                             int nout, PyObject* constants) {
  Py_ssize_t nops = PyTuple_GET_SIZE(types), nin = PyTuple_GET_SIZE(scalar);
  if (nops > MT_MAX_OPERANDS || nin + nout != nops || nout < 1 || PyTuple_GET_SIZE(constants) > nin) {
    PyErr_Format(PyExc_ValueError, "%s: %zd operands (at most %d), %zd inputs and %d outputs do not agree", who,
                 nops, MT_MAX_OPERANDS, nin, nout);
    return -1;
  }
  node->nin = (int) nin;
  node->nout = nout;
  for (Py_ssize_t k = 0; k < nops; k++) {
    node->types[k] = (int) PyLong_AsLong(PyTuple_GET_ITEM(types, k));
    PyArray_Descr* descr = PyArray_DescrFromType(node->types[k]);
    if (descr == NULL) return -1;
    node->itemsizes[k] = PyDataType_ELSIZE(descr);
    Py_DECREF(descr);
  }
  for (Py_ssize_t k = 0; k < nin; k++) node->scalar[k] = (char) PyObject_IsTrue(PyTuple_GET_ITEM(scalar, k));
  if (PyErr_Occurred()) return -1;
  Py_INCREF(constants);
  Py_INCREF(library);
  node->constants = constants;
  node->library = library;
  return 0;
}

/* bind(library, contiguous, strided, types, scalar, nout, constants) -> run
 *
 * ``contiguous`` and ``strided`` are the addresses of the loops in ``library`` (kept
 * alive); ``types`` the operands' NumPy type numbers (inputs, constants, outputs);
 * ``scalar`` a flag per input and constant; ``constants`` a tuple of arrays. */
static PyObject* bind(PyObject* module, PyObject* args) {
  PyObject *library, *types, *scalar, *constants;
  unsigned long long contiguous, strided;
  int nout;
  if (!PyArg_ParseTuple(args, "OKKO!O!iO!", &library, &contiguous, &strided, &PyTuple_Type, &types, &PyTuple_Type,
                        &scalar, &nout, &PyTuple_Type, &constants))
    return NULL;
  mt_node* node = (mt_node*) PyMem_Calloc(1, sizeof(mt_node));
  if (node == NULL) return PyErr_NoMemory();
  node->contiguous = (contiguous_loop) (uintptr_t) contiguous;
  node->strided = (strided_loop) (uintptr_t) strided;
  if (describe_operands(node, "bind", library, types, scalar, nout, constants) < 0) {
    PyMem_Free(node);
    return NULL;
  }
  PyObject* capsule = PyCapsule_New(node, CAPSULE, free_node);
  if (capsule == NULL) {
    free_node_fields(node);
    return NULL;
  }
  PyObject* function = PyCFunction_NewEx(&run_method, capsule, NULL);
  Py_DECREF(capsule);
  return function;
}

/* A sum of a fused node's output (or of an array: the identity), compiled by c.py's
 * ``reduction_source``: its operands are the fused node's, as in ``mt_node``, with one
 * output, the sum. Where every operand is C-contiguous of one shape (or one element), the
 * summed array is a matrix of ``outer`` rows of ``inner`` elements: the ``reduced`` axes
 * lead (``mt_sum_columns`` sums each column) or trail (``mt_sum_rows`` sums each row).
 * Anything else calls ``fallback``: the fused node's loop, then NumPy's sum. */
typedef void (*rows_loop)(npy_intp outer, npy_intp inner, char** data, char* out);
typedef void (*columns_loop)(npy_intp outer, npy_intp inner, char** data, char* out, char* acc);

typedef struct {
  mt_node node;
  rows_loop rows;
  columns_loop columns;
  int leading;             /* whether the summed axes lead (columns) or trail (rows) */
  int reduced;             /* how many axes are summed */
  npy_intp acc_itemsize;   /* the size of the type the columns are added up in */
  PyObject* fallback;
} mt_sum;

static const char* SUM_CAPSULE = "minitensor.c_linker.sum";

static PyObject* run_sum(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  const mt_sum* sum = (const mt_sum*) PyCapsule_GetPointer(self, SUM_CAPSULE);
  const mt_node* node = &sum->node;
  const Py_ssize_t nconst = PyTuple_GET_SIZE(node->constants), nin = node->nin - nconst;
  if (nargs != nin) {
    PyErr_Format(PyExc_TypeError, "sum of a fused node: takes %zd inputs, got %zd", nin, nargs);
    return NULL;
  }
  PyArrayObject* ops[MT_MAX_OPERANDS] = {NULL};
  PyObject* result = NULL;
  int ndim, fits = 1;
  npy_intp* shape;
  for (int k = 0; k < node->nin && fits; k++) {
    PyObject* value = k < nin ? args[k] : PyTuple_GET_ITEM(node->constants, k - nin);
    fits = (ops[k] = operand(node, value, k)) != NULL;
  }
  if (!fits || !one_shape(node, ops, &ndim, &shape) || ndim < sum->reduced) {
    PyErr_Clear();
    result = PyObject_Vectorcall(sum->fallback, args, nargs, NULL);
    goto done;
  }
  /* The summed array as a matrix: the axes before ``split`` make its rows, those after its
   * columns. The summed axes lead (sum each column) or trail (sum each row). */
  const int kept = ndim - sum->reduced, split = sum->leading ? sum->reduced : kept;
  npy_intp outer = 1, inner = 1;
  for (int d = 0; d < ndim; d++) {
    if (d < split) outer *= shape[d];
    else inner *= shape[d];
  }
  PyArrayObject* out = (PyArrayObject*) PyArray_SimpleNew(kept, sum->leading ? shape + split : shape, node->types[node->nin]);
  if (out == NULL) goto done;
  char* data[MT_MAX_OPERANDS];
  for (int k = 0; k < node->nin; k++) data[k] = (char*) PyArray_DATA(ops[k]);
  char* acc = NULL;
  if (sum->leading && (acc = (char*) PyMem_Malloc((inner > 0 ? inner : 1) * sum->acc_itemsize)) == NULL) {
    Py_DECREF(out);
    PyErr_NoMemory();
    goto done;
  }
  PyThreadState* saved = outer * inner > 65536 ? PyEval_SaveThread() : NULL; /* as run's loops */
  if (sum->leading) sum->columns(outer, inner, data, PyArray_DATA(out), acc);
  else sum->rows(outer, inner, data, PyArray_DATA(out));
  if (saved != NULL) PyEval_RestoreThread(saved);
  PyMem_Free(acc);
  result = (PyObject*) out;
done:
  for (int k = 0; k < node->nin; k++) Py_XDECREF(ops[k]);
  return result;
}

static PyMethodDef run_sum_method = {"run", (PyCFunction) (void (*)(void)) run_sum, METH_FASTCALL,
                                     "run(*inputs): the sum of the fused node's output"};

static void free_sum(PyObject* capsule) {
  mt_sum* sum = (mt_sum*) PyCapsule_GetPointer(capsule, SUM_CAPSULE);
  Py_XDECREF(sum->fallback);
  free_node_fields(&sum->node);
}

/* bind_sum(library, rows, columns, types, scalar, constants, leading, reduced, acc_itemsize,
 *          fallback) -> run
 *
 * ``rows`` and ``columns`` are the addresses of the loops in ``library``; ``types`` the
 * operands' NumPy type numbers (inputs, constants, then the sum's); ``scalar`` a flag per
 * input and constant; ``fallback`` a callable of the inputs. */
static PyObject* bind_sum(PyObject* module, PyObject* args) {
  PyObject *library, *types, *scalar, *constants, *fallback;
  unsigned long long rows, columns;
  int leading, reduced;
  Py_ssize_t acc_itemsize;
  if (!PyArg_ParseTuple(args, "OKKO!O!O!iinO", &library, &rows, &columns, &PyTuple_Type, &types, &PyTuple_Type,
                        &scalar, &PyTuple_Type, &constants, &leading, &reduced, &acc_itemsize, &fallback))
    return NULL;
  if (reduced < 0) {
    PyErr_SetString(PyExc_ValueError, "bind_sum: a negative number of axes");
    return NULL;
  }
  mt_sum* sum = (mt_sum*) PyMem_Calloc(1, sizeof(mt_sum));
  if (sum == NULL) return PyErr_NoMemory();
  sum->rows = (rows_loop) (uintptr_t) rows;
  sum->columns = (columns_loop) (uintptr_t) columns;
  sum->leading = leading;
  sum->reduced = reduced;
  sum->acc_itemsize = acc_itemsize;
  if (describe_operands(&sum->node, "bind_sum", library, types, scalar, 1, constants) < 0) {
    PyMem_Free(sum);
    return NULL;
  }
  Py_INCREF(fallback);
  sum->fallback = fallback;
  PyObject* capsule = PyCapsule_New(sum, SUM_CAPSULE, free_sum);
  if (capsule == NULL) {
    Py_DECREF(fallback);
    free_node_fields(&sum->node);
    return NULL;
  }
  PyObject* function = PyCFunction_NewEx(&run_sum_method, capsule, NULL);
  Py_DECREF(capsule);
  return function;
}

static PyMethodDef methods[] = {
    {"bind", bind, METH_VARARGS, "bind(library, contiguous, strided, types, scalar, nout, constants) -> run"},
    {"bind_sum", bind_sum, METH_VARARGS, "bind_sum(library, rows, columns, types, scalar, constants, leading, "
     "reduced, acc_itemsize, fallback) -> run"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, MT_MODULE_NAME, NULL, -1, methods};

#define MT_INIT_NAME(name) PyInit_##name
#define MT_INIT(name) MT_INIT_NAME(name)
PyMODINIT_FUNC MT_INIT(MT_MODULE)(void) {
  import_array();
  return PyModule_Create(&module);
}
