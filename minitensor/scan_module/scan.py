"""``scan``: Theano's loop, built from a Python step function.

``scan(fn, sequences, outputs_info, non_sequences, n_steps, ...)`` calls ``fn``
once, on symbolic stand-ins for one step's values, and turns the graph it returns
into the inner graph of a ``Scan`` op (``scan_op.py``). The work here is
Theano's bookkeeping:

1. each sequence is cut once per tap (``dict(input=u, taps=[-4, 0])`` gives
   ``u[0:-4]`` and ``u[4:]``), reversed for ``go_backwards``, and cut to
   ``n_steps``, which is the shortest sequence unless given;
2. ``fn`` receives, in this order, one value per tap of each sequence, one per tap
   of each output fed back (``outputs_info``: an initial value means tap -1,
   ``dict(initial=x0, taps=[-2, -1])`` two taps, None an output not fed back),
   and the non-sequences themselves;
3. ``fn`` returns outputs, and maybe a dict of updates and an ``until`` condition;
4. every variable the graph reads that is not a stand-in (a non-sequence, a
   shared variable, any other variable ``fn`` closed over) becomes an input of
   the loop; a shared variable that is updated (by ``fn``'s updates, or a random
   stream's state) becomes a value carried from step to step, whose last value
   is returned in ``updates``.
"""

from collections import OrderedDict

import numpy as np

from minitensor.compile.executor import MissingInputError
from minitensor.compile.sharedvalue import SharedVariable
from minitensor.graph import Constant, Variable, clone_replace, graph_inputs, user_creation_site
from minitensor.scan_module.scan_op import Scan
from minitensor.tensor import elemwise as E
from minitensor.tensor.type import TensorType
from minitensor.tensor.variable import as_tensor_variable


class until:
    """A while-loop's condition: ``fn`` returns ``until(c)`` last, and the loop stops after the step where c is true.

    >>> import minitensor as theano, minitensor.tensor as T
    >>> limit = T.dscalar('limit')
    >>> powers, _ = theano.scan(lambda p: (p * 2, until(p * 2 > limit)),
    ...                         outputs_info=T.constant(1.0), n_steps=100)
    >>> powers.eval({limit: 20.0})
    array([ 2.,  4.,  8., 16., 32.])
    """

    def __init__(self, condition):
        condition = as_tensor_variable(condition)
        if condition.ndim != 0:
            raise TypeError(f"until takes a scalar condition, got {condition.describe()}{condition.made_at()}")
        self.condition = condition


