"""theano.scan: Theano's semantics, updates and random draws in loops, errors, gradients, rewrites, printing."""

import io

import numpy as np
import pytest

import minitensor as theano
import minitensor.tensor as T
from minitensor.compile.executor import MissingInputError
from minitensor.scan_module import Scan, until
from minitensor.tensor.shared_randomstreams import RandomStreams


def scan_nodes(f):
    return [node for node in f.maker.fgraph.apply_nodes if isinstance(node.op, Scan)]


# --- semantics ----------------------------------------------------------------------------

def test_fn_receives_sequences_then_outputs_then_non_sequences():
    x, y0, c = T.dvector("x"), T.dscalar("y0"), T.dscalar("c")
    seen = []

    def fn(*args):
        seen.extend(args)
        x_t, y_prev, c_ = args
        return y_prev * c_ + x_t

    y, updates = theano.scan(fn, sequences=x, outputs_info=y0, non_sequences=c)
    assert seen[2] is c  # the non-sequence itself, as in Theano (so T.grad(..., c) works inside fn)
    assert seen[1].name == "y0[t-1]" and seen[0].name == "x[t]"
    assert updates == {}
    np.testing.assert_allclose(y.eval({x: [1.0, 2.0, 3.0], y0: 1.0, c: 2.0}), [3.0, 8.0, 19.0])


def test_taps_on_sequences_and_outputs():
    """x[t] = u[t-2] + u[t+1] + x[t-3] - x[t-1]; u[0] is u[-2] at the first step, as in Theano."""
    u, x0 = T.dvector("u"), T.dvector("x0")
    x, _ = theano.scan(lambda u_m2, u_p1, x_m3, x_m1: u_m2 + u_p1 + x_m3 - x_m1,
                       sequences=dict(input=u, taps=[-2, 1]), outputs_info=dict(initial=x0, taps=[-3, -1]))
    u_val, x0_val = np.arange(7.0), np.array([10.0, 20.0, 30.0])
    history = list(x0_val)
    for t in range(2, 6):
        history.append(u_val[t - 2] + u_val[t + 1] + history[-3] - history[-1])
    np.testing.assert_allclose(x.eval({u: u_val, x0: x0_val}), history[3:])


def test_outputs_not_fed_back_mixed_with_fed_back_ones():
    x = T.dvector("x")
    squares, running = theano.scan(lambda x_t, total: (x_t ** 2, total + x_t), sequences=x,
                                   outputs_info=[None, T.constant(0.0)])[0]
    f = theano.function([x], [squares, running])
    s, r = f([1.0, 2.0, 3.0])
    np.testing.assert_allclose(s, [1.0, 4.0, 9.0])
    np.testing.assert_allclose(r, [1.0, 3.0, 6.0])


def test_the_shortest_sequence_wins_and_n_steps_cuts_further():
    a, b, n = T.dvector("a"), T.dvector("b"), T.iscalar("n")
    sums, _ = theano.scan(lambda x, y: x + y, sequences=[a, b])
    assert theano.function([a, b], sums)([1.0, 2.0, 3.0], [10.0, 20.0]).tolist() == [11.0, 22.0]
    cut, _ = theano.scan(lambda x, y: x + y, sequences=[a, b], n_steps=n)
    assert theano.function([a, b, n], cut)([1.0, 2.0, 3.0], [10.0, 20.0, 30.0], 1).tolist() == [11.0]


def test_go_backwards_walks_the_sequence_from_its_end():
    x = T.dvector("x")
    out, _ = theano.scan(lambda x_t, acc: acc * 10 + x_t, sequences=x, outputs_info=T.constant(0.0),
                         go_backwards=True)
    np.testing.assert_allclose(out.eval({x: [1.0, 2.0, 3.0]}), [3.0, 32.0, 321.0])


def test_until_stops_after_the_step_where_the_condition_holds():
    limit = T.dscalar("limit")
    values, _ = theano.scan(lambda p, m: (p * 2, until(p * 2 > m)), outputs_info=T.constant(1.0),
                            non_sequences=limit, n_steps=1024)
    f = theano.function([limit], values)
    np.testing.assert_allclose(f(45), [2.0, 4.0, 8.0, 16.0, 32.0, 64.0])
    assert len(f(1e300)) == 997  # 2 ** 997 > 1e300: the condition, not n_steps, ended it
    assert "while" in str(scan_nodes(f)[0].op)


