"""``function``: compile inputs, outputs, updates and givens into a callable ``Function``.

Compilation checks everything that can be checked before any data is seen
(types of updates and givens, unused and missing inputs), so that a call only
checks its arguments, runs the program, and then assigns the updates. Updates
are assigned after every output and new value has been computed: a call that
raises leaves every shared variable as it was.
"""

import threading
import warnings

import numpy as np

from minitensor.backends import get_backend, is_device_array, to_host
from minitensor.compile.executor import missing_input
from minitensor.compile.io import In, Out, as_input
from minitensor.compile.maker import FunctionMaker
from minitensor.compile.mode import get_mode
from minitensor.compile.profiling import ProfileStats
from minitensor.configuration import config
from minitensor.compile.sharedvalue import SharedVariable
from minitensor.graph import Constant, Variable, aliased_input, ancestors, clone_replace, graph_inputs, toposort
from minitensor.tensor.type import TensorType, describe_value
from minitensor.tensor.variable import as_tensor_variable, constant

class UnusedInputError(ValueError):
    """An input that no output or update depends on (see ``on_unused_input``)."""


def function(inputs, outputs=None, updates=None, givens=None, allow_input_downcast=None,
             on_unused_input=None, name=None, mode=None, no_default_updates=False, backend=None,
             device_outputs=False, profile=None, accept_inplace=False, rebuild_strict=True):
    """Compile a callable computing ``outputs`` from ``inputs``, as ``theano.function`` does.

    ``inputs`` are variables or ``In`` objects (for a default value or a keyword
    name). ``outputs`` is a variable (the call returns one array), a list (it
    returns a list) or a dict of names to variables (it returns a dict).
    ``updates`` pairs shared variables with expressions of their new values;
    ``givens`` pairs variables with replacements of the same type (of any type with
    ``rebuild_strict=False``: the nodes above are then made again, and their
    types follow). Every shared
    variable the graph reads that has a ``default_update`` (a random stream's
    state) is updated with it too, unless it has an explicit update or
    ``no_default_updates`` is True or a list that holds it.

    Threads: a function with updates runs one call at a time (a lock of its own), so calls
    from several threads lose no update; two functions updating the same shared variable
    from two threads are not kept apart (see docs/differences.md).

    ``backend`` ('numpy' or 'cupy') overrides ``config.device`` for this function
    (see ``minitensor.backends``). A CuPy function returns NumPy arrays, or CuPy
    arrays with ``device_outputs=True``. ``on_unused_input`` and ``mode`` default to
    ``config.on_unused_input`` ('raise') and ``config.mode`` ('FAST_RUN').

    ``profile=True`` (or ``config.profile``) times the function's compilation and each
    node's calls: ``f.profile.summary()`` prints them (``minitensor.compile.profiling``).

    A graph holding an op that writes over its input (``T.inplace.add_inplace``, any op
    with a ``destroy_map``) is refused unless ``accept_inplace=True``, as in Theano.
    Such an op, and the in-place plan, write over the array passed for an input only
    when the input is ``In(x, mutable=True)``; then the caller's array may be
    destroyed, and may come back holding an output.
    """
    if on_unused_input is None:
        on_unused_input = config.on_unused_input
    return Function(inputs, outputs, updates, givens, allow_input_downcast, on_unused_input, name, mode,
                    no_default_updates, backend, device_outputs, profile, accept_inplace, rebuild_strict)


