"""Theano's ``tensor.utils``: ``shape_of_variables``, the shapes of a graph's variables for given
input shapes.

>>> import minitensor as theano
>>> x = theano.tensor.matrix('x')
>>> y = x[512:]; y.name = 'y'
>>> fgraph = theano.FunctionGraph([x], [y], clone=False)
>>> d = shape_of_variables(fgraph, {x: (1024, 1024)})
>>> d[y]
(array(512), array(1024))
"""

import numpy as np

from minitensor.tensor.shape_ops import shape_of


def shape_of_variables(fgraph, input_shapes):
    """{variable: its shape, as a tuple of 0-d int64 arrays} for every variable of ``fgraph``,
    given ``input_shapes``, {input: a tuple of ints}.

    The shapes are computed by a function of the inputs whose outputs are the variables'
    lengths (``shape_of``): the compiler replaces them by the inputs' lengths wherever the ops
    say how (``infer_shape``), so nothing else is computed; an op that does not say is run
    on inputs of zeros, broadcast so that they take no memory.
    """
    from minitensor.compile.function import function  # the compiler imports this package
    variables = list(dict.fromkeys(list(fgraph.inputs) + [out for node in fgraph.apply_nodes
                                                         for out in node.outputs]))
    sizes = {var: shape_of(var) for var in variables}
    symbolic = [s for var in variables for s in sizes[var] if not isinstance(s, int)]
    compute = function(list(fgraph.inputs), symbolic, on_unused_input="ignore", mode="FAST_RUN")
    values = [np.broadcast_to(np.zeros((), var.dtype), tuple(input_shapes[var])) for var in fgraph.inputs]
    computed = iter(compute(*values))
    return {var: tuple(np.array(s, dtype="int64") if isinstance(s, int) else next(computed) for s in sizes[var])
            for var in variables}
