"""Graph rewriting: rules that replace a node's outputs by an equivalent, better graph.

``engine`` applies rules to a fixed point; ``stabilize`` holds the rules that
make graphs numerically stable.
"""

from minitensor.rewriting.engine import Rule, rewrite_graph  # noqa: F401
from minitensor.rewriting.stabilize import STABILIZE  # noqa: F401