class Function:
    """A compiled function; call it with one value per input, by position or by name
    (an input with a default value may be left out). ``f[name]`` is the default value
    of an input, which an ``In(..., update=...)`` changes after every call."""

    def __init__(self, inputs, outputs, updates, givens, allow_input_downcast, on_unused_input, name, mode,
                 no_default_updates=False, backend=None, device_outputs=False, profile=None,
                 accept_inplace=False, rebuild_strict=True):
        if on_unused_input not in ("raise", "warn", "ignore"):
            raise ValueError(f"on_unused_input must be 'raise', 'warn' or 'ignore', got {on_unused_input!r}")
        self.name = name
        self._title = f"function {name!r}" if name else "the function"  # for error messages
        outputs = _without_out(outputs)
        self.allow_input_downcast = allow_input_downcast
        self.inputs, specs = _split_inputs(inputs)
        self._defaults = [_check_default(spec, allow_input_downcast) for spec in specs]
        self._conversions = [(spec.strict, allow_input_downcast if spec.allow_downcast is None
                              else spec.allow_downcast) for spec in specs]
        self.output_keys = _check_output_keys(outputs)
        self.returns_list = outputs is not None and not isinstance(outputs, Variable)
        listed = list(outputs.values()) if self.output_keys is not None else outputs
        output_vars = [] if outputs is None else [_output_variable(position, o) for position, o in
                                                   enumerate(listed if self.returns_list else [outputs])]
        update_pairs = _check_updates(updates)
        replacements = _check_givens(givens, self.inputs, rebuild_strict)
        update_pairs += _default_updates(output_vars + [value for _, value in update_pairs]
                                         + list(replacements.values()), update_pairs, replacements,
                                         no_default_updates)
        # An input with an update keeps its default in an _InputState, updated like a shared variable.
        input_updates = _input_updates(specs, self._defaults)
        # What copy() needs to compile this function again, on other shared variables.
        self._definition = dict(inputs=specs, outputs=outputs, updates=update_pairs, givens=replacements,
                                allow_input_downcast=allow_input_downcast, mode=mode, backend=backend,
                                device_outputs=device_outputs, accept_inplace=accept_inplace,
                                rebuild_strict=rebuild_strict)
        computed = output_vars + [value for _, value in update_pairs + input_updates]
        if replacements:
            computed = clone_replace(computed, replacements)
            if not rebuild_strict:  # replacements of other types may have changed an update's type
                _check_updates(list(zip([t for t, _ in update_pairs], computed[len(output_vars):])))
        _check_unused(self.inputs, computed, on_unused_input)
        _check_missing(self.inputs, computed)  # on the user's graph, before rewrites rename its nodes
        if not accept_inplace:
            _check_no_inplace(computed)

        self.backend = get_backend(backend, get_mode(mode).linker)
        if profile is None and config.profile:
            profile = True
        self.profile = ProfileStats(name) if profile is True else profile or None
        mutable = [spec.variable for spec in specs if spec.mutable]
        self.maker = FunctionMaker(self.inputs, computed, mode, self.backend, self.profile, mutable)
        self.program = self.maker.program
        computed = self.maker.fgraph.outputs
        self.outputs = computed[:len(output_vars)]
        self.update_targets = [target for target, _ in update_pairs + input_updates]
        # A new value written into the array passed for an input is copied before a shared
        # variable keeps it: the caller may change that array later.
        self._copy = sorted(set(_needs_copy(computed)) | {k for k in range(len(self.outputs), len(computed))
                                                          if self.program.in_input_buffer(computed[k])})
        destroyed = self.program.destroyed_inputs()
        self._destroyed = [k for k, var in enumerate(self.inputs) if any(var is d for d in destroyed)]
        self._checks = [_fast_check(v.type) for v in self.inputs]
        self._names = {spec.name: i for i, spec in enumerate(specs) if spec.name is not None}
        # What a call runs: generated code that checks the arguments, computes, copies and updates.
        returns = ("none" if outputs is None else self.output_keys if self.output_keys is not None
                   else "list" if self.returns_list else "one")
        checker = self.maker.checker
        shared_variables = [v for v in self.program.shared + self.update_targets if isinstance(v, SharedVariable)]
        _check_placement(shared_variables, self.backend, self._title)
        convert = self._convert
        if not self.backend.on_host:  # the GPU: arguments are moved there, and results back unless asked for
            from minitensor.backends import cuda
            convert = cuda.device_convert(self._convert, self.backend)
        self._call = self.program.make_call(
            [(dtype, ndim) if plain else None for dtype, ndim, plain in self._checks], convert, self._copy,
            [(len(self.outputs) + k, target) for k, target in enumerate(self.update_targets)], returns,
            check=checker.check if checker is not None else None, convert_host=self._convert_on_host)
        if self._destroyed:
            self._call = _protecting_arrays(self._call, self._destroyed, self.program, self.backend.xp)
        if not self.backend.on_host and not device_outputs:
            self._call = cuda.host_results(self._call)
        # A function with updates runs one call at a time: two threads calling it together
        # would both read the old values, and one of their updates would be lost. (Two
        # different functions updating the same shared variable are not kept apart.)
        self._lock = threading.Lock() if self.update_targets else None
        if self.profile is not None:
            self._call = self.profile.timed_call(self._call)

    def __call__(self, *args, **kwargs):
        if self._lock is None:
            if kwargs or len(args) != len(self.inputs):
                args = self._bind(args, kwargs)
            return self._call(*args)
        with self._lock:
            if kwargs or len(args) != len(self.inputs):
                args = self._bind(args, kwargs)
            return self._call(*args)

    def _repr_svg_(self):
        """Jupyter shows a compiled function as a drawing of its graph (its text, without Graphviz)."""
        from minitensor.drawing import svg_or_none
        return svg_or_none(self)

    def _inputs_phrase(self):
        count = len(self.inputs)
        return f"{count} input{'' if count == 1 else 's'} ({_some(self.inputs)})"

    def _convert_on_host(self, position, value):
        """``_convert`` for an input a GPU function keeps in host memory (a scalar, a size)."""
        return self._convert(position, to_host(value) if is_device_array(value) else value)

    def _convert(self, position, value):
        variable = self.inputs[position]
        strict, allow_downcast = self._conversions[position]
        try:
            return variable.type.filter(value, strict=strict, allow_downcast=allow_downcast)
        except (TypeError, ValueError) as error:  # a user's Type may refuse a value either way
            raise TypeError(f"bad input argument '{variable}' at position {position} (0-based) of "
                            f"{self._title}: expected {variable.type}, got {describe_value(value)}: "
                            f"{error}{variable.made_at()}") from None

    def _bind(self, args, kwargs):
        """The arguments in input order: positional ones, then keywords, then defaults."""
        if len(args) > len(self.inputs):
            raise TypeError(f"{self._title} takes {self._inputs_phrase()}, got {len(args)}")
        bound = list(args) + [_MISSING] * (len(self.inputs) - len(args))
        for key, value in kwargs.items():
            if key not in self._names:
                raise TypeError(f"{self._title} has no input named {key!r}; "
                                f"named inputs: [{_some(map(repr, sorted(self._names)))}]")
            position = self._names[key]
            if position < len(args):
                raise TypeError(f"{self._title} got input {key!r} both by position and by name")
            bound[position] = value
        bound = [_value_of(default) if value is _MISSING else value for value, default in zip(bound, self._defaults)]
        for position in self._destroyed:  # a default is the function's own: a call must not destroy it
            if bound[position] is _value_of(self._defaults[position]) and hasattr(bound[position], "copy"):
                bound[position] = bound[position].copy()
        missing = [str(self.inputs[i]) for i, v in enumerate(bound) if v is _MISSING]
        if missing:
            raise TypeError(f"{self._title} takes {self._inputs_phrase()}, got "
                            f"{len(args) + len(kwargs)}; missing: {_some(missing)}")
        return bound

    def __reduce__(self):
        # A function pickles as its definition (the graph, its shared variables and the
        # mode) and is compiled again when loaded: the compiled program is the
        # executor's business, and may change between versions of minitensor. The state
        # is the inputs' current defaults, which f[name] = ... and In's updates change.
        defaults = [None if default is _MISSING else _value_of(default) for default in self._defaults]
        return _compile_definition, (self._definition, self.name), {"defaults": defaults}

    def __setstate__(self, state):
        for position, value in enumerate(state["defaults"]):
            if isinstance(self._defaults[position], _InputState):
                self._defaults[position]._value = value
            elif value is not None:
                self._defaults[position] = value

    def __getitem__(self, key):
        """The default value of the input ``key`` (its name, variable or ``In``); None if it has none.
        A value the function keeps on the GPU (an ``In`` with an update) is copied to the host."""
        default = self._defaults[self._position(key)]
        return None if default is _MISSING else to_host(_value_of(default))

    def __setitem__(self, key, value):
        """Set the default value of the input ``key`` (its name, variable or ``In``)."""
        position = self._position(key)
        spec = self._definition["inputs"][position]
        value = self._convert(position, value)
        value = value if spec.borrow else np.array(value, copy=True)
        if isinstance(self._defaults[position], _InputState):
            self._defaults[position]._value = value
        else:
            self._defaults[position] = value

    @property
    def value(self):
        """Theano's ``f.value``: ``f.value[x]`` is ``f[x]``, and can be set the same way."""
        return _DefaultValues(self)

    @property
    def container(self):
        """Theano's ``f.container``: ``f.container[x].value`` is ``f[x]``, and can be set."""
        return _DefaultContainers(self)

    def _position(self, key):
        if isinstance(key, In):
            key = key.variable
        if isinstance(key, Variable) and key in self.inputs:
            return self.inputs.index(key)
        if isinstance(key, str) and key in self._names:
            return self._names[key]
        raise KeyError(f"{self._title} has no input {key!r}; its inputs are {self._inputs_phrase()}")

    def copy(self, share_memory=False, swap=None, delete_updates=False, name=None, profile=None):
        """This function compiled again: ``swap`` ({old shared variable: new one}) makes the
        copy read and update the new shared variables instead, and with ``delete_updates``
        it updates nothing. The copy takes the same inputs, even those left unused.

        The arguments are Theano's, in its order; ``share_memory`` (Theano's copy may reuse
        the original's buffers for intermediate values) and ``profile`` change nothing here:
        each compiled function has buffers of its own."""
        swap = _check_swap(swap)
        definition = self._definition

        def swapped(variables):
            return clone_replace(list(variables), swap) if variables else []

        outputs = definition["outputs"]
        if isinstance(outputs, dict):
            outputs = dict(zip(outputs, swapped(outputs.values())))
        elif isinstance(outputs, (list, tuple)):
            outputs = swapped(outputs)
        elif outputs is not None:
            outputs = swapped([as_tensor_variable(outputs)])[0]
        targets, values = zip(*definition["updates"]) if definition["updates"] else ((), ())
        updates = [] if delete_updates else list(zip([swap.get(t, t) for t in targets], swapped(values)))
        givens = dict(zip([swap.get(old, old) for old in definition["givens"]],
                          swapped(definition["givens"].values())))
        return Function(definition["inputs"], outputs, updates, givens, definition["allow_input_downcast"],
                        "ignore", self.name if name is None else name, definition["mode"],
                        no_default_updates=True, backend=definition["backend"],
                        device_outputs=definition["device_outputs"], accept_inplace=definition["accept_inplace"],
                        rebuild_strict=definition["rebuild_strict"])  # the original's default updates are in its updates


