"""Modes: which rewrite phases compile a function, and which checks its calls run.

The phases, in order (each can be switched off by name, and so can each rule):

==============  =====================================================================
merge           identical nodes and equal constants become one
canonicalize    x*1, x+0, --x, constant folding, flattening, useless dimshuffles ...;
                loops: invariant work moved out, only the last step kept when it is all that is used
stabilize       1/(1+exp(-x)) -> sigmoid(x), log(1-sigmoid(x)) -> -softplus(x) ...
specialize      x**2 -> sqr(x), x**0.5 -> sqrt(x) ...
expand          sigmoid and softplus -> exp(-|x|), log1p and where, one exp shared
merge           again, for what the rules made twice
fusion          connected elementwise nodes become one Composite node
inplace         (in the executor) an elementwise node may overwrite a dead input
==============  =====================================================================

Each rule phase up to specialize also runs the rules of the phases before it, to
a fixed point, so a pattern still matches whatever form an earlier rule gave the
graph. Expand runs its own rules alone: the stabilising ones would fold its
log1p(exp(-|x|)) back into softplus.

>>> Mode(excluding=['fusion']).excluding('inplace')
Mode(excluding=['fusion', 'inplace'], rewrites=True)
"""

from minitensor.rewriting.canonicalize import CANONICALIZE
from minitensor.rewriting.engine import rewrite_graph
from minitensor.rewriting.expand import EXPAND
from minitensor.rewriting.fusion import fuse
from minitensor.rewriting.merge import merge
from minitensor.rewriting.specialize import SPECIALIZE
from minitensor.rewriting.stabilize import STABILIZE
from minitensor.scan_module.scan_opt import SCAN

RULE_PHASES = {
    "canonicalize": CANONICALIZE + SCAN,
    "stabilize": CANONICALIZE + SCAN + STABILIZE,
    "specialize": CANONICALIZE + SCAN + STABILIZE + SPECIALIZE,
    "expand": EXPAND,
}
PHASES = ("merge", "canonicalize", "stabilize", "specialize", "expand", "merge", "fusion", "inplace")


class Mode:
    """How to compile: every phase and rule except those named in ``excluding``.

    ``rewrites=False`` compiles the graph as written (FAST_COMPILE). Theano's keywords
    work too: ``optimizer=None`` means no rewrites, and ``linker`` ('vm', 'cvm', 'py',
    ...) is accepted and ignored, since minitensor has one executor.
    """

    check_rewrites = False  # DebugMode: check every rewrite on each call's values
    nan_guard = False  # NanGuardMode: check every node's output for NaN and infinities

    def __init__(self, excluding=(), rewrites=True, linker=None, optimizer="fast_run"):
        self.excluded = _known_names(excluding)
        self.rewrites = rewrites and optimizer is not None

    def excluding(self, *names):
        """This mode with the phases or rules ``names`` switched off too, as in Theano."""
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__, excluded=self.excluded + _known_names(names))
        return copy

    def __repr__(self):
        return f"{type(self).__name__}(excluding={list(self.excluded)}, rewrites={self.rewrites})"

    def enabled(self, name):
        return self.rewrites and name not in self.excluded

    def rewrite(self, outputs):
        """``outputs`` after every enabled phase, and the log of the rewrites made."""
        log = []
        for _, outputs, done in self.phases(outputs):
            log.extend(done)
        return outputs, log

    def phases(self, outputs):
        """Each enabled rewrite phase in turn: yields (phase, outputs after it, rewrites it made).

        ``printing.compilation_stages`` shows a learner the graph between phases with this.
        """
        for phase in PHASES:
            if not self.enabled(phase):
                continue
            if phase == "merge":
                outputs, done = merge(outputs)
            elif phase == "fusion":
                outputs, done = fuse(outputs)
            elif phase in RULE_PHASES:
                rules = [r for r in RULE_PHASES[phase] if r.name not in self.excluded]
                outputs, done = rewrite_graph(outputs, rules, phase=phase)
            else:
                continue  # inplace belongs to the executor, which plans memory
            yield phase, outputs, done


def _known_names(names):
    """``names`` as a tuple, if each is a phase or a rule; a misspelt one would silently do nothing."""
    known = set(PHASES) | {r.name for rules in RULE_PHASES.values() for r in rules}
    unknown = sorted(set(names) - known)
    if unknown:
        raise ValueError(f"no phase or rule is called {', '.join(map(repr, unknown))}; phases: "
                         f"{', '.join(dict.fromkeys(PHASES))}; rules: {', '.join(sorted(known - set(PHASES)))}")
    return tuple(names)


class DebugMode(Mode):
    """FAST_RUN that, on every call, evaluates the graph before and after each rewrite and
    raises ``RewriteError`` naming the rule and the node when they differ."""

    check_rewrites = True


class NanGuardMode(Mode):
    """FAST_RUN that stops at the first node producing NaN or infinity, naming the node and
    the user's line that made it."""

    nan_guard = True

    def __init__(self, nan_is_error=True, inf_is_error=True, excluding=()):
        super().__init__(excluding)
        self.nan_is_error, self.inf_is_error = nan_is_error, inf_is_error


MODES = {"FAST_RUN": Mode(), "FAST_COMPILE": Mode(rewrites=False), "DebugMode": DebugMode(),
         "DEBUG_MODE": DebugMode(), "NanGuardMode": NanGuardMode()}


def get_mode(mode):
    """A ``Mode`` from a Mode, one of the names in ``MODES``, or None (FAST_RUN)."""
    if mode is None:
        return MODES["FAST_RUN"]
    if isinstance(mode, Mode):
        return mode
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; use a Mode or one of {sorted(MODES)}")
    return MODES[mode]
