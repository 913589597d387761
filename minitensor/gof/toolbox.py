"""Theano's ``theano.gof.toolbox``: features a ``FunctionGraph`` may carry.

``replace_validate`` is a method of every FunctionGraph here, so ``ReplaceValidate``
only marks that an optimizer uses it; a feature's ``validate(fgraph)`` may refuse
a change (``FunctionGraph.replace_all_validate`` undoes it then).
"""


class Feature:
    """A listener attached to a FunctionGraph: ``on_attach(fgraph)``, ``on_detach(fgraph)``,
    ``on_change_input(fgraph, node, position, old, new, reason)`` and ``validate(fgraph)``
    are called when they are defined."""


class ReplaceValidate(Feature):
    """Theano's feature adding ``fgraph.replace_validate``, which every FunctionGraph has here."""


class PreserveNames(Feature):
    """Gives a replacement the name of the variable it replaces, when it has none."""

    def on_change_input(self, fgraph, node, position, old, new, reason=None):
        if old.name is not None and new.name is None:
            new.name = old.name