class _DefaultValues:
    """What ``Function.value`` returns: the inputs' default values, read and set by input."""

    def __init__(self, function):
        self._function = function

    def __getitem__(self, key):
        return self._function[key]

    def __setitem__(self, key, value):
        self._function[key] = value


class _DefaultContainers(_DefaultValues):
    """What ``Function.container`` returns: for each input, a holder whose ``value`` is its default."""

    def __getitem__(self, key):
        return _Container(self._function, key)


class _Container:
    def __init__(self, function, key):
        self._function, self._key = function, key

    value = property(lambda self: self._function[self._key],
                     lambda self, value: self._function.__setitem__(self._key, value))


def _compile_definition(definition, name):
    """The function that ``definition`` (a Function's ``_definition``) describes, as ``pickle`` loads it."""
    return Function(definition["inputs"], definition["outputs"], definition["updates"], definition["givens"],
                    definition["allow_input_downcast"], "ignore", name, definition["mode"],
                    no_default_updates=True, backend=definition.get("backend"),
                    device_outputs=definition.get("device_outputs", False),
                    accept_inplace=definition.get("accept_inplace", False),
                    rebuild_strict=definition.get("rebuild_strict", True))  # the default updates are among the definition's updates


_MISSING = object()


def _some(items, limit=12):
    """The first ``limit`` of ``items``, comma-separated, and how many more: an error about a
    function of 10,000 inputs stays a few lines long."""
    items = [str(item) for item in items]
    shown = ", ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown}, ... ({len(items) - limit:,} more)"


