"""Random scans against a Python loop over NumPy: values, gradients, and FAST_RUN against FAST_COMPILE.

Each example draws a loop: sequences with taps (past, present and future rows),
outputs fed back with taps, outputs not fed back, non-sequences, ``go_backwards``
and maybe ``n_steps``. The step function is a fixed random mix of its arguments
through ``tanh``; ``reference`` runs the same loop in NumPy, following Theano's
rules for cutting the sequences, so the two must agree.
"""

import numpy as np
import pytest
from hypothesis import given, strategies as st

import minitensor as theano
import minitensor.tensor as T
from minitensor.gradient import numeric_grad

SIZE = 2


@st.composite
def loops(draw):
    sequence_taps = draw(st.lists(st.lists(st.sampled_from([-2, -1, 0, 1]), min_size=1, max_size=2, unique=True)
                                  .map(sorted), max_size=2))
    output_taps = draw(st.lists(st.lists(st.sampled_from([-3, -2, -1]), min_size=1, max_size=2, unique=True)
                                .map(sorted), max_size=2))
    n_mapped = draw(st.integers(0 if output_taps else 1, 1))
    n_non_sequences = draw(st.integers(0, 2))
    length = draw(st.integers(5, 6))
    n_steps = draw(st.one_of(st.none(), st.integers(1, 2))) if sequence_taps else draw(st.integers(1, 4))
    go_backwards = draw(st.booleans())
    seed = draw(st.integers(0, 2 ** 16))
    return dict(sequence_taps=sequence_taps, output_taps=output_taps, n_mapped=n_mapped,
                n_non_sequences=n_non_sequences, length=length, n_steps=n_steps, go_backwards=go_backwards,
                seed=seed)


def _values(loop):
    rng = np.random.default_rng(loop["seed"])
    sequences = [rng.uniform(-1, 1, (loop["length"], SIZE)) for _ in loop["sequence_taps"]]
    # an output with the one tap -1 starts from a value of a step's shape; other taps need rows of them
    initials = [rng.uniform(-1, 1, SIZE if taps == [-1] else (max(-t for t in taps), SIZE))
                for taps in loop["output_taps"]]
    others = [rng.uniform(-1, 1, SIZE) for _ in range(loop["n_non_sequences"])]
    n_args = sum(map(len, loop["sequence_taps"])) + sum(map(len, loop["output_taps"])) + loop["n_non_sequences"]
    n_outputs = len(loop["output_taps"]) + loop["n_mapped"]
    weights = rng.uniform(-1, 1, (n_outputs, n_args))
    return sequences, initials, others, weights


def step(weights, args, tanh):
    """Output k: tanh of a weighted sum of the arguments (a non-sequence multiplies instead)."""
    return [tanh(sum(w * a for w, a in zip(row, args)) + 0.1) for row in weights]


def symbolic(loop, weights, sequences, initials, others):
    outputs_info = [dict(initial=x0, taps=taps) for x0, taps in zip(initials, loop["output_taps"])]
    outputs_info += [None] * loop["n_mapped"]
    # scan passes the fed-back outputs first, but outputs_info lists the mapped ones last, as fn returns them
    out, updates = theano.scan(lambda *args: step(weights, args, T.tanh),
                               sequences=[dict(input=s, taps=taps) for s, taps in zip(sequences,
                                                                                      loop["sequence_taps"])],
                               outputs_info=outputs_info, non_sequences=others, n_steps=loop["n_steps"],
                               go_backwards=loop["go_backwards"], return_list=True)
    assert not updates
    return out


