"""The gradient of a ``Scan``: backpropagation through time, as another ``Scan``.

Step t of the forward loop reads the sequences' rows t, the recurrent outputs at
``t + tap`` and the non-sequences, and writes x[t] for each recurrent output and
y[t] for each mapped one. Given the cost's gradients G_x[t] and G_y[t] of every
step's outputs, the backward loop visits t = n-1, ..., 0 and at each step:

1. completes the gradient of x[t]: G_x[t] plus what later steps sent back to it
   through their taps (they have all run, since a tap looks back);
2. takes the vector-Jacobian product of step t's inner graph with those output
   gradients (``grad`` with ``known_grads`` on the inner graph, built once);
3. sends the gradient of each tap input, x[t + tap], back to that earlier step;
   adds the non-sequences' gradients to running sums; and emits the sequences'
   gradients of row t.

What step 3 sends back waits in a window of ``depth`` rows per recurrent output
(``pending`` below), carried from backward step to backward step: row i holds
what has reached x[t - depth + 1 + i] so far. After the last backward step the
window holds the gradient of the initial rows. So the backward loop is a Scan
whose sequences are the forward ones reversed (with each tap's values of each
recurrent output, and the output gradients), and whose carried values are the
windows and the sums: its own gradient is again a Scan, which gives second
derivatives.

``truncate_gradient = k`` runs only the last k backward steps: earlier steps get
no gradient, and neither do the initial values unless the loop is that short.
"""

import dataclasses

from minitensor.graph import Variable, ancestors, clone_replace
from minitensor.tensor import elemwise as E
from minitensor.tensor.construction import join
from minitensor.tensor.subtensor import inc_subtensor, set_subtensor
from minitensor.tensor.type import TensorType, is_continuous