def test_updates_returned_by_fn_come_back_as_the_last_step():
    k = theano.shared(0)
    n = T.iscalar("n")
    results, updates = theano.scan(lambda: {k: k + 1}, n_steps=n)
    assert results is None and list(updates) == [k]
    accumulate = theano.function([n], [], updates=updates)
    accumulate(5)
    assert k.get_value() == 5
    accumulate(3)
    assert k.get_value() == 8


def test_a_random_draw_inside_the_loop_is_new_at_every_step_and_advances_the_stream():
    srng = RandomStreams(seed=3)
    x = T.dmatrix("x")
    noisy, updates = theano.scan(lambda row: row + srng.uniform(row.shape), sequences=x)
    assert len(updates) == 1  # the stream's state, carried through the loop
    f = theano.function([x], noisy, updates=updates)
    first, second = f(np.zeros((3, 2))), f(np.zeros((3, 2)))
    assert len({tuple(row) for row in first}) == 3  # each step drew other numbers
    assert not np.allclose(first, second)  # and the next call continues the stream
    frozen = theano.function([x], noisy, no_default_updates=True)
    np.testing.assert_array_equal(frozen(np.zeros((3, 2))), frozen(np.zeros((3, 2))))


def test_shared_variables_read_inside_fn_become_inputs_of_the_loop():
    w = theano.shared(np.array([1.0, 2.0]), name="w")
    x = T.dmatrix("x")
    out, _ = theano.scan(lambda row: T.dot(row, w), sequences=x)
    f = theano.function([x], out)
    np.testing.assert_allclose(f(np.eye(2)), [1.0, 2.0])
    w.set_value(np.array([3.0, 4.0]))
    np.testing.assert_allclose(f(np.eye(2)), [3.0, 4.0])  # read at every call, not copied into the loop


def test_map_reduce_foldl_foldr():
    v = T.dvector("v")
    squares, _ = theano.map(lambda x: x ** 2, v)
    total, _ = theano.reduce(lambda x, acc: acc + x, v, T.constant(0.0))
    left, _ = theano.foldl(lambda x, acc: acc * 10 + x, v, T.constant(0.0))
    right, _ = theano.foldr(lambda x, acc: acc * 10 + x, v, T.constant(0.0))
    f = theano.function([v], [squares, total, left, right])
    s, t, l, r = f([1.0, 2.0, 3.0])
    np.testing.assert_allclose(s, [1.0, 4.0, 9.0])
    assert (float(t), float(l), float(r)) == (6.0, 123.0, 321.0)


def test_return_list_and_name():
    x = T.dvector("x")
    out, _ = theano.scan(lambda x_t: x_t * 2, sequences=x, return_list=True, name="double")
    assert isinstance(out, list) and out[0].name == "double"
    assert str(out[0].owner.op) == "for{double}"


def test_a_scan_inside_a_scan():
    m = T.dmatrix("m")
    row_sums, _ = theano.scan(lambda row: theano.reduce(lambda x, acc: acc + x, row, T.constant(0.0))[0],
                              sequences=m)
    np.testing.assert_allclose(row_sums.eval({m: [[1.0, 2.0], [3.0, 4.0]]}), [3.0, 7.0])


def test_zero_steps_give_empty_histories():
    x0, n = T.dvector("x0"), T.iscalar("n")
    out, _ = theano.scan(lambda x: x + 1, outputs_info=x0, n_steps=n)
    assert theano.function([x0, n], out)([1.0, 2.0], 0).shape == (0, 2)


# --- errors -------------------------------------------------------------------------------

def test_fn_returning_more_outputs_than_outputs_info_names_both_counts():
    x = T.dvector("x")
    with pytest.raises(ValueError, match="fn returned 2 outputs, but outputs_info has 1 entries") as error:
        theano.scan(lambda x_t, acc: (acc + x_t, x_t * 2), sequences=x, outputs_info=[T.constant(0.0)])
    assert "test_scan.py" in str(error.value)  # the user's line