def reference(loop, weights, sequences, initials, others):
    """The same loop in Python, cutting and reversing the sequences as Theano does."""
    cuts = []
    for sequence, taps in zip(sequences, loop["sequence_taps"]):
        lowest, highest = min(min(taps), 0), max(max(taps), 0)
        for tap in taps:
            cut = sequence[tap - lowest:len(sequence) + tap - highest]
            cuts.append(cut[::-1] if loop["go_backwards"] else cut)
    n = loop["n_steps"] if loop["n_steps"] is not None else min(len(c) for c in cuts)
    histories = [[x0] if x0.ndim == 1 else list(x0) for x0 in initials]
    mapped = [[] for _ in range(loop["n_mapped"])]
    for t in range(n):
        args = [c[t] for c in cuts]
        for history, taps in zip(histories, loop["output_taps"]):
            args += [history[len(history) + tap] for tap in taps]
        args += list(others)
        results = step(weights, args, np.tanh)
        for history, value in zip(histories, results):
            history.append(value)
        for m, value in enumerate(results[len(histories):]):
            mapped[m].append(value)
    depths = [1 if x0.ndim == 1 else len(x0) for x0 in initials]
    return [np.array(h[d:]) for h, d in zip(histories, depths)] + [np.array(m) for m in mapped]


@given(loops())
def test_random_scans_match_a_python_loop(loop):
    sequences, initials, others, weights = _values(loop)
    variables = ([T.dmatrix(f"s{j}") for j in range(len(sequences))]
                 + [T.tensor("float64", (False,) * x0.ndim, f"x{k}0") for k, x0 in enumerate(initials)]
                 + [T.dvector(f"c{i}") for i in range(len(others))])
    n_s, n_x = len(sequences), len(initials)
    outputs = symbolic(loop, weights, variables[:n_s], variables[n_s:n_s + n_x], variables[n_s + n_x:])
    values = sequences + initials + others
    expected = reference(loop, weights, sequences, initials, others)

    # values, in both modes
    for mode in ("FAST_COMPILE", "FAST_RUN"):
        got = theano.function(variables, outputs, mode=mode)(*values)
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12)

    # gradients of a random projection of the outputs: finite differences of the Python loop
    projections = [np.random.default_rng(loop["seed"] + 1).uniform(0.5, 1.5, np.shape(e)) for e in expected]
    cost = sum(T.sum(out * p) for out, p in zip(outputs, projections))
    grads = T.grad(cost, variables)
    fast_compile = theano.function(variables, grads, mode="FAST_COMPILE")(*values)
    fast_run = theano.function(variables, grads, mode="FAST_RUN")(*values)

    def reference_cost(*arrays):
        outs = reference(loop, weights, list(arrays[:n_s]), list(arrays[n_s:n_s + n_x]), list(arrays[n_s + n_x:]))
        return sum(np.sum(o * p) for o, p in zip(outs, projections))

    numeric = numeric_grad(reference_cost, values, 1e-6)
    for a, b, n in zip(fast_compile, fast_run, numeric):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(a, n, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("truncate", [1, 2, 10])
def test_truncated_gradient_matches_a_cut_python_backward_loop(truncate):
    """h[t] = tanh(w * h[t-1] + x[t]); with truncate_gradient=k only the last k steps are backpropagated."""
    x, w, h0 = T.dvector("x"), T.dscalar("w"), T.dscalar("h0")
    h, _ = theano.scan(lambda x_t, h, w: T.tanh(w * h + x_t), sequences=x, outputs_info=h0, non_sequences=w,
                       truncate_gradient=truncate)
    gx, gw, gh0 = theano.function([x, w, h0], T.grad(h[-1], [x, w, h0]))(np.array([0.1, -0.3, 0.5, 0.2]), 0.7, 0.3)
    xs, hs = [0.1, -0.3, 0.5, 0.2], [0.3]
    for x_t in xs:
        hs.append(np.tanh(0.7 * hs[-1] + x_t))
    g, expect_gx, expect_gw = 1.0, np.zeros(4), 0.0  # the gradient of h[-1], walked back by hand
    for t in range(3, max(3 - truncate, -1), -1):
        local = g * (1 - hs[t + 1] ** 2)
        expect_gx[t] = local
        expect_gw += local * hs[t]
        g = local * 0.7
    expect_gh0 = g if truncate >= 4 else 0.0
    np.testing.assert_allclose(gx, expect_gx)
    np.testing.assert_allclose(gw, expect_gw)
    np.testing.assert_allclose(gh0, expect_gh0)