class _InputState:
    """The default value of an input with an update; after each call it holds the update's value."""

    def __init__(self, value):
        self._value = value


def _value_of(default):
    return default._value if isinstance(default, _InputState) else default


def _input_updates(specs, defaults):
    """(state, update expression) for each ``In`` with an update; its default becomes that state."""
    pairs = []
    for position, spec in enumerate(specs):
        if spec.update is None:
            continue
        variable, update = spec.variable, as_tensor_variable(spec.update)
        if not variable.type.accepts(update.type):
            raise TypeError(f"In: the update of input {variable.describe()} has type {update.type}, but "
                            f"it must have the input's type {variable.type}{variable.made_at()}")
        defaults[position] = _InputState(defaults[position])
        pairs.append((defaults[position], update))
    return pairs


def _check_placement(shared_variables, backend, title):
    """Every shared variable the function reads or updates lives where it computes: GPU
    values for a CuPy function, host values for a NumPy one (a random state lives on the
    host everywhere); else a TypeError naming it."""
    on_gpu = not backend.on_host
    for var in shared_variables:
        if getattr(var, "lives_on_host", False):
            continue
        if is_device_array(var.get_value(borrow=True)) != on_gpu:
            here, there = ("on the GPU", "NumPy (backend='numpy')") if not on_gpu else \
                ("in host memory", "CuPy (backend='cupy')")
            raise TypeError(f"shared variable {var.describe()} lives {here}, but {title} runs on {there}: "
                            f"make the variable under the same config.device as the function, or compile "
                            f"the function with the other backend{var.made_at()}")


