"""The census's case registry: each case builds one small TF program through the public
`tf.compat.v1` API inside a fresh `tf.Graph` (graph mode), under one of three behaviour modes.

A case is a function `fn(ctx)` that builds ops and returns the tensors a program would fetch (any
nest of tensors, `IndexedSlices`, `SparseTensor`, `RaggedTensor` or operations). The harness
(`census.py`) then differentiates a scalar loss through every floating output with respect to
every float placeholder made with `ctx` and every trainable variable, adds the initializers a
program runs, and reads the op types out of the graph's `GraphDef` (its function library too).

Modes (TF keeps these toggles in module globals, so cases run one at a time, in one thread):
- `DEFAULT`: TF 2.21's own behaviour with eager execution off: resource variables, control flow v2.
- `REF`: `tf.compat.v1.disable_resource_variables()` (ref variables, `VariableV2`).
- `CF_V1`: `tf.compat.v1.disable_control_flow_v2()` (Switch/Merge/Enter/Exit control flow).
"""
import contextlib
import os

import tensorflow as tf

v1 = tf.compat.v1

DEFAULT, REF, CF_V1 = "default", "ref", "cf_v1"


class Case:
    def __init__(self, area, name, fn, mode):
        self.area, self.name, self.fn, self.mode = area, name, fn, mode


CASES = []


def case(area, name=None, mode=DEFAULT):
    """Decorator: registers `fn(ctx)` as case `name` (default: the function's name) of `area`."""
    def register(fn):
        add(area, name or fn.__name__, fn, mode)
        return fn
    return register


def add(area, name, fn, mode=DEFAULT):
    if any(c.area == area and c.name == name for c in CASES):
        raise ValueError(f"census case {area}/{name} registered twice")
    CASES.append(Case(area, name, fn, mode))


@contextlib.contextmanager
def behaviour(mode):
    """Runs the body with `mode`'s toggles set, restoring TF's defaults afterwards."""
    if mode == REF:
        v1.disable_resource_variables()
    elif mode == CF_V1:
        v1.disable_control_flow_v2()
    try:
        yield
    finally:
        v1.enable_resource_variables()
        v1.enable_control_flow_v2()


class Ctx:
    """What a case builds its inputs with; it remembers the float inputs to differentiate by."""

    def __init__(self, tmpdir):
        self.tmpdir = tmpdir
        self.inputs = []
        self._n = 0

    def _name(self, prefix):
        self._n += 1
        return f"{prefix}{self._n}"

    def ph(self, shape, dtype=tf.float32, name=None):
        """A placeholder; float ones are differentiated by."""
        p = v1.placeholder(dtype, shape, name=name or self._name("input"))
        if p.dtype.is_floating:
            self.inputs.append(p)
        return p

    def var(self, shape, dtype=tf.float32, name=None, initializer=None, **kwargs):
        """A `tf.compat.v1.get_variable` (resource or ref by the mode), seeded glorot-uniform."""
        if initializer is None and dtype.is_floating:
            initializer = v1.glorot_uniform_initializer(seed=7)
        return v1.get_variable(name or self._name("var"), shape, dtype, initializer=initializer, **kwargs)

    def watch(self, *tensors):
        """Adds tensors or variables (e.g. Keras weights) to what the loss is differentiated by."""
        self.inputs.extend(tensors)

    def sparse_ph(self, shape, dtype=tf.float32):
        """A `tf.compat.v1.sparse_placeholder`; its float values are differentiated by."""
        sp = v1.sparse_placeholder(dtype, shape, name=self._name("sparse"))
        if dtype.is_floating:
            self.inputs.append(sp.values)
        return sp

    def path(self, name):
        """A path under the run's scratch directory (for writers and file-backed ops)."""
        return os.path.join(self.tmpdir, name)
