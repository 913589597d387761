"""``In`` and ``Out``: how ``function`` takes an input (a default value, a keyword name, an update, its
own conversion rules) and returns an output; and Theano's tuple shorthands for ``In``."""

from minitensor.graph import Variable


class In:
    """How ``function`` takes ``variable``.

    * ``name``: the keyword that passes it (the variable's name by default);
    * ``value``: the default used when a call leaves it out (None: no default);
    * ``update``: an expression whose value replaces the default after each call,
      so the input carries state from call to call (it needs a ``value`` to start
      from); ``f[name]`` reads that state and ``f[name] = v`` sets it;
    * ``mutable``: the function may overwrite the array passed for this input
      (default: True when there is an update, as in Theano), so that its memory
      can hold an intermediate result;
    * ``borrow``: the function may keep a reference to ``value`` (and to values
      set with ``f[name] = v``) instead of a copy, so later changes to that array
      change the default;
    * ``strict``, ``allow_downcast``: how arguments are converted, as
      ``TensorType.filter`` does (None: the function's ``allow_input_downcast``).

    >>> import minitensor as theano, minitensor.tensor as T
    >>> x, y = T.dscalars('x', 'y')
    >>> f = theano.function([x, theano.In(y, value=1)], x + y)
    >>> f(33), f(33, 2), f(33, y=0)
    (array(34.), array(35.), array(33.))
    >>> s = T.dscalar('s')
    >>> accumulate = theano.function([x, theano.In(s, value=10.0, update=s + x)], s)
    >>> accumulate(2), accumulate(3), accumulate['s']
    (array(10.), array(12.), array(15.))
    """

    def __init__(self, variable, name=None, value=None, update=None, mutable=None, borrow=False,
                 strict=False, allow_downcast=None):
        if not isinstance(variable, Variable):
            raise TypeError(f"In takes a symbolic variable, got {variable!r}")
        if update is not None and value is None:
            raise ValueError(f"In: the input {variable.describe()} has an update but no value to start "
                             f"from; give value=...{variable.made_at()}")
        self.variable = variable
        self.name = variable.name if name is None else name
        self.value = value
        self.update = update
        self.mutable = update is not None if mutable is None else bool(mutable)
        self.borrow = bool(borrow)
        self.strict = strict
        self.allow_downcast = allow_downcast

    def __repr__(self):
        default = "" if self.value is None else f", value={self.value!r}"
        update = "" if self.update is None else f", update={self.update}"
        return f"In({self.variable}{default}{update})"


def as_input(spec):
    """``spec`` as an ``In``: an ``In`` itself, a variable, or one of Theano's tuples:
    ``(name, r)``, ``(r, value)``, ``((r, update), value)``, ``(name, r, value)`` and
    ``(name, (r, update), value)``."""
    if isinstance(spec, In):
        return spec
    if not isinstance(spec, tuple):
        return In(spec) if isinstance(spec, Variable) else spec  # function's checks name a bad one
    name = spec[0] if spec and isinstance(spec[0], str) else None
    rest = spec[1:] if name is not None else spec
    if len(rest) == 1 and name is not None:
        return In(rest[0], name=name)
    if len(rest) != 2:
        raise TypeError(f"an input tuple is (name, r), (r, value), ((r, update), value), (name, r, value) "
                        f"or (name, (r, update), value), got {spec!r}")
    target, value = rest
    variable, update = target if isinstance(target, tuple) else (target, None)
    return In(variable, name=name, value=value, update=update)


class Out:
    """An output of ``function``, as Theano's ``Out``: ``borrow=True`` lets the function return an
    array that it may reuse on later calls.

    Here every returned array is the caller's own (a buffer the function keeps is
    copied out), so ``borrow`` never changes what a call returns; it is accepted so
    that Theano code runs.
    """

    def __init__(self, variable, borrow=False):
        if not isinstance(variable, Variable):
            raise TypeError(f"Out takes a symbolic variable, got {variable!r}")
        self.variable = variable
        self.borrow = bool(borrow)

    def __repr__(self):
        return f"Out({self.variable}{', borrow=True' if self.borrow else ''})"