def _split_inputs(inputs):
    """The variables of ``inputs`` (variables or ``In`` objects), and an ``In`` for each."""
    if not isinstance(inputs, (list, tuple)):
        return _check_inputs(inputs), []  # raises
    specs = [as_input(i) for i in inputs]
    variables = _check_inputs([i.variable if isinstance(i, In) else i for i in specs])
    return variables, specs


def _without_out(outputs):
    """``outputs`` with each ``Out`` replaced by its variable (see ``Out`` on ``borrow``)."""
    if isinstance(outputs, Out):
        return outputs.variable
    if isinstance(outputs, (list, tuple)):
        return [o.variable if isinstance(o, Out) else o for o in outputs]
    if isinstance(outputs, dict):
        return {key: o.variable if isinstance(o, Out) else o for key, o in outputs.items()}
    return outputs


def _check_default(spec, allow_input_downcast):
    """The default value of the input ``spec``, converted to its type, or _MISSING."""
    if spec.value is None:
        return _MISSING
    variable = spec.variable
    allow_downcast = allow_input_downcast if spec.allow_downcast is None else spec.allow_downcast
    try:
        value = variable.type.filter(spec.value, strict=spec.strict, allow_downcast=allow_downcast)
        return value if spec.borrow else np.array(value, copy=True)
    except TypeError as error:
        raise TypeError(f"In: bad default value for input {variable.describe()}: {error}"
                        f"{variable.made_at()}") from None


def _check_output_keys(outputs):
    """The names of a dict of outputs, in order; None for other outputs."""
    if not isinstance(outputs, dict):
        return None
    for key in outputs:
        if not isinstance(key, str):
            raise TypeError(f"a dict of outputs must have string keys, got {key!r}")
    return list(outputs)


def _fast_check(type_):
    """(dtype, ndim, plain) for an input of ``type_``: a plain one takes an ndarray of that dtype
    and rank as it is; any other value, or any value of a type that is not a tensor type,
    goes through the type's filter."""
    if not isinstance(type_, TensorType):
        return None, None, False
    return type_.dtype, type_.ndim, not any(type_.broadcastable)


def _output_variable(position, output):
    if isinstance(output, Variable):  # of any type: a user's Type too
        return output
    try:
        return as_tensor_variable(output)
    except TypeError as error:
        raise TypeError(f"output {position} must be a variable or a value a constant can hold: {error}") from None


