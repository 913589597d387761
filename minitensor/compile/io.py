"""``In``: a function input with a default value, a keyword name, or its own conversion rules."""

from minitensor.graph import Variable


class In:
    """How ``function`` takes ``variable``: by the keyword ``name`` (the variable's name
    by default), with the default ``value`` when the call leaves it out (None: no
    default), and converting arguments with ``strict`` and ``allow_downcast`` (None:
    the function's ``allow_input_downcast``), as ``TensorType.filter`` does.

    >>> import minitensor as theano, minitensor.tensor as T
    >>> x, y = T.dscalars('x', 'y')
    >>> f = theano.function([x, theano.In(y, value=1)], x + y)
    >>> f(33), f(33, 2), f(33, y=0)
    (array(34.), array(35.), array(33.))
    """

    def __init__(self, variable, name=None, value=None, strict=False, allow_downcast=None):
        if not isinstance(variable, Variable):
            raise TypeError(f"In takes a symbolic variable, got {variable!r}")
        self.variable = variable
        self.name = variable.name if name is None else name
        self.value = value
        self.strict = strict
        self.allow_downcast = allow_downcast

    def __repr__(self):
        default = "" if self.value is None else f", value={self.value!r}"
        return f"In({self.variable}{default})"
