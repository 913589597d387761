"""``map``, ``reduce``, ``foldl`` and ``foldr``: the common loops, written with ``scan``.

>>> import minitensor as theano, minitensor.tensor as T
>>> v = T.dvector('v')
>>> squares, _ = theano.map(lambda x: x ** 2, v)
>>> total, _ = theano.foldl(lambda x, acc: acc + x, v, T.constant(0.0))
>>> theano.function([v], [squares, total])([1.0, 2.0, 3.0])
[array([1., 4., 9.]), array(6.)]
"""

from minitensor.scan_module.scan import scan


def map(fn, sequences, non_sequences=None, truncate_gradient=-1, go_backwards=False, mode=None, name=None):
    """``fn`` applied to each row of the ``sequences``, stacked: a scan that feeds nothing back."""
    return scan(fn, sequences=sequences, outputs_info=None, non_sequences=non_sequences,
                truncate_gradient=truncate_gradient, go_backwards=go_backwards, mode=mode, name=name)


def reduce(fn, sequences, outputs_info, non_sequences=None, go_backwards=False, mode=None, name=None):
    """The last value of a scan: ``fn(rows..., accumulators..., non_sequences...)`` folded over the sequences.

    The loop keeps only the last value of each accumulator in memory (the rewrite
    ``scan_last_step_only`` sees that only ``[-1]`` is read).
    """
    outputs, updates = scan(fn, sequences=sequences, outputs_info=outputs_info, non_sequences=non_sequences,
                            go_backwards=go_backwards, mode=mode, name=name)
    if isinstance(outputs, (list, tuple)):
        return [out[-1] for out in outputs], updates
    return outputs[-1], updates


def foldl(fn, sequences, outputs_info, non_sequences=None, mode=None, name=None):
    """``reduce`` from the first row to the last."""
    return reduce(fn, sequences, outputs_info, non_sequences, go_backwards=False, mode=mode, name=name)


def foldr(fn, sequences, outputs_info, non_sequences=None, mode=None, name=None):
    """``reduce`` from the last row to the first."""
    return reduce(fn, sequences, outputs_info, non_sequences, go_backwards=True, mode=mode, name=name)