def _check_inputs(inputs):
    if isinstance(inputs, Variable) or not isinstance(inputs, (list, tuple)):
        raise TypeError(f"function inputs must be a list of variables, got {inputs!r}")
    for position, var in enumerate(inputs):
        if isinstance(var, SharedVariable):
            raise TypeError(f"input {position}, shared variable {var.describe()}, cannot be an explicit "
                            f"input: its value lives in the variable; use givens to replace it{var.made_at()}")
        if isinstance(var, Constant) or not isinstance(var, Variable):
            raise TypeError(f"input {position} must be a symbolic variable such as T.matrix('x'), got {var!r}")
        if var.owner is not None:
            raise TypeError(f"input {position}, {var.describe()}, is computed by {var.owner.op}; inputs "
                            f"must be leaves of the graph (use givens to replace an intermediate value){var.made_at()}")
        if inputs.index(var) != position:
            raise ValueError(f"input {var.describe()} appears twice, at positions {inputs.index(var)} and {position}")
    return list(inputs)


def _pairs(mapping, what):
    if mapping is None:
        return []
    if not isinstance(mapping, (dict, list, tuple)):
        raise TypeError(f"{what} must be a dict or a list of (variable, value) pairs, got {mapping!r}")
    pairs = list(mapping.items()) if isinstance(mapping, dict) else list(mapping)
    for pair in pairs:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise TypeError(f"{what} must be a dict or a list of (variable, value) pairs, got the item {pair!r}")
    return pairs


def _check_updates(updates):
    checked, seen = [], set()
    for target, value in _pairs(updates, "updates"):
        if not isinstance(target, SharedVariable):
            raise TypeError(f"updates: {target!r} is not a shared variable; only shared variables can be updated")
        if target in seen:
            raise ValueError(f"updates: shared variable {target.describe()} is updated twice{target.made_at()}")
        seen.add(target)
        if not isinstance(value, Variable):
            # A plain value takes the shared variable's type, as in Theano: updates=[(acc, 0)].
            try:
                value = constant(target.type.filter(value))
            except TypeError as error:
                raise TypeError(f"updates: bad new value for shared variable {target.describe()}: "
                                f"{error}{target.made_at()}") from None
        value = as_tensor_variable(value)
        if value.type != target.type:
            # Exactly its type, as in Theano: a value broadcastable where the variable is not
            # would silently shrink it to length 1 there.
            extra = [d for d, (t, v) in enumerate(zip(target.broadcastable, value.broadcastable)) if v and not t]
            fix = (f"T.unbroadcast(value, {', '.join(map(str, extra))}) if that length 1 is meant"
                   if value.ndim == target.ndim and value.dtype == target.dtype and extra
                   else "cast it with T.cast or .astype")
            raise TypeError(f"updates: the new value of shared variable {target.describe()} has type "
                            f"{value.type}, but the update must have its type {target.type} "
                            f"({fix}){target.made_at()}")
        checked.append((target, value))
    return checked


def _default_updates(roots, explicit, replaced, no_default_updates):
    """(shared variable, its ``default_update``) for each shared variable that the ``roots``
    read once the ``replaced`` variables (givens) are swapped, unless it is updated
    explicitly or excluded by ``no_default_updates``; the new updates' own graphs are
    searched in turn. A shared variable replaced through givens is still updated where
    its replacement reads it (givens={a: a + 10}), as in Theano."""
    if no_default_updates is True:
        return []
    excluded = list(no_default_updates or ())
    for var in excluded:
        if not isinstance(var, SharedVariable):
            raise TypeError(f"no_default_updates must be True, False or a list of shared variables, "
                            f"got {var!r} in the list")
    seen = {target for target, _ in explicit} | set(excluded)
    pairs = []
    while roots:
        found = [v for v in graph_inputs(clone_replace(roots, replaced)) if isinstance(v, SharedVariable)
                 and v.default_update is not None and v not in seen]
        seen.update(found)
        pairs += [(v, v.default_update) for v in found]
        roots = [v.default_update for v in found]
    return _check_updates(pairs)


def _check_swap(swap):
    swap = dict(swap or {})
    for old, new in swap.items():
        if not (isinstance(old, SharedVariable) and isinstance(new, SharedVariable)):
            raise TypeError(f"copy: swap maps shared variables to shared variables, got {old!r}: {new!r}")
        if old.type != new.type:
            raise TypeError(f"copy: cannot swap {old.describe()} for {new.describe()}, of another type"
                            f"{new.made_at()}")
    return swap


