# cython: language_level=3, embedsignature=True, auto_pickle=False
"""``StreamCore``, compiled twin of ``_stream_core_py``.

``__anext__`` returns a small awaitable, not a coroutine. Awaited, it builds the next chunk
from the events already decoded and returns it through ``am_send`` (no coroutine object, no
frame, no ``StopIteration``); when they are used up, or before the first content, it creates
``ChatStream._anext_slow()`` and passes every send, throw and close on to it. Nothing runs
before the first send, as with a coroutine: a task cancelled before it started takes no chunk.
"""

from cpython.object cimport PyObject
from cpython.ref cimport Py_REFCNT

from ._accumulate_c cimport StreamAccumulator
from .providers._adapter_c cimport CompiledAdapter

__all__ = ["StreamCore", "inherit_anext"]


cdef extern from *:
    """
    typedef PyObject *(*literllm_next_fn)(PyObject *);

    /* The chunk the decoded events make (new reference), None when they are used up or
       the stream waits for its first content, NULL with an exception set. */
    static literllm_next_fn literllm_next_decoded = NULL;
    /* Hands a step that returned its chunk back to its stream, for the next __anext__. */
    typedef void (*literllm_keep_fn)(PyObject *, PyObject *);
    static literllm_keep_fn literllm_keep_spare = NULL;
    static PyObject *literllm_slow_name = NULL;

    typedef struct {
        PyObject_HEAD
        PyObject *core;   /* the stream, until the step is first sent to */
        PyObject *inner;  /* core._anext_slow(), once the step needed it */
    } literllm_AnextStep;

    static int literllm_step_traverse(PyObject *self, visitproc visit, void *arg) {
        literllm_AnextStep *step = (literllm_AnextStep *)self;
        Py_VISIT(step->core);
        Py_VISIT(step->inner);
        return 0;
    }

    static int literllm_step_clear(PyObject *self) {
        literllm_AnextStep *step = (literllm_AnextStep *)self;
        Py_CLEAR(step->core);
        Py_CLEAR(step->inner);
        return 0;
    }

    static void literllm_step_dealloc(PyObject *self) {
        PyObject_GC_UnTrack(self);
        literllm_step_clear(self);
        PyObject_GC_Del(self);
    }

    static PySendResult literllm_step_send(PyObject *self, PyObject *arg, PyObject **result) {
        literllm_AnextStep *step = (literllm_AnextStep *)self;
        if (step->inner == NULL) {
            PyObject *core = step->core;
            PyObject *chunk;
            if (core == NULL) {
                PyErr_SetString(PyExc_RuntimeError, "cannot reuse already awaited __anext__()");
                *result = NULL;
                return PYGEN_ERROR;
            }
            step->core = NULL;  /* its reference is this function's now */
            chunk = literllm_next_decoded(core);
            if (chunk == NULL) {
                Py_DECREF(core);
                *result = NULL;
                return PYGEN_ERROR;
            }
            if (chunk != Py_None) {
                literllm_keep_spare(core, self);
                Py_DECREF(core);
                *result = chunk;
                return PYGEN_RETURN;
            }
            Py_DECREF(chunk);
            step->inner = PyObject_CallMethodNoArgs(core, literllm_slow_name);
            Py_DECREF(core);
            if (step->inner == NULL) {
                *result = NULL;
                return PYGEN_ERROR;
            }
        }
        return PyIter_Send(step->inner, arg, result);
    }

    /* send() and __next__(): a return becomes StopIteration(value), as a coroutine's does. */
    static PyObject *literllm_step_send_method(PyObject *self, PyObject *arg) {
        PyObject *result;
        PyObject *stop;
        PySendResult status = literllm_step_send(self, arg, &result);
        if (status != PYGEN_RETURN) {
            return status == PYGEN_NEXT ? result : NULL;
        }
        stop = PyObject_CallOneArg(PyExc_StopIteration, result);
        Py_DECREF(result);
        if (stop != NULL) {
            PyErr_SetObject(PyExc_StopIteration, stop);
            Py_DECREF(stop);
        }
        return NULL;
    }

    static PyObject *literllm_step_iternext(PyObject *self) {
        return literllm_step_send_method(self, Py_None);
    }

    static PyObject *literllm_step_throw(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
        literllm_AnextStep *step = (literllm_AnextStep *)self;
        PyObject *thrown;
        PyObject *value;
        if (step->inner != NULL) {
            PyObject *method = PyObject_GetAttrString(step->inner, "throw");
            PyObject *result;
            if (method == NULL) {
                return NULL;
            }
            result = PyObject_Vectorcall(method, args, (size_t)nargs, NULL);
            Py_DECREF(method);
            return result;
        }
        if (nargs < 1 || nargs > 3) {
            PyErr_SetString(PyExc_TypeError, "throw expected 1 to 3 arguments");
            return NULL;
        }
        /* Never started: the exception comes straight out and nothing of the stream was
           used, as with a coroutine thrown into before its first send. */
        Py_CLEAR(step->core);
        thrown = args[0];
        value = nargs > 1 ? args[1] : Py_None;
        if (PyExceptionInstance_Check(thrown)) {
            PyErr_SetObject((PyObject *)Py_TYPE(thrown), thrown);
        } else if (PyExceptionClass_Check(thrown)) {
            if (value != Py_None && PyObject_TypeCheck(value, (PyTypeObject *)thrown)) {
                PyErr_SetObject(thrown, value);
            } else {
                PyObject *made = value == Py_None ? PyObject_CallNoArgs(thrown)
                                                  : PyObject_CallOneArg(thrown, value);
                if (made == NULL) {
                    return NULL;
                }
                PyErr_SetObject(thrown, made);
                Py_DECREF(made);
            }
        } else {
            PyErr_SetString(PyExc_TypeError,
                            "exceptions must be classes or instances deriving from BaseException");
        }
        return NULL;
    }

    static PyObject *literllm_step_close(PyObject *self, PyObject *unused) {
        literllm_AnextStep *step = (literllm_AnextStep *)self;
        PyObject *inner = step->inner;
        Py_CLEAR(step->core);
        if (inner != NULL) {
            PyObject *result;
            step->inner = NULL;
            result = PyObject_CallMethod(inner, "close", NULL);
            Py_DECREF(inner);
            return result;
        }
        Py_RETURN_NONE;
    }

    static PyObject *literllm_step_await(PyObject *self) {
        Py_INCREF(self);
        return self;
    }

    static PyAsyncMethods literllm_step_as_async = {
        literllm_step_await, NULL, NULL, literllm_step_send,
    };

    static PyMethodDef literllm_step_methods[] = {
        {"send", (PyCFunction)literllm_step_send_method, METH_O, NULL},
        {"throw", (PyCFunction)(void (*)(void))literllm_step_throw, METH_FASTCALL, NULL},
        {"close", (PyCFunction)literllm_step_close, METH_NOARGS, NULL},
        {NULL, NULL, 0, NULL},
    };

    static PyTypeObject literllm_AnextStepType = {
        PyVarObject_HEAD_INIT(NULL, 0)
        .tp_name = "literllm._stream_core_c.AnextStep",
        .tp_basicsize = sizeof(literllm_AnextStep),
        .tp_dealloc = literllm_step_dealloc,
        .tp_as_async = &literllm_step_as_async,
        .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
        .tp_doc = "ChatStream.__anext__()'s awaitable: the next chunk.",
        .tp_traverse = literllm_step_traverse,
        .tp_clear = literllm_step_clear,
        .tp_iter = PyObject_SelfIter,
        .tp_iternext = literllm_step_iternext,
        .tp_methods = literllm_step_methods,
    };

    static PyObject *literllm_step_new(PyObject *core) {
        literllm_AnextStep *step = PyObject_GC_New(literllm_AnextStep, &literllm_AnextStepType);
        if (step == NULL) {
            return NULL;
        }
        Py_INCREF(core);
        step->core = core;
        step->inner = NULL;
        PyObject_GC_Track((PyObject *)step);
        return (PyObject *)step;
    }

    /* A Python subclass gets a slot that looks __anext__ up by name on every call (Cython
       also lists the method, and CPython only reuses a slot found as a slot wrapper): give
       the subclass the base's function. Assigning __anext__ on the class later still
       recomputes the slot as usual. */
    static int literllm_inherit_anext(PyObject *cls, PyObject *base) {
        PyTypeObject *type = (PyTypeObject *)cls;
        PyTypeObject *base_type = (PyTypeObject *)base;
        if (!PyType_Check(cls) || !PyType_IsSubtype(type, base_type)
                || type->tp_as_async == NULL || base_type->tp_as_async == NULL) {
            PyErr_SetString(PyExc_TypeError, "inherit_anext: not a subclass of StreamCore");
            return -1;
        }
        type->tp_as_async->am_anext = base_type->tp_as_async->am_anext;
        return 0;
    }

    /* A spare step again (its stream held the only reference left): awaiting the next
       chunk allocates nothing. It holds nothing while spare, so it makes no cycle. */
    static PyObject *literllm_step_rearm(PyObject *self, PyObject *core) {
        literllm_AnextStep *step = (literllm_AnextStep *)self;
        Py_CLEAR(step->inner);
        Py_INCREF(core);
        Py_XSETREF(step->core, core);
        Py_INCREF(self);
        return self;
    }

    static int literllm_step_setup(literllm_next_fn next_decoded, literllm_keep_fn keep_spare) {
        literllm_next_decoded = next_decoded;
        literllm_keep_spare = keep_spare;
        literllm_slow_name = PyUnicode_InternFromString("_anext_slow");
        if (literllm_slow_name == NULL) {
            return -1;
        }
        return PyType_Ready(&literllm_AnextStepType);
    }
    """
    ctypedef object (*literllm_next_fn)(object)
    ctypedef void (*literllm_keep_fn)(object, object) noexcept
    object literllm_step_new(object core)
    object literllm_step_rearm(object step, object core)
    int literllm_step_setup(literllm_next_fn next_decoded, literllm_keep_fn keep_spare) except -1
    int literllm_inherit_anext(object cls, object base) except -1