def scan(fn, sequences=None, outputs_info=None, non_sequences=None, n_steps=None, truncate_gradient=-1,
         go_backwards=False, mode=None, name=None, profile=False, allow_gc=None, strict=False,
         return_list=False):
    """A loop as a graph, as ``theano.scan``: returns ``(outputs, updates)``.

    ``outputs`` is one variable per output of ``fn`` (one variable if there is one,
    unless ``return_list``; None if ``fn`` returns only updates), each the stack of
    its values at every step; ``updates`` maps shared variables to their values
    after the last step: pass it to ``function(..., updates=updates)``.
    ``truncate_gradient`` (a number of steps, -1 for all) limits backpropagation
    through time; ``mode`` compiles the inner graph (FAST_RUN when None);
    ``strict`` requires every shared variable ``fn`` reads to be a non-sequence.
    ``profile`` and ``allow_gc`` are accepted and ignored.
    """
    if not callable(fn):
        raise TypeError(f"scan: fn must be a function, got {fn!r}")
    site = user_creation_site()
    sequences = [_sequence_spec(s, position) for position, s in enumerate(_as_list(sequences))]
    outputs_given = outputs_info is not None and not (isinstance(outputs_info, (list, tuple)) and not outputs_info)
    outputs_info = [_output_spec(o, position) for position, o in enumerate(_as_list(outputs_info))]
    non_sequences = [v if isinstance(v, Variable) else as_tensor_variable(v) for v in _as_list(non_sequences)]
    fixed_steps = _check_n_steps(n_steps)
    if not isinstance(truncate_gradient, (int, np.integer)) or truncate_gradient == 0 or truncate_gradient < -1:
        raise ValueError(f"scan: truncate_gradient must be a positive number of steps, or -1 for all of them, "
                         f"got {truncate_gradient!r}")

    # 1. the sequences, cut once per tap
    cuts, stand_ins, labels, lengths = _cut_sequences(sequences, go_backwards)
    if n_steps is not None:
        steps = as_tensor_variable(fixed_steps if fixed_steps is not None else n_steps)
    elif lengths:
        steps = lengths[0]
        for length in lengths[1:]:
            steps = E.minimum(steps, length)
    else:
        raise ValueError("scan: no number of steps: give n_steps or at least one sequence")
    cuts = [cut[:steps] for cut in cuts]

    # 2. the outputs fed back: their initial rows and one stand-in per tap
    recurrent = _recurrent_outputs(outputs_info)
    args = stand_ins + [s for *_, tap_stand_ins in recurrent for s in tap_stand_ins] + non_sequences

    # 3. one call of fn
    outputs, updates, condition = _split_result(fn(*args), site)
    if outputs_given and len(outputs) != len(outputs_info):
        raise ValueError(f"scan: fn returned {len(outputs)} output{'s' if len(outputs) != 1 else ''}, but "
                         f"outputs_info has {len(outputs_info)} entries, one per output: give None for an "
                         f"output that is not fed back to fn{_at(site)}")
    if not outputs_given:
        outputs_info = [None] * len(outputs)
    for position, _, _, tap_stand_ins in recurrent:
        _check_recurrent_type(position, outputs[position], tap_stand_ins[0].type, outputs_info[position][0], site)

    # 4. what the graph reads becomes inputs of the loop
    outer_of = {}  # inner stand-in -> the outer variable it stands for
    replace = {}
    for v in non_sequences:
        if not isinstance(v, Constant):
            replace[v] = _stand_in_for(outer_of, v)
    updates = _with_default_updates(outputs, updates, condition)
    carried = []  # shared variables updated in the loop: (shared variable, stand-in, new value)
    for target, value in updates.items():
        stand_in = replace[target] if target in replace else target.type(f"{target.name or 'shared'}[t-1]")
        replace[target] = stand_in
        carried.append((target, stand_in, value))
    roots = outputs + [value for *_, value in carried] + ([condition] if condition is not None else [])
    free = [v for v in graph_inputs(clone_replace(roots, replace))
            if not isinstance(v, Constant) and v not in set(args) | set(replace.values())]
    if strict:
        missing = [v for v in free if isinstance(v, SharedVariable)]
        if missing:
            raise MissingInputError(
                f"scan(strict=True): fn reads the shared variable {missing[0].describe()}, which is not among "
                f"the non_sequences; pass it to scan in non_sequences and to fn as an argument{_at(site)}")
    for v in free:
        replace[v] = _stand_in_for(outer_of, v)
    inner = clone_replace(roots, replace)
    n_out = len(outputs)
    inner_outputs, inner_updates = inner[:n_out], inner[n_out:n_out + len(carried)]
    inner_condition = inner[-1] if condition is not None else None

    # 5. the op: recurrent outputs (the user's, then the carried shared variables), mapped ones, the condition
    mapped = [k for k, spec in enumerate(outputs_info) if spec is None]
    taps = [tuple(t) for _, _, t, _ in recurrent] + [(-1,)] * len(carried)
    history = [True] * len(recurrent) + [False] * len(carried)
    carried_stand_ins = [stand_in for _, stand_in, _ in carried]
    non_sequence_stand_ins = [replace[v] for v in non_sequences if not isinstance(v, Constant)]
    loop_inputs = [v for v in dict.fromkeys(non_sequence_stand_ins + list(outer_of)) if v not in carried_stand_ins]
    inner_inputs = (stand_ins + [s for *_, tap_stand_ins in recurrent for s in tap_stand_ins] + carried_stand_ins
                    + loop_inputs)
    body_outputs = ([inner_outputs[p] for p, *_ in recurrent] + list(inner_updates)
                    + [inner_outputs[k] for k in mapped] + ([inner_condition] if inner_condition is not None else []))
    op = Scan(tuple(inner_inputs), tuple(as_tensor_variable(o) for o in body_outputs), len(stand_ins),
              tuple(taps), tuple(history), len(mapped), condition is not None, int(truncate_gradient), mode, name,
              tuple(labels))
    initials = [rows for _, rows, _, _ in recurrent] + [E.pad_left(target, target.ndim + 1)
                                                        for target, _, _ in carried]
    others = [outer_of[v] for v in loop_inputs]
    node_outputs = op(steps, *cuts, *initials, *others)
    node_outputs = [node_outputs] if isinstance(node_outputs, Variable) else node_outputs

    # 6. the results, in fn's order, and the updates
    results = [None] * n_out
    for k, (position, *_) in enumerate(recurrent):
        results[position] = node_outputs[k]
    for m, position in enumerate(mapped):
        results[position] = node_outputs[len(taps) + m]
    new_updates = OrderedDict()
    for k, (target, _, _) in enumerate(carried):
        new_updates[target] = node_outputs[len(recurrent) + k][-1]
    if name is not None:
        for k, result in enumerate(results):
            result.name = name if n_out == 1 else f"{name}[{k}]"
    if return_list:
        return results, new_updates
    return (results[0] if n_out == 1 else results or None), new_updates