def _check_givens(givens, inputs=(), strict=True):
    replacements = {}
    for old, new in _pairs(givens, "givens"):
        if not isinstance(old, Variable):
            raise TypeError(f"givens: {old!r} is not a variable to replace")
        if any(old is i for i in inputs):
            # As in Theano: the replacement would make the argument passed for it unused.
            raise RuntimeError(f"givens: {old.describe()} is an input of the function, and an input "
                               f"cannot be replaced (its argument would be ignored); make a new input y and "
                               f"pass givens={{{old}: g(y)}}{old.made_at()}")
        try:
            new = as_tensor_variable(new)
        except TypeError as error:
            raise TypeError(f"givens: bad replacement for {old.describe()}: {error}{old.made_at()}") from None
        if strict and not old.type.accepts(new.type):
            raise TypeError(f"givens: the replacement for {old.describe()} has type {new.type}, "
                            f"expected {old.type} (rebuild_strict=False allows another type){old.made_at()}")
        replacements[old] = new
    return replacements


def _check_no_inplace(computed):
    """A TypeError for the first node that writes over its input (a ``destroy_map``), as Theano's
    function raises without ``accept_inplace``."""
    for node in toposort(computed):
        if node.op.destroy_map:
            site = f"\n  the node was made at {node.creation_site}" if node.creation_site else ""
            raise TypeError(f"Graph must not contain inplace operations: {node.op} writes over its input "
                            f"{node.inputs[next(iter(node.op.destroy_map.values()))[0]]}; pass "
                            f"accept_inplace=True to compile it{site}")


def _protecting_arrays(call, positions, program, xp):
    """``call``, given its own copy of each array passed for an input at ``positions`` (inputs
    that a call writes over) that it must not write over: a read-only array, or one that
    shares memory with another argument or with a shared variable the function reads
    (writing over it would change that value too, as Theano checks)."""
    shared = program.shared

    def may_share(a, b):
        same_kind = type(a) is type(b) and isinstance(a, (np.ndarray, xp.ndarray))
        return same_kind and (np if isinstance(a, np.ndarray) else xp).may_share_memory(a, b)

    def protected_call(*args):
        args = list(args)
        for position in positions:
            value = args[position]
            if not isinstance(value, (np.ndarray, xp.ndarray)):
                continue  # converted into a new array anyway
            others = [a for k, a in enumerate(args) if k != position]
            others += [var.get_value(borrow=True) for var in shared]
            if not getattr(value.flags, "writeable", True) or any(may_share(value, o) for o in others):
                args[position] = value.copy()
        return call(*args)
    return protected_call


def _check_unused(inputs, computed, on_unused_input):
    used = ancestors(computed)
    for position, var in enumerate(inputs):
        if var not in used and on_unused_input != "ignore":
            message = (f"input {position}, {var.describe()}, is not needed to compute the outputs or "
                       f"updates; pass on_unused_input='warn' or 'ignore' to allow it{var.made_at()}")
            if on_unused_input == "raise":
                raise UnusedInputError(message)
            warnings.warn(message, stacklevel=4)


def _check_missing(inputs, computed):
    """Raise MissingInputError for a leaf that is no input, shared variable or constant."""
    known = set(inputs)
    users = [(var, None) for var in computed if var.owner is None]
    users += [(var, node) for node in toposort(computed) for var in node.inputs if var.owner is None]
    for var, user in users:
        if var not in known and not isinstance(var, (SharedVariable, Constant)):
            raise missing_input(var, user)


def _view_root(var):
    """The variable whose memory ``var``'s value may be a view of (``var`` itself if no view op)."""
    source = aliased_input(var)
    while source is not None:
        var, source = source, aliased_input(source)
    return var


def _needs_copy(computed):
    """Indices of results to copy, so that no output or new shared value shares memory with
    an input, a shared value, a constant, or another result."""
    copies, roots = [], set()
    for index, var in enumerate(computed):
        if not isinstance(var.type, TensorType):
            continue  # a value of a user's type is the type's business (Python floats need no copy)
        root = _view_root(var)
        if root.owner is None or root in roots:
            copies.append(index)
        roots.add(root)
    return copies