def test_output_type_differing_from_its_initial_value_suggests_the_cast():
    x = T.dvector("x")
    with pytest.raises(TypeError) as error:
        theano.scan(lambda x_t, acc: acc + x_t, sequences=x, outputs_info=T.constant(np.float32(0)))
    message = str(error.value)
    assert "output 0" in message and "float64" in message and "float32" in message and "T.cast" in message


def test_taps_on_a_sequence_too_short_are_reported_when_it_runs():
    u = T.dvector("u")
    out, _ = theano.scan(lambda a, b: a + b, sequences=dict(input=u, taps=[-4, 0]))
    f = theano.function([u], out)
    assert len(f(np.arange(6.0))) == 2
    with pytest.raises(ValueError, match=r"number of steps is -1.*sequence 0 \(.u., taps \[-4, 0\]\)"):
        f(np.arange(3.0))


def test_bad_n_steps():
    x0 = T.dscalar("x0")
    with pytest.raises(ValueError, match="must not be negative"):
        theano.scan(lambda x: x + 1, outputs_info=x0, n_steps=-2)
    with pytest.raises(ValueError, match="integer scalar"):
        theano.scan(lambda x: x + 1, outputs_info=x0, n_steps=T.dscalar("n"))
    n = T.iscalar("n")
    out, _ = theano.scan(lambda x: x + 1, outputs_info=x0, n_steps=n)
    with pytest.raises(ValueError, match="n_steps must not be negative"):
        theano.function([x0, n], out)(0.0, -1)
    s = T.dvector("s")
    longer, _ = theano.scan(lambda s_t: s_t * 2, sequences=s, n_steps=n)
    with pytest.raises(ValueError, match="fewer than the 5 steps"):
        theano.function([s, n], longer)([1.0, 2.0], 5)
    with pytest.raises(ValueError, match="no number of steps"):
        theano.scan(lambda: T.constant(1.0))


def test_strict_requires_shared_variables_among_non_sequences():
    w = theano.shared(np.ones(2), name="w")
    x = T.dmatrix("x")
    with pytest.raises(MissingInputError, match="'w'"):
        theano.scan(lambda row: T.dot(row, w), sequences=x, strict=True)
    out, _ = theano.scan(lambda row, w: T.dot(row, w), sequences=x, non_sequences=[w], strict=True)
    np.testing.assert_allclose(out.eval({x: np.eye(2)}), [1.0, 1.0])


# --- gradients ----------------------------------------------------------------------------

def test_gradient_of_a_jacobian_row_loop_as_on_the_derivatives_page():
    x = T.dvector("x")
    y = x ** 3
    J, _ = theano.scan(lambda i, y, x: T.grad(y[i], x), sequences=T.arange(y.shape[0]), non_sequences=[y, x])
    np.testing.assert_allclose(J.eval({x: [1.0, 2.0]}), np.diag([3.0, 12.0]))
    # the Hessian of sum(J): differentiate the loop itself
    g = T.grad(J.sum(), x)
    np.testing.assert_allclose(g.eval({x: [1.0, 2.0]}), [6.0, 12.0])


def test_gradients_of_a_recurrence_match_verify_grad():
    def recurrence(x, w, h0):
        h, _ = theano.scan(lambda x_t, h_m2, h_m1, w: T.tanh(w * h_m1 + 0.5 * h_m2 + x_t), sequences=x,
                           outputs_info=dict(initial=h0, taps=[-2, -1]), non_sequences=w, go_backwards=True)
        return h

    rng = np.random.default_rng(0)
    theano.gradient.verify_grad(recurrence, [rng.uniform(-1, 1, (4, 3)), rng.uniform(-1, 1, 3),
                                             rng.uniform(-1, 1, (2, 3))], rng=rng)