def _cut_sequences(sequences, go_backwards):
    """For each tap of each sequence: its cut (row t is the row the tap reads at step t), an
    inner stand-in for one row, and a label for errors; and per sequence, its length less
    the span of its taps (the steps it allows: negative when it is too short)."""
    cuts, stand_ins, labels, lengths = [], [], [], []
    for position, (sequence, taps) in enumerate(sequences):
        lowest, highest = min(min(taps), 0), max(max(taps), 0)
        for tap in taps:
            start, stop = tap - lowest, tap - highest
            cut = sequence[start:stop if stop else None]
            cuts.append(cut[::-1] if go_backwards else cut)
            stand_ins.append(TensorType(sequence.dtype, sequence.broadcastable[1:])(_tap_name(sequence, tap)))
            labels.append(f"sequence {position} ('{sequence}', taps {list(taps)})")
        lengths.append(sequence.shape[0] - (highest - lowest))
    return cuts, stand_ins, labels, lengths


def _recurrent_outputs(outputs_info):
    """(position in outputs_info, initial rows, taps, one stand-in per tap) for each output fed back.

    An initial value for the one tap -1 is a step's value, made a single row; with other
    taps it holds rows already, of which the loop reads the first ``max(-tap)``.
    """
    recurrent = []
    for position, spec in enumerate(outputs_info):
        if spec is None:
            continue
        initial, taps = spec
        if list(taps) == [-1]:
            rows = E.pad_left(initial, initial.ndim + 1)
            step_type = initial.type
        else:
            if initial.ndim == 0:
                raise ValueError(f"scan: outputs_info[{position}] has taps {list(taps)}, so its initial value must "
                                 f"hold {max(-t for t in taps)} rows, but it is {initial.describe()}"
                                 f"{initial.made_at()}")
            rows = initial[:max(-tap for tap in taps)]
            step_type = TensorType(initial.dtype, initial.broadcastable[1:])
        recurrent.append((position, rows, taps, [step_type(_tap_name(initial, tap)) for tap in taps]))
    return recurrent


def _stand_in_for(outer_of, outer):
    """A fresh inner stand-in for the outer variable ``outer`` (recorded in ``outer_of``)."""
    stand_in = outer.type(f"{outer.name}_copy" if outer.name else None)
    outer_of[stand_in] = outer
    return stand_in


# --- reading the arguments ----------------------------------------------------------------

def _as_list(value):
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _sequence_spec(sequence, position):
    """(the sequence as a variable, its taps) from a variable or ``dict(input=..., taps=[...])``."""
    taps = [0]
    if isinstance(sequence, dict):
        if "input" not in sequence:
            raise ValueError(f"scan: sequences[{position}] is a dict without 'input': {sequence!r}")
        taps = [0] if sequence.get("taps") is None else _as_list(sequence["taps"])
        sequence = sequence["input"]
    sequence = as_tensor_variable(sequence)
    if sequence.ndim == 0:
        raise TypeError(f"scan: sequences[{position}] must have a first axis to iterate over, but it is "
                        f"{sequence.describe()}{sequence.made_at()}")
    if not taps or not all(isinstance(t, (int, np.integer)) for t in taps) or len(set(taps)) != len(taps):
        raise ValueError(f"scan: the taps of sequences[{position}] must be distinct ints, got {taps!r}")
    return sequence, tuple(int(t) for t in taps)


def _output_spec(spec, position):
    """None for an output not fed back, else (initial value, taps)."""
    if spec is None:
        return None
    taps = [-1]
    if isinstance(spec, dict):
        if spec.get("return_steps") is not None:
            raise ValueError("scan: return_steps is gone, as in Theano: index the output instead (out[-1])")
        if spec.get("initial") is None:
            if spec.get("taps"):
                raise ValueError(f"scan: outputs_info[{position}] has taps {spec['taps']!r} but no initial value; "
                                 f"the taps read values from before the first step, which it must provide")
            return None
        taps = [-1] if spec.get("taps") is None else _as_list(spec["taps"])
        spec = spec["initial"]
    if not taps or any(not isinstance(t, (int, np.integer)) or t >= 0 for t in taps) or len(set(taps)) != len(taps):
        raise ValueError(f"scan: the taps of outputs_info[{position}] must be distinct negative ints (-1 is the "
                         f"previous step), got {taps!r}")
    return as_tensor_variable(spec), tuple(int(t) for t in taps)


