"""Graph rewriting: the rules that make compiled graphs stable, small and fused.

``engine`` applies rules to a fixed point; the rule sets live in one module per
phase (``canonicalize``, ``stabilize``, ``specialize``), and ``merge`` and
``fusion`` are whole-graph passes. ``phases`` puts them in order.
"""

from minitensor.rewriting.engine import Rewrite, Rule, rewrite_graph  # noqa: F401
from minitensor.rewriting.stabilize import STABILIZE  # noqa: F401