def test_second_derivatives_through_a_scan_hessian_vector_product():
    x, v = T.dvector("x"), T.dvector("v")
    out, _ = theano.scan(lambda x_t, acc: acc * T.sin(x_t) + x_t ** 2, sequences=x, outputs_info=T.constant(1.0))
    cost = out[-1]
    g = T.grad(cost, x)
    hv = T.grad(T.sum(g * v), x)  # H v
    rop = T.Rop(g, x, v)  # also H v, by the double-Lop trick, through two scans
    H = T.hessian(cost, x)
    x_val, v_val = np.array([0.3, -0.2, 0.5]), np.array([1.0, -1.0, 2.0])
    f = theano.function([x, v], [hv, rop, H])
    hv_val, rop_val, H_val = f(x_val, v_val)
    np.testing.assert_allclose(hv_val, H_val @ v_val, rtol=1e-10)
    np.testing.assert_allclose(rop_val, H_val @ v_val, rtol=1e-10)
    eps, numeric = 1e-6, np.zeros((3, 3))  # the Hessian against differences of the gradient
    grad_f = theano.function([x], g)
    for i in range(3):
        step = np.eye(3)[i] * eps
        numeric[:, i] = (grad_f(x_val + step) - grad_f(x_val - step)) / (2 * eps)
    np.testing.assert_allclose(H_val, numeric, rtol=1e-6, atol=1e-8)


def test_lop_and_rop_through_a_map():
    x, u, v = T.dvector("x"), T.dvector("u"), T.dvector("v")
    y, _ = theano.map(lambda x_t: T.exp(x_t) * x_t, x)
    lop = theano.function([x, u], T.Lop(y, x, u))
    rop = theano.function([x, v], T.Rop(y, x, v))
    x_val = np.array([0.1, 0.5])
    derivative = np.exp(x_val) * (1 + x_val)
    np.testing.assert_allclose(lop(x_val, [2.0, 3.0]), derivative * [2.0, 3.0])
    np.testing.assert_allclose(rop(x_val, [2.0, 3.0]), derivative * [2.0, 3.0])


def test_gradient_through_a_while_loop_covers_the_steps_that_ran():
    x, limit = T.dscalar("x"), T.dscalar("limit")
    values, _ = theano.scan(lambda p, x: (p * x, until(p * x > limit)), outputs_info=T.constant(1.0),
                            non_sequences=x, n_steps=50)
    f = theano.function([x, limit], [values[-1], T.grad(values[-1], x)])
    last, g = f(2.0, 20.0)  # 2, 4, 8, 16, 32: five steps, so x ** 5
    assert float(last) == 32.0 and float(g) == pytest.approx(5 * 2.0 ** 4)


# --- compilation --------------------------------------------------------------------------

def test_invariant_work_moves_out_of_the_loop():
    x, W = T.dmatrix("x"), T.dmatrix("W")
    out, _ = theano.scan(lambda row, W: T.dot(row, W.T * 2), sequences=x, non_sequences=W)
    f = theano.function([x, W], out)
    assert "scan_push_out_invariants" in [r.rule for r in f.maker.rewrites]
    inner = scan_nodes(f)[0].op.inner_outputs[0]
    assert "DimShuffle" not in str(theano.printing.pp(inner))  # W.T * 2 is computed once, outside
    w = np.arange(4.0).reshape(2, 2)
    np.testing.assert_allclose(f(np.eye(2), w), w.T * 2)


def test_only_the_last_step_is_kept_when_only_it_is_used():
    k, A = T.iscalar("k"), T.dvector("A")
    result, _ = theano.scan(lambda prior, A: prior * A, outputs_info=T.ones_like(A), non_sequences=A, n_steps=k)
    power = theano.function([A, k], result[-1])
    (node,) = scan_nodes(power)
    assert node.op.history == (False,)  # a window of one step instead of k steps
    assert "scan_last_step_only" in [r.rule for r in power.maker.rewrites]
    np.testing.assert_allclose(power(np.arange(4.0), 3), np.arange(4.0) ** 3)
    # its gradient recomputes the loop with the history it needs
    np.testing.assert_allclose(theano.function([A, k], T.grad(result[-1].sum(), A))(np.arange(4.0), 3),
                               3 * np.arange(4.0) ** 2)


