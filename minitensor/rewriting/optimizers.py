"""Writing rewrites as Theano teaches (``doc/extending/optimization.txt``), on this project's engine.

Theano has two kinds of optimizer:

* a **global** one, ``Optimizer``, whose ``apply(fgraph)`` edits a whole
  ``FunctionGraph`` (``minitensor.fgraph``) with ``fgraph.replace_validate``;
* a **local** one, ``LocalOptimizer``, whose ``transform(node)`` returns the
  replacements of one node's outputs, or False. ``@local_optimizer([op])`` makes
  one from a function; ``OpSub``, ``OpRemove`` and ``PatternSub`` make common ones.

A local optimizer is a ``Rule`` of ``minitensor.rewriting.engine`` in another
dress: ``as_rule`` turns it into one, so ``TopoOptimizer`` and
``EquilibriumOptimizer`` run it with the engine (to a fixed point), and
``register_canonicalize`` (``minitensor.rewriting.optdb``) adds it to a phase of
the compiler, where it fires and is logged like a built-in rule. A global
optimizer's replacements are logged too (``FunctionGraph.replacements``).
"""

import inspect
import time

from minitensor.graph import Constant, Variable
from minitensor.rewriting.engine import Rule, rewrite_graph
from minitensor.rewriting.merge import merge


class Optimizer:
    """A global optimizer: ``apply(fgraph)`` changes the graph in place. ``optimize(fgraph)``
    (or calling the optimizer) adds its requirements, then applies it."""

    def add_requirements(self, fgraph):
        """Attach the features ``apply`` needs (Theano's ``toolbox.ReplaceValidate``, ...)."""

    def apply(self, fgraph):
        raise NotImplementedError(f"{type(self).__name__} does not define apply(fgraph)")

    def optimize(self, fgraph, *args, **kwargs):
        self.add_requirements(fgraph)
        return self.apply(fgraph, *args, **kwargs)

    def __call__(self, fgraph):
        return self.optimize(fgraph)

    @property
    def name(self):
        return getattr(self, "_name", None) or type(self).__name__

    @name.setter
    def name(self, value):
        self._name = value

    def rewrite_outputs(self, inputs, outputs, phase):
        """``outputs`` after this optimizer, on a FunctionGraph copy of them, and its
        replacements as the engine's ``Rewrite`` log (how a compiled function runs it)."""
        from minitensor.fgraph import FunctionGraph
        from minitensor.rewriting.engine import Rewrite
        fgraph = FunctionGraph(inputs, outputs)
        self.optimize(fgraph)
        log = [Rewrite(phase, str(reason) if reason else self.name, old, new)
               for old, new, reason in fgraph.replacements]
        return fgraph.outputs, log


class SeqOptimizer(Optimizer):
    """Optimizers applied one after the other."""

    def __init__(self, *optimizers):
        if len(optimizers) == 1 and isinstance(optimizers[0], (list, tuple)):
            optimizers = optimizers[0]
        self.optimizers = list(optimizers)

    def apply(self, fgraph):
        for optimizer in self.optimizers:
            optimizer.optimize(fgraph)

    def __repr__(self):
        return f"SeqOptimizer({', '.join(getattr(o, 'name', type(o).__name__) for o in self.optimizers)})"


class MergeOptimizer(Optimizer):
    """Identical nodes and equal constants become one (the compiler's merge phase).

    ``apply`` returns Theano's statistics: (failures, seconds, validate time,
    callback time, callback times, nodes merged, constants merged).
    """

    def apply(self, fgraph):
        start = time.perf_counter()
        outputs, log = merge(fgraph.outputs)
        fgraph.set_outputs(outputs, log)
        constants = sum(1 for r in log if isinstance(r.before, Constant))
        return (0, time.perf_counter() - start, None, None, {}, len(log) - constants, constants)


class LocalOptimizer:
    """A local optimizer: ``transform(node)`` returns replacements for ``node``'s outputs (a
    list, or a dict from outputs to replacements), or False when it does not apply.
    ``tracks()`` lists the ops (or op classes) whose nodes it looks at; None: every node."""

    def transform(self, node):
        raise NotImplementedError(f"{type(self).__name__} does not define transform(node)")

    def tracks(self):
        return None

    def add_requirements(self, fgraph):
        """Theano's hook for features a local optimizer needs; none are needed here."""

    @property
    def name(self):
        return getattr(self, "_name", None) or getattr(self, "__name__", None) or type(self).__name__

    @name.setter
    def name(self, value):
        self._name = value

    def as_rule(self, name=None):
        """This optimizer as a ``Rule`` of the rewrite engine, named ``name`` (default: its own)."""
        tracked = self.tracks()
        ops = [t for t in tracked or () if not isinstance(t, type)]
        classes = tuple(t for t in tracked or () if isinstance(t, type))
        transform = self.transform
        takes_fgraph = len(inspect.signature(transform).parameters) == 2  # PyTensor's transform(fgraph, node)

        def apply(node):
            if tracked and not (node.op in ops or isinstance(node.op, classes)):
                return None
            result = transform(None, node) if takes_fgraph else transform(node)
            return _replacements(node, result, self)
        apply.__doc__ = inspect.getdoc(self.transform) or inspect.getdoc(self) or ""
        return Rule(name or self.name, apply)

    def __str__(self):
        return self.name


