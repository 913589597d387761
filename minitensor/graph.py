"""The graph vocabulary: ``Variable``, ``Constant``, ``Apply``, ``Op`` and ``Type``.

A program is a directed acyclic graph. Variables stand for values; an ``Apply``
node records that an ``Op`` was applied to input variables and made output
variables. A variable whose ``owner`` is None is a leaf: a function input, a
shared variable or a constant.

Every variable and node remembers the user's line that made it, so errors can
point at the user's code rather than at this library.

Graphs pickle. Pickle saves an object's parts before the object, recursively, so a
variable that pickled its node, whose inputs pickled their nodes, and so on, would
exceed Python's recursion limit on a graph a few hundred nodes deep. Instead a
computed variable pickles as the list of the nodes it depends on in topological
order, and a node refers to its computed inputs as (node, index) pairs: each node's
inputs are saved before it, so pickle never nests more than one node deep, and
pickle's memo keeps every variable and node one object however often it is met.

This module knows nothing about tensors; ``minitensor.tensor`` builds on it.
"""

import functools
import linecache
import os
import sys
from typing import NamedTuple

from minitensor.configuration import config
from minitensor.test_values import compute_test_values

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


class CreationSite(NamedTuple):
    """Where in the user's code a variable or node was made."""

    filename: str
    lineno: int
    function: str

    def __str__(self):
        text = linecache.getline(self.filename, self.lineno).strip()
        cell = _ipython_cell(self.filename)
        if cell is not None:  # as IPython names a cell in its tracebacks, not its temporary file
            where = f"{cell}, line {self.lineno}"
        else:
            where = f'File "{self.filename}", line {self.lineno}, in {self.function}'
        return f"{where}: {text}" if text else where

    @property
    def short(self):
        """``In [3]:1`` for a Jupyter cell, else ``file.py:12``: for one-line logs."""
        cell = _ipython_cell(self.filename)
        return f"{cell or self.filename.rsplit(os.sep, 1)[-1]}:{self.lineno}"


def _ipython_cell(filename):
    """'In [3]' when ``filename`` is the code of IPython's (Jupyter's) input cell 3, else None."""
    ipython = sys.modules.get("IPython")
    shell = getattr(ipython, "get_ipython", lambda: None)() if ipython is not None else None
    try:
        named = shell.compile.format_code_name(filename) if shell is not None else None
    except Exception:  # noqa: BLE001 -- an IPython without this method: the plain file name
        return None
    digits = "".join(c for c in named[1] if c.isdigit()) if named else ""
    return f"In [{digits}]" if digits else None