def test_fast_run_and_fast_compile_agree():
    x, w = T.dmatrix("x"), T.dvector("w")
    h, _ = theano.scan(lambda x_t, h, w: T.tanh(h * w + x_t) * T.exp(-w * w), sequences=x,
                       outputs_info=T.zeros_like(x[0]), non_sequences=w)
    cost = T.sum(h ** 2)
    values = [np.random.default_rng(1).uniform(-1, 1, (5, 3)), np.array([0.5, -0.2, 0.1])]
    results = [theano.function([x, w], [cost] + T.grad(cost, [x, w]), mode=mode)(*values)
               for mode in ("FAST_COMPILE", "FAST_RUN")]
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_debugprint_shows_the_inner_graph_as_theano_does():
    k, A = T.iscalar("k"), T.dvector("A")
    result, _ = theano.scan(lambda prior, A: prior * A, outputs_info=T.ones_like(A), non_sequences=A, n_steps=k)
    text = theano.printing.debugprint(result, file=io.StringIO()).getvalue()
    outer, inner = text.split("Inner graphs of the scan ops:")
    assert outer.startswith("for{scan_fn} [id A] ''\n |k [id B]")
    assert " >Elemwise{mul,no_inplace}" in inner
    assert " > |A_copy" in inner and "-> [id " in inner  # the body's input points at the outer A


def test_the_drawing_puts_the_loop_body_in_a_cluster_fed_by_the_outer_values():
    k, A = T.iscalar("k"), T.dvector("A")
    result, _ = theano.scan(lambda prior, A: prior * A, outputs_info=T.ones_like(A), non_sequences=A, n_steps=k)
    dot = theano.printing.to_dot(result)
    cluster = dot[dot.index("subgraph cluster_"):dot.index("  }\n")]
    assert 'label="loop body: for{scan_fn}"' in cluster
    assert "A_copy" in cluster and "Elemwise{mul,no_inplace}" in cluster and 'label="out 0"' in cluster
    assert 'label="n_steps"' in dot  # k enters the loop node itself


def test_print_program_shows_the_loop_body():
    k, A = T.iscalar("k"), T.dvector("A")
    result, _ = theano.scan(lambda prior, A: prior * A + 1, outputs_info=T.ones_like(A), non_sequences=A, n_steps=k)
    text = theano.printing.print_program(theano.function([A, k], result), file=io.StringIO()).getvalue()
    body = text.split("# the body of for{scan_fn}")[1]
    assert "def compute(" in body and "Composite{((i0 * i1) + 1.0)}" in body  # the body, fused


def test_gradients_through_a_loop_inside_a_loop():
    def nested(m, w):  # for each row: sum_i tanh(row[i] * w[i]), itself a loop
        return theano.scan(lambda row, w: theano.reduce(lambda x, w_i, acc: acc + T.tanh(x * w_i), [row, w],
                                                        T.constant(0.0))[0], sequences=m, non_sequences=w)[0]

    rng = np.random.default_rng(2)
    theano.gradient.verify_grad(nested, [rng.uniform(-1, 1, (3, 2)), rng.uniform(-1, 1, 2)], rng=rng)


def test_a_loop_and_its_gradient_on_each_backend(backend):
    """The body is compiled for the outer function's backend; on CuPy its scalars cross to the host."""
    x, w, n = T.dmatrix("x"), T.dvector("w"), T.iscalar("n")
    h, _ = theano.scan(lambda x_t, i, h, w: T.tanh(h * w + x_t * T.cast(i, "float64")),
                       sequences=[x, T.arange(n)], outputs_info=T.zeros_like(x[0]), non_sequences=w)
    cost = T.sum(h[-1] ** 2)
    values = [np.random.default_rng(3).uniform(-1, 1, (4, 3)), np.array([0.5, -0.3, 0.8]), 3]
    expected = theano.function([x, w, n], [cost] + T.grad(cost, [x, w]), backend="numpy")(*values)
    got = theano.function([x, w, n], [cost] + T.grad(cost, [x, w]), backend=backend)(*values)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-12)


# --- cases from Theano's own scan tests, with the values Theano expects -------------------------

def test_the_polynomial_and_its_first_and_second_derivatives():
    c, x = T.dvector("c"), T.dscalar("x")
    components, _ = theano.scan(lambda coeff, power, free_var: coeff * (free_var ** power),
                                sequences=[c, T.arange(1000)], non_sequences=x)
    dP = T.grad(components.sum(), x)  # the sequences are cut to 4 steps before they are reversed
    ddP = T.grad(dP, x)
    f = theano.function([c, x], [dP, ddP])
    assert [float(v) for v in f([1.0, 2.0, -3.0, 4.0], 2.0)] == [38.0, 42.0]