def _replacements(node, result, optimizer):
    """A local optimizer's ``result`` as the engine wants it: one variable per output, or None."""
    if result is None or result is False:
        return None
    if isinstance(result, dict):
        result = [result.get(out, out) for out in node.outputs]
    result = list(result)
    if len(result) != len(node.outputs):
        raise ValueError(f"local optimizer {optimizer} returned {len(result)} replacements for the "
                         f"{len(node.outputs)} outputs of {node}")
    result = [out if new is None else new for out, new in zip(node.outputs, result)]
    for out, new in zip(node.outputs, result):
        if not isinstance(new, Variable):
            raise TypeError(f"local optimizer {optimizer} returned {new!r}, not a variable, to replace {out}")
    if all(new is out for out, new in zip(node.outputs, result)):
        return None
    return result


class FromFunctionLocalOptimizer(LocalOptimizer):
    """The local optimizer that ``@local_optimizer`` makes of a function of a node."""

    def __init__(self, function, tracks, inplace=False, requirements=()):
        self.function, self._tracks = function, tracks
        self.__name__ = function.__name__
        self.__doc__ = function.__doc__
        self.inplace, self.requirements = inplace, requirements
        self._takes_fgraph = len(inspect.signature(function).parameters) == 2

    def transform(self, node):
        """Call the decorated function."""
        return self.function(None, node) if self._takes_fgraph else self.function(node)

    def tracks(self):
        return self._tracks

    def as_rule(self, name=None):
        rule = super().as_rule(name)
        rule.apply.__doc__ = self.function.__doc__ or ""
        return rule

    def __call__(self, *args):
        return self.function(*args)

    def __repr__(self):
        return f"<local optimizer {self.__name__}>"


def local_optimizer(tracks, inplace=False, requirements=()):
    """Decorator: a function of a node, returning replacements or False, as a LocalOptimizer
    that looks at nodes of the ops (or op classes) in ``tracks`` (None: every node)."""
    if tracks is not None and not isinstance(tracks, (list, tuple)):
        raise TypeError(f"local_optimizer takes a list of the ops it tracks, or None; got {tracks!r}")

    def decorate(function):
        return FromFunctionLocalOptimizer(function, list(tracks) if tracks is not None else None,
                                          inplace, requirements)
    return decorate


class OpSub(LocalOptimizer):
    """Replaces every node of ``op1`` by a node of ``op2`` on the same inputs."""

    def __init__(self, op1, op2, transfer_tags=True):
        self.op1, self.op2 = op1, op2

    def transform(self, node):
        if node.op != self.op1:
            return False
        return self.op2.make_node(*node.inputs).outputs

    def tracks(self):
        return [self.op1]

    @property
    def name(self):
        return f"{self.op1} -> {self.op2}"


class OpRemove(LocalOptimizer):
    """Removes ``op``: each output of one of its nodes is replaced by the input in its position."""

    def __init__(self, op):
        self.op = op

    def transform(self, node):
        if node.op != self.op:
            return False
        return node.inputs[:len(node.outputs)]

    def tracks(self):
        return [self.op]

    @property
    def name(self):
        return f"{self.op}(x) -> x"