def user_creation_site():
    """The innermost stack frame outside the minitensor package, or None."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    if frame is None:
        return None
    return CreationSite(frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)


class Type:
    """The set of values a variable may take; calling a type makes a variable.

    A type says which values its variables take through ``filter(value, strict,
    allow_downcast)``, which returns the value in the type's own form (or raises
    TypeError), and compares values with ``values_eq`` and ``values_eq_approx``
    (DebugMode compares a rewrite's results with the latter). ``TensorType`` is the
    type of arrays; Theano's ``extending/type`` page makes one of Python floats.
    """

    variable_class = None  # the class of variables ``make_variable`` makes: Variable unless said
    constant_class = None

    def __call__(self, name=None):
        return self.make_variable(name)

    def make_variable(self, name=None):
        """A new variable of this type (Theano's name for calling the type)."""
        return (self.variable_class or Variable)(self, name=name)

    def make_constant(self, value, name=None):
        """A constant of this type holding ``value``, filtered strictly."""
        return (self.constant_class or Constant)(self, self.filter(value, strict=True), name=name)

    def filter(self, value, strict=False, allow_downcast=None):
        raise NotImplementedError(f"the type {self} does not say which values it holds: define its filter")

    def is_valid_value(self, value):
        """Whether ``value`` is already of this type's form (``filter`` with strict=True accepts it)."""
        try:
            self.filter(value, strict=True)
            return True
        except (TypeError, ValueError):
            return False

    def values_eq(self, a, b):
        return a == b

    def values_eq_approx(self, a, b):
        return self.values_eq(a, b)

    def accepts(self, other):
        """Whether a variable of type ``other`` may stand where one of this type is expected."""
        return self == other


class Variable:
    """A value in the graph: a leaf when ``owner`` is None, else output ``index`` of ``owner``."""

    def __init__(self, type, owner=None, index=None, name=None):
        self.type = type
        self.owner = owner
        self.index = index
        self.name = name
        self.creation_site = user_creation_site()

    @property
    def tag(self):
        """A scratchpad for anything a user or a tool attaches to the variable, as in Theano:
        ``x.tag.test_value = value`` gives it a test value (see ``minitensor.test_values``)."""
        if "_tag" not in self.__dict__:
            from minitensor.test_values import Tag
            self._tag = Tag(self)
        return self._tag

    @property
    def clients(self):
        """The (node, input position) pairs that read this variable in the last FunctionGraph
        made of it, ('output', k) for its k-th output: Theano's ``var.clients``."""
        reference = self.__dict__.get("_fgraph")
        fgraph = reference() if reference is not None else None
        if fgraph is None:
            raise AttributeError(f"{self} belongs to no FunctionGraph, so it has no clients; a "
                                 f"compiled function's f.maker.fgraph has them")
        return fgraph.clients[self]

    def __str__(self):
        if self.name is not None:
            return self.name
        if self.owner is not None:
            if len(self.owner.outputs) == 1:
                return f"{self.owner.op}.0"
            return f"{self.owner.op}.{self.index}"
        return f"<{self.type}>"

    def __repr__(self):
        if config.print_test_value and "test_value" in getattr(self.__dict__.get("_tag"), "__dict__", {}):
            return f"{self}\n{self.tag.test_value!r}"
        return str(self)

    def describe(self):
        """This variable's name and type, for error messages."""
        return f"'{self}' ({self.type})"

    def made_at(self):
        """For the end of an error message: a line saying where the user made this variable."""
        return f"\n  '{self}' was made at {self.creation_site}" if self.creation_site else ""

    def _repr_svg_(self):
        """Jupyter shows a variable as a drawing of its graph (its text, without Graphviz)."""
        from minitensor.drawing import svg_or_none
        return svg_or_none(self)

    def __getstate__(self):
        # Functions that ``eval`` compiled and cached are compiled again when needed; the
        # FunctionGraph a variable was last part of is not saved with it.
        return {key: value for key, value in self.__dict__.items() if key not in ("_eval_functions", "_fgraph")}

    def __reduce_ex__(self, protocol):
        if self.owner is None:  # a leaf pickles as usual, with the state above
            return super().__reduce_ex__(protocol)
        # A computed variable: every node it depends on, in order (see the module's docstring).
        return _output_of, (toposort([self]), self.index)


class Constant(Variable):
    """A leaf whose value is fixed when the graph is built."""

    def __init__(self, type, data, name=None):
        super().__init__(type, name=name)
        self.data = data


class Apply:
    """One application of ``op`` to ``inputs``, producing ``outputs``."""

    def __init__(self, op, inputs, outputs):
        self.op = op
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        for index, output in enumerate(self.outputs):
            output.owner, output.index = self, index
        self.creation_site = user_creation_site()

    def __repr__(self):
        return f"{self.op}({', '.join(map(str, self.inputs))})"

    def with_inputs(self, inputs):
        """This node itself if ``inputs`` are its inputs, else the same op applied to ``inputs``.

        The copy keeps the output names and the user's lines, so a rewritten graph still
        points errors at the code that made it.
        """
        if all(a is b for a, b in zip(inputs, self.inputs)):
            return self
        copy = self.op.make_node(*inputs)
        copy.creation_site = self.creation_site
        for old, new in zip(self.outputs, copy.outputs):
            new.name, new.creation_site = old.name, old.creation_site
        return copy

    def __reduce__(self):
        # Computed inputs as (node, index): those nodes come before this one in the list
        # that a variable pickles as. The outputs' attributes (names, lines, a random draw's
        # ``update``) are in the state, which pickle saves after the node itself, as they
        # may refer back to it. (A node pickled on its own, not through a variable, has
        # its inputs' nodes saved recursively: pickle variables and functions, not nodes.)
        inputs = [var if var.owner is None else (var.owner, var.index) for var in self.inputs]
        outputs = [type(var) for var in self.outputs]
        attributes = [{key: value for key, value in var.__getstate__().items() if key not in ("owner", "index")}
                      for var in self.outputs]
        return _rebuild_apply, (self.op, inputs, outputs), {"creation_site": self.creation_site,
                                                            "outputs": attributes}

    def __setstate__(self, state):
        self.creation_site = state["creation_site"]
        for var, attributes in zip(self.outputs, state["outputs"]):
            var.__dict__.update(attributes)

    def describe(self):
        """The node, its input types and the user's line that made it."""
        types = ", ".join(str(i.type) for i in self.inputs)
        site = f"\n  made at {self.creation_site}" if self.creation_site else ""
        return f"node {self.op} with inputs ({types}){site}"


def _rebuild_apply(op, inputs, output_classes):
    """The node that ``Apply.__reduce__`` saved, with new output variables of ``output_classes``
    (their attributes follow in ``Apply.__setstate__``)."""
    node = object.__new__(Apply)
    node.op = op
    node.inputs = [var if isinstance(var, Variable) else var[0].outputs[var[1]] for var in inputs]
    node.outputs = [object.__new__(cls) for cls in output_classes]
    for index, var in enumerate(node.outputs):
        var.owner, var.index = node, index
    return node


def _output_of(nodes, index):
    """Output ``index`` of the last of ``nodes``, which ``Variable.__reduce_ex__`` saved in order."""
    return nodes[-1].outputs[index]


class Op:
    """An operation. One subclass holds everything about one kind of operation:

    * ``make_node(*inputs)``: checks the inputs and infers the output types;
    * ``impl(xp, *arrays)``: computes the outputs with the array module ``xp``
      (numpy or cupy), so one implementation serves every backend;
    * ``grad(inputs, outputs, output_grads)``: the vector-Jacobian product, built
      from other ops, so gradients are graphs and can be differentiated again.
      It returns one entry per input; None means "contributes no gradient".

    Subclasses are frozen dataclasses whose fields are the op's parameters: this
    gives equality and hashing (two identical nodes can be merged) and a repr.

    Theano's way of writing an op works too (``docs/adding_an_op.md`` shows both):
    ``__props__`` names the parameters that make two ops equal (and print as
    ``Name{a=1, b=2}``); ``itypes``/``otypes`` stand for a ``make_node``;
    ``perform(node, inputs, output_storage)`` computes on NumPy arrays when the op has
    no ``impl`` (see ``minitensor.compile.perform``); the gradient is Theano's
    ``grad(inputs, output_grads)`` or ``L_op(inputs, outputs, output_grads)``; and
    ``R_op``, ``infer_shape``, ``do_constant_folding``, ``view_map`` and
    ``destroy_map`` mean what they mean in Theano.
    """

    #: True when the output may share memory with input 0 (a view, as NumPy's
    #: transpose and reshape return), so a compiled function copies it before
    #: handing it to the user or storing it in a shared variable.
    returns_view = False

    #: Theano's {output position: [input position]}: output i is a view of (view_map) or
    #: was written over (destroy_map) that input. See ``aliased_input``.
    view_map = {}
    destroy_map = {}

    #: Theano's ``itypes``/``otypes``: with them, the op needs no ``make_node``.
    itypes = None
    otypes = None

    #: Where values live (the rule is in ``minitensor/backends/__init__.py``). An op that
    #: computes on the host whatever the backend (it uses NumPy's random generators)
    #: says ``runs_on_host``, and ``reads_only_shapes`` too if its inputs' shapes are all it
    #: reads (their values may stay on the GPU); one whose purpose is to make a tensor
    #: from host sizes (``alloc``, ``arange``) says ``allocates``, so that it makes it on
    #: the function's backend even when all its inputs live on the host.
    reads_only_shapes = False  # it runs on the host and reads only its inputs' shapes
    allocates = False

    #: Complex values (``minitensor.gradient.op_gradients``): the gradient of a real cost C by a
    #: complex z is dC/dRe(z) + i dC/dIm(z), Theano's convention. For an op whose derivative
    #: is complex (arithmetic, exp, sums, dot, reshapes...), that is the op's real ``grad``
    #: applied to the conjugated output gradient, conjugated, so its ``grad`` serves both. An op
    #: that is not (abs, real, imag, conj, angle, complex) says ``holomorphic = False`` and
    #: writes the convention into its ``grad`` itself.
    holomorphic = True

    @property
    def runs_on_host(self):
        """True for an op computing with Theano's ``perform`` and no ``impl``: NumPy code, run on
        the host on any backend (``minitensor.compile.perform``). Other ops set it as a class
        attribute."""
        return computes_with_perform(self)

    def host_inputs(self, node):
        """The positions of the inputs this op reads as host values: sizes, shapes, slice
        bounds, conditions. A GPU function keeps them in host memory."""
        return ()

    def make_node(self, *inputs):
        if self.itypes is None or self.otypes is None:
            raise NotImplementedError(f"{self} defines neither make_node nor itypes and otypes")
        if len(inputs) != len(self.itypes):
            raise TypeError(f"{self} takes {len(self.itypes)} inputs, got {len(inputs)}")
        from minitensor.tensor.variable import as_tensor_variable
        inputs = [var if isinstance(var, Variable) else as_tensor_variable(var) for var in inputs]
        for position, (var, expected) in enumerate(zip(inputs, self.itypes)):
            if var.type != expected:
                raise TypeError(f"{self}: input {position} must have type {expected}, got {var.describe()}"
                                f"{var.made_at()}")
        return Apply(self, inputs, [t() for t in self.otypes])

    def impl(self, xp, *arrays):
        raise NotImplementedError(f"{self} has neither impl(xp, ...) nor perform(node, inputs, output_storage)")

    def grad(self, inputs, outputs, output_grads):
        raise NotImplementedError(f"{self} has no gradient")

    def make_thunk(self, node, xp):
        """A callable computing ``node``'s outputs from its input arrays.

        This runs once per compiled function, so an op can do here (not per
        call) whatever depends only on the node's static types. An op with
        Theano's ``perform`` and no ``impl`` runs through ``perform``.
        """
        if computes_with_perform(self):
            from minitensor.compile.perform import perform_thunk
            return perform_thunk(node, xp)
        impl = self.impl
        return lambda *arrays: impl(xp, *arrays)

    def do_constant_folding(self, node):
        """Whether a node of this op whose inputs are all constants may be computed when compiling."""
        return True

    def __call__(self, *inputs, **kwargs):
        node = self.make_node(*inputs, **kwargs)
        if config.compute_test_value != "off":
            compute_test_values(node)
        return node.outputs[0] if len(node.outputs) == 1 else node.outputs

    # --- Theano's __props__: equality, hashing and a name from the listed attributes ---

    def _props(self):
        return tuple(getattr(self, name) for name in self.__props__)

    def __eq__(self, other):
        if not hasattr(self, "__props__"):
            return self is other
        return type(self) is type(other) and self._props() == other._props()

    def __hash__(self):
        if not hasattr(self, "__props__"):
            return id(self)
        return hash((type(self), self._props()))

    def __str__(self):
        props = getattr(self, "__props__", ())
        if props:
            return f"{type(self).__name__}{{{', '.join(f'{p}={getattr(self, p)!r}' for p in props)}}}"
        return type(self).__name__

    def __getstate__(self):
        # Values cached with functools.cached_property (a plan, an inner compiled function)
        # are recomputed after loading rather than saved.
        cached = {name for cls in type(self).__mro__ for name, value in vars(cls).items()
                  if isinstance(value, functools.cached_property)}
        return {key: value for key, value in self.__dict__.items() if key not in cached}


def computes_with_perform(op):
    """Whether ``op`` computes through Theano's ``perform`` (it has one, and no ``impl`` of its own)."""
    return type(op).impl is Op.impl and callable(getattr(op, "perform", None))


def aliased_input(var):
    """The input of ``var``'s node whose memory ``var``'s value may share, or None.

    That is input 0 of an op that ``returns_view``, or the input that Theano's
    ``view_map`` or ``destroy_map`` names for this output.
    """
    node = var.owner
    if node is None:
        return None
    if node.op.returns_view:
        return node.inputs[0]
    for aliases in (node.op.view_map, node.op.destroy_map):
        if var.index in aliases and aliases[var.index]:
            return node.inputs[aliases[var.index][0]]
    return None


def toposort(outputs):
    """The Apply nodes that ``outputs`` depend on, each after all of its inputs' nodes.

    Iterative rather than recursive, so graphs of any depth can be sorted.
    """
    order, done = [], set()
    stack = [v.owner for v in reversed(outputs) if v.owner is not None]
    while stack:
        node = stack[-1]
        if node in done:
            stack.pop()
            continue
        pending = [i.owner for i in node.inputs if i.owner is not None and i.owner not in done]
        if pending:
            stack.extend(reversed(pending))
        else:
            stack.pop()
            done.add(node)
            order.append(node)
    return order


def graph_inputs(outputs):
    """The leaves (variables without an owner) that ``outputs`` depend on, each once, in first-use order."""
    leaves = {var: None for var in outputs if var.owner is None}
    for node in toposort(outputs):
        leaves.update((var, None) for var in node.inputs if var.owner is None)
    return list(leaves)


def ancestors(outputs, blockers=()):
    """Every variable that ``outputs`` depend on, not looking past ``blockers``."""
    blockers = set(blockers)
    seen, stack = set(), list(outputs)
    while stack:
        var = stack.pop()
        if var in seen:
            continue
        seen.add(var)
        if var.owner is not None and var not in blockers:
            stack.extend(var.owner.inputs)
    return seen


def clone_replace(outputs, replace):
    """Copies of ``outputs`` in which each variable in ``replace`` is swapped for its value.

    Nodes that depend on no replaced variable are shared with the original graph.
    """
    new = dict(replace)
    for node in toposort(outputs):
        copy = node.with_inputs([new.get(i, i) for i in node.inputs])
        for old, out in zip(node.outputs, copy.outputs):
            new.setdefault(old, out)
    return [new.get(o, o) for o in outputs]


def clone(output, replace=None, strict=True, share_inputs=True):
    """Theano's ``theano.clone``: ``output`` (a variable or a list) with the variables in
    ``replace`` (a dict or a list of pairs) swapped for their replacements.

    With ``strict`` a replacement must have its variable's type. With ``share_inputs``
    false the leaves are replaced by copies too (a shared variable's copy keeps its
    storage). Nodes that depend on nothing replaced are shared with the original graph,
    which no one can tell apart from a copy, since graphs are never changed in place.
    """
    pairs = list(replace.items()) if isinstance(replace, dict) else list(replace or [])
    for old, new in pairs:
        if strict and getattr(new, "type", None) != old.type:
            raise TypeError(f"clone: the replacement {new} of {old} has type "
                            f"{getattr(new, 'type', type(new).__name__)}, not {old.type} (strict=True)")
    mapping = dict(pairs)
    outputs = output if isinstance(output, (list, tuple)) else [output]
    if not share_inputs:
        for leaf in graph_inputs(outputs):
            if leaf not in mapping and not isinstance(leaf, Constant):
                copied = object.__new__(type(leaf))
                copied.__dict__.update(leaf.__dict__)
                mapping[leaf] = copied
    cloned = clone_replace(list(outputs), mapping)
    return cloned if isinstance(output, (list, tuple)) else cloned[0]