def test_gradients_of_two_outputs_that_are_one_variable():
    seq, out_init, non_seq = T.dmatrix("seq"), T.dmatrix("out_init"), T.dvector("non_seq")
    outputs, _ = theano.scan(lambda a, b, c: (a + b + c, a + b + c), sequences=seq,
                             outputs_info=[None, dict(initial=out_init, taps=[-3])], non_sequences=non_seq)
    grads = (T.grad(outputs[0].sum(), [seq, out_init, non_seq])
             + T.grad(outputs[1].sum(), [seq, out_init, non_seq]))
    rng = np.random.default_rng(0)
    got = theano.function([seq, out_init, non_seq], grads)(rng.random((10, 3)), rng.random((3, 3)), rng.random(3))
    for g_seq, g_init, g_non_seq in (got[:3], got[3:]):  # x[t] feeds x[t + 3]: each row counts 1 + (steps it reaches)
        np.testing.assert_array_equal(g_seq[:, 0], [4, 3, 3, 3, 2, 2, 2, 1, 1, 1])
        np.testing.assert_array_equal(g_init[:, 0], [4, 3, 3])
        np.testing.assert_array_equal(g_non_seq, [22, 22, 22])


def test_a_truncated_gradient_through_a_while_loop():
    x, threshold = T.dvector("x"), T.dscalar("threshold")
    r, _ = theano.scan(lambda x_t, u: (x_t * x_t, until(x_t > u)), sequences=x, non_sequences=threshold,
                       truncate_gradient=3)
    values, g = theano.function([x, threshold], [r, T.grad(r.sum(), x)])(np.arange(15.0), 5)
    np.testing.assert_array_equal(values, np.arange(7.0) ** 2)  # 6 > 5 ends it
    np.testing.assert_array_equal(g, [0, 0, 0, 0, 8, 10, 12, 0, 0, 0, 0, 0, 0, 0, 0])  # the last 3 steps that ran


def test_debugprint_of_a_compiled_function_shows_the_compiled_body():
    k, A = T.iscalar("k"), T.dvector("A")
    result, _ = theano.scan(lambda prior, A: T.exp(prior * A) + 1, outputs_info=T.ones_like(A), non_sequences=A,
                            n_steps=k)
    text = theano.printing.debugprint(theano.function([A, k], result), file=io.StringIO()).getvalue()
    inner = text.split("Inner graphs of the scan ops:")[1]
    assert " >Composite{(exp((i0 * i1)) + 1.0)}" in inner  # rewritten and fused, as the loop runs it


def test_a_gibbs_chain_keeps_only_its_last_step_and_its_random_state():
    """Theano's Gibbs sampling example: values[-1] and the streams' states are all that is read."""
    W = theano.shared(np.random.default_rng(0).random((2, 2)))
    srng = RandomStreams(seed=1)

    def one_step(v):
        h = srng.binomial(size=v.shape, n=1, p=T.nnet.sigmoid(theano.dot(v, W)), dtype="float64")
        return srng.binomial(size=v.shape, n=1, p=T.nnet.sigmoid(theano.dot(h, W.T)), dtype="float64")

    sample = T.dvector("sample")
    values, updates = theano.scan(one_step, outputs_info=sample, n_steps=10)
    gibbs10 = theano.function([sample], values[-1], updates=updates)
    (node,) = scan_nodes(gibbs10)
    assert node.op.history == (False, False, False)  # the chain and both streams: one step each
    everything = theano.function([sample], [values, values[-1]], no_default_updates=True)
    assert scan_nodes(everything)[0].op.history[0]  # values itself is read: every step is kept
    assert set(gibbs10([1.0, 0.0])) <= {0.0, 1.0}


def test_the_shape_of_a_loops_result_is_known_without_running_the_loop():
    A, k = T.dvector("A"), T.iscalar("k")
    result, _ = theano.scan(lambda prior, A: prior * A, outputs_info=T.ones_like(A), non_sequences=A, n_steps=k)
    f = theano.function([A, k], [result.shape, result[-1].shape])
    assert not any(isinstance(node.op, Scan) for node in f.maker.fgraph.toposort())
    for n, steps in [(3, 5), (2, 2), (4, 1)]:
        assert [list(s) for s in f(np.ones(n), steps)] == [[steps, n], [n]]