cdef class StreamCore:
    """What ``ChatStream`` keeps per chunk, and its ``__anext__`` (see ``_stream_core_py``)."""

    cdef public object _events
    cdef public Py_ssize_t _pos
    cdef object _on_event
    cdef object _accumulate
    # The same adapter and accumulator when they are the compiled ones, called in C.
    cdef CompiledAdapter _compiled_adapter
    cdef StreamAccumulator _compiled_accumulator
    cdef public Py_ssize_t _received
    cdef public bint _first_pending
    cdef object _spare_step

    def __anext__(self):
        cdef PyObject* spare = <PyObject*>self._spare_step
        if spare != <PyObject*>None and Py_REFCNT(<object>spare) == 1:
            step = literllm_step_rearm(<object>spare, self)
            self._spare_step = None
            return step
        return literllm_step_new(self)

    def _use(self, adapter, accumulator):
        """Build chunks with ``adapter.on_event`` and merge them with ``accumulator.add``."""
        self._on_event = adapter.on_event
        self._accumulate = accumulator.add
        self._compiled_adapter = adapter if isinstance(adapter, CompiledAdapter) else None
        self._compiled_accumulator = (
            accumulator if type(accumulator) is StreamAccumulator else None
        )

    def _next_decoded(self):
        """The next chunk the decoded events make, accumulated and counted; ``None`` when
        they are used up."""
        return _decoded_chunk(self)

    async def _anext_slow(self):
        raise NotImplementedError

    def _no_chunk(self):
        raise NotImplementedError

    def _broken_event(self, exc):
        raise NotImplementedError

    def _refused_chunk(self, exc, event):
        raise NotImplementedError