def scan_grad(op, inputs, outputs, output_grads):
    """The gradients of a Scan node's inputs (None for n_steps and for integer inputs)."""
    from minitensor.gradient import grad
    from minitensor.scan_module.scan_op import Scan

    n_seq, n_rec = op.n_sequences, op.n_recurrent
    n_steps, sequences = inputs[0], inputs[1:1 + n_seq]
    initials, others = inputs[1 + n_seq:1 + n_seq + n_rec], inputs[1 + n_seq + n_rec:]
    results = [None] * len(inputs)

    # Every step's values, with the histories of outputs the node kept only the last value of.
    if all(op.history):
        histories = outputs[:n_rec]
    else:
        histories = _as_list(dataclasses.replace(op, history=(True,) * n_rec)(*inputs))[:n_rec]
    mapped_values = outputs[n_rec:]
    stepped = list(histories) + list(mapped_values)
    if not stepped:
        return results
    n_done = stepped[0].shape[0] if op.as_while else n_steps
    if op.truncate_gradient == -1:
        start, n_back = 0, n_done
    else:
        n_back = E.minimum(n_done, op.truncate_gradient)
        start = n_done - n_back

    # The output gradients of every step: an output that kept only its last value gets its gradient there.
    step_grads = []
    for k in range(n_rec):
        g = output_grads[k]
        step_grads.append(g if op.history[k] else set_subtensor(E.zeros_like(histories[k])[-1], g[-1]))
    step_grads += list(output_grads[n_rec:])

    rec_float = [k for k, out in enumerate(op.recurrent_outputs) if is_continuous(out.dtype)]
    map_float = [m for m, out in enumerate(op.mapped_outputs) if is_continuous(out.dtype)]
    seq_float = [j for j in range(n_seq) if is_continuous(op.inner_inputs[j].dtype)]
    other_float = [i for i, v in enumerate(op.non_sequence_inputs) if is_continuous(v.dtype)]
    if not (rec_float or map_float) or not (seq_float or rec_float or other_float):
        return results

    # The backward step's inner graph.
    row_grads = {k: op.recurrent_outputs[k].type(f"g_x{k}[t]") for k in rec_float}
    mapped_row_grads = {m: op.mapped_outputs[m].type(f"g_y{m}[t]") for m in map_float}
    pending = {k: TensorType(op.recurrent_outputs[k].dtype, (False,) + op.tap_inputs(k)[0].broadcastable)(
        f"pending_x{k}") for k in rec_float}
    sums = {i: op.non_sequence_inputs[i].type(f"sum_g{i}") for i in other_float}
    known = {}
    for k in rec_float:
        _add(known, op.recurrent_outputs[k], row_grads[k] + pending[k][op.depths[k] - 1])
    for m in map_float:
        _add(known, op.mapped_outputs[m], mapped_row_grads[m])
    wrt = ([op.inner_inputs[j] for j in seq_float] + [v for k in rec_float for v in op.tap_inputs(k)]
           + [op.non_sequence_inputs[i] for i in other_float])
    inner_grads = grad(None, wrt, known_grads=known, disconnected_inputs="ignore")
    seq_grads = inner_grads[:len(seq_float)]
    tap_grads = inner_grads[len(seq_float):len(inner_grads) - len(other_float)]
    other_grads = inner_grads[len(inner_grads) - len(other_float):]
    new_pending = []
    for k in rec_float:
        new_pending.append(_send_back(pending[k], op.taps[k], tap_grads[:len(op.taps[k])], op.depths[k]))
        tap_grads = tap_grads[len(op.taps[k]):]
    new_sums = [sums[i] + g for i, g in zip(other_float, other_grads)]
    body_outputs = new_pending + new_sums + list(seq_grads)

    # The backward body reads the forward step's outputs (tanh's gradient is 1 - out ** 2); their
    # values at step t are known, so it takes them as sequences instead of computing them again.
    needed = ancestors(body_outputs)
    known_values = [(out, values) for out, values in zip(op.recurrent_outputs + op.mapped_outputs, stepped)
                    if out.owner is not None and out in needed]
    reused = [out.type(f"{out.name or 'out'}[t]") for out, _ in known_values]
    body_outputs = clone_replace(body_outputs, {out: stand_in for (out, _), stand_in in zip(known_values, reused)})

    backward = Scan(
        inner_inputs=tuple([row_grads[k] for k in rec_float] + [mapped_row_grads[m] for m in map_float]
                           + list(op.inner_inputs[:n_seq + op.n_tap_inputs]) + reused
                           + [pending[k] for k in rec_float] + [sums[i] for i in other_float]
                           + list(op.non_sequence_inputs)),
        inner_outputs=tuple(body_outputs),
        n_sequences=len(rec_float) + len(map_float) + n_seq + op.n_tap_inputs + len(reused),
        taps=((-1,),) * (len(rec_float) + len(other_float)),
        history=(False,) * (len(rec_float) + len(other_float)),
        n_mapped=len(seq_float), mode=op.mode, name=f"grad_of_{op.name or 'scan_fn'}")

    def backwards(values):  # the steps start .. n_done - 1, last first
        return values[start:n_done][::-1]

    backward_sequences = ([backwards(step_grads[k]) for k in rec_float]
                          + [backwards(step_grads[n_rec + m]) for m in map_float]
                          + [backwards(s) for s in sequences])
    for k in range(n_rec):
        depth = op.depths[k]
        everything = join(0, initials[k][-depth:], histories[k])  # x[-depth], ..., x[n_done - 1]
        backward_sequences += [everything[depth + tap + start:depth + tap + n_done][::-1] for tap in op.taps[k]]
    backward_sequences += [backwards(values) for _, values in known_values]
    backward_initials = ([E.zeros_like(E.pad_left(initials[k][-op.depths[k]:], initials[k].ndim + 1))
                          for k in rec_float]
                         + [E.zeros_like(E.pad_left(others[i], others[i].ndim + 1)) for i in other_float])
    finals = _as_list(backward(n_back, *backward_sequences, *backward_initials, *others))
    n_carried = len(rec_float) + len(other_float)
    finals = [last[-1] for last in finals[:n_carried]] + finals[n_carried:]  # the carried values' last rows

    for k, window in zip(rec_float, finals):
        if op.truncate_gradient != -1:  # the window reached the initial rows only if no step was cut
            window = E.switch(E.eq(start, 0), window, E.zeros_like(window))
        depth = op.depths[k]
        results[1 + n_seq + k] = inc_subtensor(E.zeros_like(initials[k])[-depth:], window)
    for i, total in zip(other_float, finals[len(rec_float):]):
        results[1 + n_seq + n_rec + i] = total
    for j, g in zip(seq_float, finals[len(rec_float) + len(other_float):]):
        results[1 + j] = set_subtensor(E.zeros_like(sequences[j])[start:n_done], g[::-1])
    return results


def _send_back(pending, taps, tap_grads, depth):
    """The window of gradients waiting for earlier steps, one step earlier: shifted by one row,
    with the gradients of this step's tap inputs added at their rows."""
    if depth == 1:
        return E.pad_left(tap_grads[0], pending.ndim)
    shifted = join(0, E.zeros_like(pending[:1]), pending[:-1])
    for tap, g in zip(taps, tap_grads):
        shifted = inc_subtensor(shifted[depth + tap], g)
    return shifted


def _add(known, variable, g):
    known[variable] = g if variable not in known else known[variable] + g


def _as_list(value):
    return [value] if isinstance(value, Variable) else list(value)
