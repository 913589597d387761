"""``optdb``: the compiler's phases in order, where a user registers rewrites, as in Theano.

Theano keeps every optimization in a database ordered by a number (merge at 0,
canonicalize at 1, stabilize at 1.5, specialize at 2, fusion at 49, inplace at
75), with tags that a mode's query selects. Here the phases are the ones listed
in ``minitensor.compile.mode``, in that order; ``optdb`` gives each its number,
and a user's global optimizer registered at a number runs between the phases
around it:

    optdb.register('simplify', simplify, 0.5, 'fast_run')

A local optimizer joins a rule phase instead, where the engine applies it with
the built-in rules to a fixed point, and the rewrite log names it like them::

    @register_canonicalize
    @local_optimizer([fibby])
    def fibby_of_zero(node): ...

(``register_stabilize`` and ``register_specialize`` likewise; as the built-in
ones, a rule registered in a phase also runs in the phases after it up to
specialize.)
"""

from minitensor.rewriting.engine import Rule
from minitensor.rewriting.optimizers import LocalOptimizer, Optimizer, SeqOptimizer

#: The built-in phases and their places in Theano's order.
PHASE_POSITIONS = {"merge": 0, "canonicalize": 1, "stabilize": 1.5, "specialize": 2, "expand": 2.5,
                   "merge2": 49, "fusion": 49.5, "inplace": 75}
RULE_PHASE_NAMES = ("canonicalize", "stabilize", "specialize")


class Query:
    """Which registered entries to take: those with one of the ``include`` tags, all of the
    ``require`` tags and none of the ``exclude`` tags (a name counts as a tag)."""

    def __init__(self, include, require=(), exclude=(), subquery=None, position_cutoff=None):
        self.include, self.require, self.exclude = set(include), set(require or ()), set(exclude or ())
        self.subquery = subquery or {}

    def including(self, *tags):
        return Query(self.include | set(tags), self.require, self.exclude)

    def requiring(self, *tags):
        return Query(self.include, self.require | set(tags), self.exclude)

    def excluding(self, *tags):
        return Query(self.include, self.require, self.exclude | set(tags))

    def selects(self, tags):
        return bool(tags & self.include) and self.require <= tags and not tags & self.exclude

    def __repr__(self):
        return f"Query(include={sorted(self.include)}, require={sorted(self.require)}, exclude={sorted(self.exclude)})"


class PhaseOptimizer(Optimizer):
    """A built-in phase of the compiler as a global optimizer on a FunctionGraph."""

    def __init__(self, phase):
        self.phase = phase
        self._name = phase

    def apply(self, fgraph):
        from minitensor.compile.mode import ALIASES, Mode
        if self.phase == "inplace":
            return  # planned by the executor, on the scheduled program, not on a graph
        outputs, log = Mode().run_phase(ALIASES.get(self.phase, self.phase), fgraph.outputs)
        fgraph.set_outputs(outputs, log)


class SequenceDB:
    """Global optimizers by name, each with its position and tags; ``query`` picks some, in order."""

    def __init__(self):
        self.entries = {}  # name -> (optimizer, position, tags)

    def register(self, name, optimizer, position, *tags, **kwargs):
        if name in self.entries:
            raise ValueError(f"optdb already holds an optimizer named {name!r}")
        if not isinstance(optimizer, (Optimizer, EquilibriumDB)):
            raise TypeError(f"optdb.register takes a global Optimizer; got {optimizer!r} (register a "
                            f"local optimizer with register_canonicalize, or wrap it in a TopoOptimizer)")
        self.entries[name] = (optimizer, float(position), frozenset(tags) | {name})

    def __getitem__(self, name):
        return self.entries[name][0]

    def __contains__(self, name):
        return name in self.entries

    def ordered(self):
        """(name, optimizer, position, tags) of every entry, by position."""
        return [(name, *entry) for name, entry in sorted(self.entries.items(), key=lambda item: item[1][1])]

    def user_optimizers(self):
        """The entries that are not built-in phases, by position."""
        return [entry for entry in self.ordered() if not isinstance(entry[1], (PhaseOptimizer, EquilibriumDB))]

    def query(self, *queries, **kwargs):
        """The selected entries, in order, as one SeqOptimizer."""
        query = queries[0] if queries else Query(**kwargs)
        return SeqOptimizer([optimizer if isinstance(optimizer, Optimizer) else PhaseOptimizer(name)
                             for name, optimizer, _, tags in self.ordered() if query.selects(tags)])


class EquilibriumDB:
    """A rule phase: local optimizers that users add, applied with the phase's built-in rules."""

    def __init__(self, phase):
        self.phase = phase
        self.entries = {}  # name -> (local optimizer, tags)

    def register(self, name, local_optimizer, *tags, **kwargs):
        if not isinstance(local_optimizer, LocalOptimizer):
            raise TypeError(f"{self.phase} takes local optimizers (see @local_optimizer); got {local_optimizer!r}")
        self.entries[name] = (local_optimizer, frozenset(tags) | {name})

    def rules(self):
        return [optimizer.as_rule(name) for name, (optimizer, _) in self.entries.items()]

    def __contains__(self, name):
        return name in self.entries


optdb = SequenceDB()
for _phase, _position in PHASE_POSITIONS.items():
    _optimizer = EquilibriumDB(_phase) if _phase in RULE_PHASE_NAMES else PhaseOptimizer(_phase)
    optdb.entries[_phase] = (_optimizer, _position, frozenset({_phase, "fast_run"}))


def registered_rules(phase):
    """The rules users registered in ``phase`` (a rule phase), as engine Rules."""
    entry = optdb.entries.get(phase)
    return entry[0].rules() if entry is not None and isinstance(entry[0], EquilibriumDB) else []


def registered_names():
    """The names of everything users registered, which a Mode may exclude like a built-in rule."""
    names = {name for name, *_ in optdb.user_optimizers()}
    for phase in RULE_PHASE_NAMES:
        names |= set(optdb[phase].entries)
    return names


def _register_in(phase):
    def register(optimizer=None, *tags, **kwargs):
        if isinstance(optimizer, str):  # @register_canonicalize('name', 'tag', ...)
            def decorate(inner):
                optdb[phase].register(kwargs.get("name", optimizer), inner, *tags)
                return inner
            return decorate
        name = kwargs.get("name") or optimizer.name
        optdb[phase].register(name, optimizer, *tags)
        return optimizer
    register.__name__ = f"register_{phase}"
    register.__doc__ = f"Add a local optimizer to the {phase} phase (usable as a decorator)."
    return register


register_canonicalize = _register_in("canonicalize")
register_stabilize = _register_in("stabilize")
register_specialize = _register_in("specialize")

__all__ = ["optdb", "Query", "register_canonicalize", "register_stabilize", "register_specialize", "Rule"]