class PatternSub(LocalOptimizer):
    """Replaces what matches ``in_pattern`` by ``out_pattern``, as Theano's PatternSub does.

    A pattern is a tuple ``(op, pattern, ...)`` matching a node of ``op`` whose
    inputs match the sub-patterns; a string, matching any variable (the same
    string must match the same variable everywhere); a number, matching a
    constant of that value; or ``{'pattern': p, 'constraint': f}``, matching
    what ``p`` matches when ``f(variable)`` is true. ``out_pattern`` is built
    from the same pieces, strings standing for what they matched. Unless
    ``allow_multiple_clients``, an inner node of the match may have no other reader.
    """

    def __init__(self, in_pattern, out_pattern, allow_multiple_clients=False, skip_identities_fn=None,
                 name=None, pdb=False, tracks=(), get_nodes=None, values_eq_approx=None):
        if not isinstance(in_pattern, (tuple, dict)):
            raise TypeError(f"PatternSub's in_pattern must be a tuple (op, ...) or a dict, got {in_pattern!r}")
        self.in_pattern, self.out_pattern = in_pattern, out_pattern
        self.allow_multiple_clients = allow_multiple_clients
        self._name = name
        head = in_pattern["pattern"] if isinstance(in_pattern, dict) else in_pattern
        self.op = head[0]

    def tracks(self):
        return [self.op]

    @property
    def name(self):
        return self._name or f"{_pattern_text(self.in_pattern)} -> {_pattern_text(self.out_pattern)}"

    def transform(self, node, readers=None):
        bindings = {}
        if not self._match(self.in_pattern, node.outputs[0], bindings, readers, top=True):
            return False
        return [_build(self.out_pattern, bindings)]

    def as_rule(self, name=None):
        transform = self.transform
        op = self.op

        def apply(node, readers):
            if node.op != op or len(node.outputs) != 1:
                return None
            return _replacements(node, transform(node, readers), self)
        apply.__doc__ = f"{_pattern_text(self.in_pattern)} -> {_pattern_text(self.out_pattern)}"
        return Rule(name or self.name, apply, needs_readers=not self.allow_multiple_clients)

    def _match(self, pattern, var, bindings, readers, top=False):
        if isinstance(pattern, dict):
            constraint = pattern.get("constraint", lambda v: True)
            return self._match(pattern["pattern"], var, bindings, readers, top) and bool(constraint(var))
        if isinstance(pattern, str):
            if pattern in bindings:
                return bindings[pattern] is var
            bindings[pattern] = var
            return True
        if isinstance(pattern, tuple):
            node = var.owner
            if node is None or node.op != pattern[0] or len(node.inputs) != len(pattern) - 1:
                return False
            if not top and readers is not None and readers[var] > 1:
                return False
            return all(self._match(p, i, bindings, readers) for p, i in zip(pattern[1:], node.inputs))
        if isinstance(var, Constant):  # a number
            try:
                return bool((var.data == pattern).all()) if hasattr(var.data, "all") else var.data == pattern
            except (TypeError, ValueError):
                return False
        return False


def _build(pattern, bindings):
    if isinstance(pattern, str):
        return bindings[pattern]
    if isinstance(pattern, tuple):
        return pattern[0](*[_build(p, bindings) for p in pattern[1:]])
    if isinstance(pattern, Variable):
        return pattern
    return pattern  # a number: the op's make_node turns it into a constant


def _pattern_text(pattern):
    if isinstance(pattern, dict):
        return _pattern_text(pattern["pattern"])
    if isinstance(pattern, tuple):
        return f"{pattern[0]}({', '.join(_pattern_text(p) for p in pattern[1:])})"
    return str(pattern)


class _LocalOptimizersToFixedPoint(Optimizer):
    """Local optimizers applied by the rewrite engine to every node until none applies."""

    def __init__(self, local_optimizers, name=None):
        if isinstance(local_optimizers, LocalOptimizer):
            local_optimizers = [local_optimizers]
        self.local_optimizers = list(local_optimizers)
        self._name = name

    def rules(self):
        return [optimizer.as_rule() for optimizer in self.local_optimizers]

    def apply(self, fgraph):
        outputs, log = rewrite_graph(fgraph.outputs, self.rules(), phase=self.name)
        fgraph.set_outputs(outputs, log)
        return len(log)


class TopoOptimizer(_LocalOptimizersToFixedPoint):
    """Theano's navigator: a local optimizer tried on every node, inputs first.

    Theano's walks the graph once; this one walks it until nothing changes (the
    engine's way), so a replacement that makes a new match is rewritten too.
    """

    def __init__(self, local_opt, order="in_to_out", ignore_newtrees=False, failure_callback=None):
        super().__init__([local_opt])
        self.order = order


def in2out(*local_optimizers, **kwargs):
    """A TopoOptimizer of several local optimizers, as Theano's ``in2out``."""
    return _LocalOptimizersToFixedPoint(local_optimizers, name=kwargs.get("name"))


class EquilibriumOptimizer(_LocalOptimizersToFixedPoint):
    """Local optimizers applied over and over until none applies, as the compiler's phases are."""

    def __init__(self, optimizers, max_use_ratio=None, failure_callback=None, name=None):
        super().__init__([o for o in optimizers if isinstance(o, LocalOptimizer)], name)
        self.global_optimizers = [o for o in optimizers if not isinstance(o, LocalOptimizer)]

    def apply(self, fgraph):
        before = None
        while before != len(fgraph.replacements):
            before = len(fgraph.replacements)
            super().apply(fgraph)
            for optimizer in self.global_optimizers:
                optimizer.optimize(fgraph)