def _check_n_steps(n_steps):
    """A Python number of steps as an int (None if symbolic or absent), after checking it."""
    if n_steps is None:
        return None
    if isinstance(n_steps, Variable):
        if n_steps.ndim != 0 or np.dtype(n_steps.dtype).kind not in "iu":
            raise ValueError(f"scan: n_steps must be an integer scalar, got {n_steps.describe()}{n_steps.made_at()}")
        if isinstance(n_steps, Constant) and int(n_steps.data) < 0:
            raise ValueError(f"scan: n_steps must not be negative, got {int(n_steps.data)}")
        return None
    if isinstance(n_steps, (float, np.floating)) and float(n_steps).is_integer():
        n_steps = int(n_steps)
    if not isinstance(n_steps, (int, np.integer)) or isinstance(n_steps, bool):
        raise ValueError(f"scan: n_steps must be an int or an integer scalar variable, got {n_steps!r}")
    if n_steps < 0:
        raise ValueError(f"scan: n_steps must not be negative, got {n_steps}")
    return as_tensor_variable(np.int64(n_steps))


def _tap_name(var, tap):
    if var.name is None:
        return None
    return f"{var.name}[t]" if tap == 0 else f"{var.name}[t{tap:+d}]"


def _split_result(result, site):
    """fn's result as (outputs, updates, condition): a variable, a list of them, a dict of
    updates, an ``until``, or a tuple or list of those."""
    outputs, updates, condition = [], OrderedDict(), None
    items = list(result) if isinstance(result, (list, tuple)) else [result]
    if isinstance(result, (list, tuple)) and result and _is_update_pairs(result):
        items = [OrderedDict(result)]
    for item in items:
        if isinstance(item, until):
            condition = item.condition
        elif isinstance(item, dict):
            updates.update(item)
        elif isinstance(item, (list, tuple)) and item and _is_update_pairs(item):
            updates.update(OrderedDict(item))
        elif isinstance(item, (list, tuple)):
            outputs += [_as_output(v, site) for v in item]
        elif item is not None:
            outputs.append(_as_output(item, site))
    for target, value in list(updates.items()):
        if not isinstance(target, SharedVariable):
            raise TypeError(f"scan: fn returned an update of {target!r}, which is not a shared variable{_at(site)}")
        value = as_tensor_variable(value) if isinstance(value, Variable) else as_tensor_variable(
            target.type.filter(value))
        if value.dtype != target.dtype or value.ndim != target.ndim:
            raise TypeError(f"scan: fn's update of shared variable {target.describe()} has type {value.type}; it "
                            f"must be {target.type} (cast it with T.cast){_at(site)}")
        updates[target] = value
    return outputs, updates, condition


def _is_update_pairs(items):
    return all(isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], SharedVariable) for p in items)


def _as_output(value, site):
    try:
        return as_tensor_variable(value)
    except (TypeError, ValueError) as error:
        raise TypeError(f"scan: fn returned {value!r}, which is not a variable, a dict of updates or an "
                        f"until: {error}{_at(site)}") from None


def _check_recurrent_type(position, output, step_type, initial, site):
    """An output fed back must have its initial value's dtype and rank: Theano's most common scan error."""
    if output.dtype == step_type.dtype and output.ndim == step_type.ndim:
        return
    raise TypeError(
        f"scan: output {position} of fn has type {output.type}, but its initial value in outputs_info[{position}] "
        f"gives steps of type {step_type} ({initial.describe()}); an output fed back to fn must keep the type "
        f"of its initial value. Cast the output in fn (T.cast(..., '{step_type.dtype}')) or give an initial "
        f"value of dtype '{output.dtype}'{output.made_at()}{_at(site)}")


def _with_default_updates(outputs, updates, condition):
    """``updates`` and the default updates (a random stream's next state) of the shared variables the graph reads."""
    updates = OrderedDict(updates)
    roots = outputs + list(updates.values()) + ([condition] if condition is not None else [])
    while roots:
        found = [v for v in graph_inputs(roots) if isinstance(v, SharedVariable)
                 and v.default_update is not None and v not in updates]
        for v in found:
            updates[v] = v.default_update
        roots = [v.default_update for v in found]
    return updates


def _at(site):
    return f"\n  scan was called at {site}" if site is not None else ""