def inherit_anext(cls):
    """Let ``cls``, a Python subclass that does not define ``__anext__``, call
    ``StreamCore.__anext__`` directly instead of looking it up on every chunk."""
    for klass in cls.__mro__:
        if klass is StreamCore:
            break
        if "__anext__" in klass.__dict__:
            raise TypeError(f"{klass.__qualname__} defines __anext__ itself")
    literllm_inherit_anext(cls, StreamCore)


cdef object _decoded_chunk(StreamCore core):
    cdef Py_ssize_t pos
    cdef object events, event, chunk
    while True:
        pos = core._pos
        events = core._events
        if pos >= len(events):
            return None
        core._pos = pos + 1
        event = events[pos]
        try:
            if core._compiled_adapter is not None:
                chunk = core._compiled_adapter.chunk_of(event)
            else:
                chunk = core._on_event(event)
        except Exception as exc:
            error = core._broken_event(exc)
            raise error from error.__cause__
        if chunk is None:
            core._no_chunk()
            continue
        try:
            # Also the type check of every field the adapter passed through.
            if core._compiled_accumulator is not None:
                core._compiled_accumulator.add_chunk(chunk)
            else:
                core._accumulate(chunk)
        except Exception as exc:
            error = core._refused_chunk(exc, event)
            raise error from error.__cause__
        core._received += 1
        return chunk


cdef object _step_chunk(object core):
    cdef StreamCore stream = <StreamCore>core
    if stream._first_pending:
        return None
    return _decoded_chunk(stream)


cdef void _keep_spare(object core, object step) noexcept:
    cdef StreamCore stream = <StreamCore>core
    if stream._spare_step is None:
        stream._spare_step = step


literllm_step_setup(_step_chunk, _keep_spare)
