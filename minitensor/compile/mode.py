"""Modes: which rewrite phases compile a function, and which checks its calls run.

The phases, in order (each can be switched off by name, and so can each rule):

==============  =====================================================================
merge           identical nodes and equal constants become one
canonicalize    x*1, x+0, --x, constant folding, flattening, useless dimshuffles ...;
                loops: invariant work moved out, only the last step kept when it is all that is used
stabilize       1/(1+exp(-x)) -> sigmoid(x), log(1-sigmoid(x)) -> -softplus(x) ...
specialize      x**2 -> sqr(x), x**-1 -> 1/x, x**3 -> sqr(x) * x ...
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

Rewrites a user registers in ``minitensor.rewriting.optdb`` (Theano's ``optdb``,
``register_canonicalize``, ...) run in their places among these phases, and are
switched off by name like the built-in ones.
"""

from minitensor.configuration import LINKERS
from minitensor.rewriting.canonicalize import CANONICALIZE
from minitensor.rewriting.engine import rewrite_graph
from minitensor.rewriting.expand import EXPAND
from minitensor.rewriting.fusion import fuse
from minitensor.rewriting.merge import merge
from minitensor.rewriting.rowpass import row_passes
from minitensor.rewriting.optdb import PHASE_POSITIONS, RULE_PHASE_NAMES, optdb, registered_names, registered_rules
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
#: Theano's names for phases that have another name here.
ALIASES = {"local_elemwise_fusion": "fusion", "elemwise_fusion": "fusion", "merge1": "merge", "merge2": "merge"}


class Mode:
    """How to compile: every phase and rule except those named in ``excluding``.

    ``rewrites=False`` compiles the graph as written (FAST_COMPILE). Theano's keywords
    work too: ``optimizer=None`` means no rewrites, and ``linker`` is one of
    ``config.linker``'s values: 'c', 'cvm' and their variants compile fused nodes to C
    (``backends/c.py``), 'py' and 'vm' run the NumPy program; None is ``config.linker``.
    """

    check_rewrites = False  # DebugMode: check every rewrite on each call's values
    nan_guard = False  # NanGuardMode: check every node's output for NaN and infinities

    def __init__(self, excluding=(), rewrites=True, linker=None, optimizer="fast_run"):
        self.excluded = _known_names(excluding)
        self.rewrites = rewrites and optimizer is not None
        if linker is not None and linker not in LINKERS:
            raise ValueError(f"Mode: unknown linker {linker!r}; use one of {', '.join(map(repr, LINKERS))}")
        self.linker = linker

    def excluding(self, *names):
        """This mode with the phases or rules ``names`` switched off too, as in Theano."""
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__, excluded=self.excluded + _known_names(names))
        return copy

    def including(self, *names):
        """This mode with the phases or rules ``names`` switched back on (every phase is on unless
        excluded, so Theano's ``including('canonicalize')`` only undoes an exclusion)."""
        names = _known_names(names)
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__, excluded=tuple(n for n in self.excluded if n not in names))
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

    def phases(self, outputs, backend=None):
        """Each enabled rewrite phase in turn: yields (phase, outputs after it, rewrites it made).

        ``printing.compilation_stages`` shows a learner the graph between phases with this.
        A global optimizer registered in ``optdb`` is a phase of its own, at its position.
        """
        user = [(name, optimizer, position) for name, optimizer, position, tags in optdb.user_optimizers()
                if "fast_run" in tags or name in tags]
        seen_merge = False
        for phase in PHASES + (None,):
            position = PHASE_POSITIONS["merge2" if phase == "merge" and seen_merge else phase] if phase else 1e9
            seen_merge = seen_merge or phase == "merge"
            while user and user[0][2] < position:
                name, optimizer, _ = user.pop(0)
                if self.enabled(name):
                    outputs, done = optimizer.rewrite_outputs(_free_inputs(outputs), outputs, name)
                    yield name, outputs, done
            if phase is None or not self.enabled(phase) or phase == "inplace":  # inplace: the executor's
                continue
            outputs, done = self.run_phase(phase, outputs, backend)
            yield phase, outputs, done

    def run_phase(self, phase, outputs, backend=None):
        """``outputs`` after the built-in ``phase``, and the rewrites it made. Fusion merges
        sibling groups where the ``backend`` says so (``fuses_siblings``: the GPU and the C
        linker, where each fused node is one call of compiled code)."""
        if phase == "merge":
            return merge(outputs)
        if phase == "fusion":
            outputs, done = fuse(outputs, siblings=getattr(backend, "fuses_siblings", False))
            if getattr(backend, "fuses_rows", False):  # one pass over X for dot, fused node, dot
                outputs, more = row_passes(outputs)
                done = done + more
            return outputs, done
        rules = list(RULE_PHASES[phase])
        if phase in RULE_PHASE_NAMES:  # a user's rule also runs in the phases after its own
            for earlier in RULE_PHASE_NAMES[:RULE_PHASE_NAMES.index(phase) + 1]:
                rules += registered_rules(earlier)
        rules = [r for r in rules if r.name not in self.excluded]
        return rewrite_graph(outputs, rules, phase=phase)


