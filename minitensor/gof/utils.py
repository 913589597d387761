"""Theano's ``theano.gof.utils``: the small list helpers that user code imports from there.

>>> def even(x):
...     return x % 2 == 0
>>> remove(even, [1, 2, 3, 4])
[1, 3]
>>> uniq([3, 1, 3, 2, 1]), difference([1, 2, 3], [2]), flatten([1, [2, (3, 4)]])
([3, 1, 2], [1, 3], [1, 2, 3, 4])
"""


def remove(predicate, coll):
    """The elements of ``coll`` for which ``predicate`` is false, in order."""
    return [x for x in coll if not predicate(x)]


def uniq(seq):
    """The elements of ``seq`` without repeats, in the order of their first appearance."""
    return list(dict.fromkeys(seq))


def difference(seq1, seq2):
    """The elements of ``seq1`` that are not in ``seq2``, in order."""
    return [x for x in seq1 if x not in seq2]


def flatten(a):
    """The elements of the nested lists and tuples ``a``, as one flat list."""
    if not isinstance(a, (list, tuple)):
        return [a]
    return [x for item in a for x in flatten(item)]
