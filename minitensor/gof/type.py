"""Theano's ``theano.gof.type``: ``Type``, and ``Generic``, the type of any Python object."""

from minitensor.graph import Type


class Generic(Type):
    """Any Python object; Theano ops use it for parameters (``params_type = Generic()``)."""

    def filter(self, value, strict=False, allow_downcast=None):
        return value

    def __eq__(self, other):
        return type(other) is type(self)

    def __hash__(self):
        return hash(type(self))

    def __str__(self):
        return "generic"


generic = Generic()