def _free_inputs(outputs):
    """The leaves of ``outputs`` that are not constants: a FunctionGraph's inputs."""
    from minitensor.graph import Constant, graph_inputs
    return [var for var in graph_inputs(outputs) if not isinstance(var, Constant)]


def _known_names(names):
    """``names`` as a tuple, if each is a phase or a rule; a misspelt one would silently do nothing."""
    names = tuple(ALIASES.get(name, name) for name in names)
    known = set(PHASES) | {r.name for rules in RULE_PHASES.values() for r in rules} | registered_names()
    unknown = sorted(set(names) - known)
    if unknown:
        raise ValueError(f"no phase or rule is called {', '.join(map(repr, unknown))}; phases: "
                         f"{', '.join(dict.fromkeys(PHASES))}; rules: {', '.join(sorted(known - set(PHASES)))}")
    return tuple(names)


class DebugMode(Mode):
    """FAST_RUN that, on every call, evaluates the graph before and after each rewrite and
    raises ``RewriteError`` naming the rule and the node when they differ.

    Theano's keywords about its C code and its own checks (``check_c_code``,
    ``check_py_code``, ``check_isfinite``, ``require_matching_strides``, ...) are accepted
    and have nothing to act on here; an op's ``perform`` is always checked for the dtype
    and rank of what it writes (``minitensor.compile.perform``).
    """

    check_rewrites = True

    def __init__(self, excluding=(), rewrites=True, linker=None, optimizer="fast_run", **theano_checks):
        super().__init__(excluding, rewrites, linker, optimizer)


class NanGuardMode(Mode):
    """FAST_RUN that stops at the first node producing NaN (``nan_is_error``), infinity
    (``inf_is_error``) or a value larger than 1e10 in magnitude (``big_is_error``), naming
    the node and the user's line that made it. As in Theano, the error is an AssertionError."""

    nan_guard = True

    def __init__(self, nan_is_error=True, inf_is_error=True, big_is_error=True, excluding=(), optimizer="fast_run",
                 linker=None):
        super().__init__(excluding, optimizer=optimizer, linker=linker)
        self.nan_is_error, self.inf_is_error, self.big_is_error = nan_is_error, inf_is_error, big_is_error


MODES = {"FAST_RUN": Mode(), "FAST_COMPILE": Mode(rewrites=False, linker="py"), "DebugMode": DebugMode(),
         "DEBUG_MODE": DebugMode(), "NanGuardMode": NanGuardMode()}


def get_mode(mode):
    """A ``Mode`` from a Mode, one of the names in ``MODES``, or None: the mode the settings
    ``config.mode``, ``config.optimizer`` and ``config.optimizer_excluding`` describe (FAST_RUN
    by default)."""
    if mode is None:
        return get_default_mode()
    if isinstance(mode, Mode):
        return mode
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; use a Mode or one of {sorted(MODES)}")
    return MODES[mode]


def get_default_mode():
    """The mode ``function`` uses when given none, from the settings (see ``get_mode``)."""
    from minitensor.configuration import config
    name = {"Mode": "FAST_RUN", "ProfileMode": "FAST_RUN"}.get(config.mode, config.mode)
    mode = MODES[name]
    if config.optimizer == "None":
        mode = MODES["FAST_COMPILE"]
    excluded = [n for n in config.optimizer_excluding.split(":") if n]
    return mode.excluding(*excluded) if excluded else mode


predefined_modes = MODES  # Theano's name for the table
