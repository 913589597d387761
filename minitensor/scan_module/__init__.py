"""Loops as graphs: Theano's ``scan`` and the loops built on it.

* ``scan.py``: ``scan`` itself, which turns a Python step function into a
  ``Scan`` node, and ``until``, a while-loop's condition;
* ``scan_op.py``: the ``Scan`` op, holding the loop's body as an inner graph;
* ``scan_grad.py``: its gradient, backpropagation through time as another Scan;
* ``scan_opt.py``: the rewrites of loops (invariants moved out, last step only);
* ``views.py``: ``map``, ``reduce``, ``foldl``, ``foldr``.
"""

from minitensor.scan_module.scan import scan, until
from minitensor.scan_module.scan_op import Scan
from minitensor.scan_module.views import foldl, foldr, map, reduce

__all__ = ["scan", "until", "Scan", "map", "reduce", "foldl", "foldr"]
