"""The rewrite engine: apply named rules to a graph until none applies.

A rule is a function from an Apply node to replacement variables for its outputs
(or None when it does not apply). The engine walks the graph in topological
order, rebuilding each node whose inputs were replaced, so a rule always sees
inputs that are already rewritten; it repeats until a whole pass changes nothing.
The original graph is never modified: the result is a new graph sharing every
unchanged node with the old one.

A rule that raises, or that offers a replacement of another dtype or rank than
the output it replaces (an ill-typed graph), has a bug: the engine skips that
rewrite and warns with a ``RewriteWarning`` naming the rule and the node, so the
function still compiles, as written there (Theano's ``on_opt_error='warn'``).
The tests turn the warning into an error.
"""

import warnings
from collections import Counter
from dataclasses import dataclass
from typing import Callable

from minitensor.graph import toposort


@dataclass(frozen=True)
class Rule:
    """A named local rewrite; ``apply(node)`` returns replacements for node's outputs, or None.

    ``tracks`` are the op classes whose nodes the rule looks at (empty: every node),
    so the engine offers each node only the rules that can match it. A rule with
    ``needs_readers`` is called as ``apply(node, readers)``, where ``readers[var]``
    counts the nodes (and outputs) that read ``var`` in the graph being rewritten:
    a rule that would copy a node's work into its reader asks whether it has others
    (``readers.users[var]`` lists those nodes, as the pass began).
    """

    name: str
    apply: Callable
    tracks: tuple = ()
    needs_readers: bool = False

    def applies_to(self, op):
        return not self.tracks or isinstance(op, self.tracks)

    @property
    def identity(self):
        """The identity the rule implements: the first line of its function's docstring."""
        return (self.apply.__doc__ or "").strip().splitlines()[0]


def rule(*tracks, needs_readers=False):
    """Decorator: make a function of a node, for nodes whose op is one of ``tracks``, a Rule."""
    return lambda function: Rule(function.__name__, function, tracks, needs_readers)


def count_readers(nodes, outputs):
    """{variable: how many of ``nodes`` read it, plus one for each time it is among ``outputs``}.

    Its ``users`` attribute maps each variable to the nodes that read it (a rule that
    changes what a node computes for all its readers asks what they are).
    """
    readers = Counter(outputs)
    readers.users = {}
    for node in nodes:
        for var in set(node.inputs):
            readers[var] += 1
            readers.users.setdefault(var, []).append(node)
    return readers


@dataclass(frozen=True)
class Rewrite:
    """One application of a rule: what fired, in which phase, and what replaced what."""

    phase: str
    rule: str
    before: object  # the variable replaced
    after: object  # its replacement

    def __str__(self):
        from minitensor.printing import formula as pp  # constants as numbers, for a short log
        site = self.before.owner.creation_site if self.before.owner is not None else None
        where = f"  (made at {site.short})" if site else ""
        if self.rule == "merge":
            return f"merge: {pp(self.before, depth=3)} was computed twice; one copy kept{where}"
        return f"{self.phase}/{self.rule}: {pp(self.before, depth=3)}  ->  {pp(self.after, depth=3)}{where}"


def rewrite_graph(outputs, rules, protected=(), max_passes=100, phase=""):
    """``outputs`` rewritten with ``rules`` to a fixed point, and the list of rewrites made.

    Variables in ``protected`` stay in the graph exactly as they are (neither
    replaced nor rebuilt), so that callers can still refer to them afterwards.
    """
    protected, log, by_op_class = set(protected), [], {}
    counting = any(r.needs_readers for r in rules)
    for _ in range(max_passes):
        new, changed = {}, False
        order = toposort(outputs)
        readers = count_readers(order, list(outputs) + list(protected)) if counting else None
        for original in order:
            if any(out in protected for out in original.outputs):
                continue
            node = original.with_inputs([new.get(i, i) for i in original.inputs])
            op_class = type(node.op)
            if op_class not in by_op_class:
                by_op_class[op_class] = [r for r in rules if r.applies_to(node.op)]
            for candidate in by_op_class[op_class]:
                replacement = _apply(candidate, node, readers, phase)
                if replacement is not None:
                    log.extend(Rewrite(phase, candidate.name, old, out)
                               for old, out in zip(node.outputs, replacement))
                    changed = True
                    break
            else:
                replacement = node.outputs
            for old, out in zip(original.outputs, replacement):
                if old is not out:
                    new[old] = out
                    if counting:  # the replacement is read wherever the old variable was
                        readers[out] += readers[old]
        outputs = [new.get(o, o) for o in outputs]
        if not changed:
            return outputs, log
    raise RuntimeError(f"rewriting did not settle after {max_passes} passes; rules: "
                       f"{[r.name for r in rules]}")


class RewriteWarning(UserWarning):
    """A rule failed on a node, or offered an ill-typed replacement; the rewrite was skipped."""


def _apply(candidate, node, readers, phase):
    """The replacements ``candidate`` offers for ``node``'s outputs, or None: None when it does not
    apply, and when it is wrong (it raised, or offered the wrong dtype or rank), with a warning."""
    try:
        replacement = candidate.apply(node, readers) if candidate.needs_readers else candidate.apply(node)
    except Exception as error:  # noqa: BLE001 -- any exception from a rule is a bug in that rule
        _reject(candidate, node, phase, f"raised {type(error).__name__}: {error}")
        return None
    if replacement is None:
        return None
    if len(replacement) != len(node.outputs):
        _reject(candidate, node, phase, f"offered {len(replacement)} replacements for {len(node.outputs)} outputs")
        return None
    for old, new in zip(node.outputs, replacement):
        if old.type == new.type:
            continue
        if _same_but_broadcasting(old.type, new.type):
            # Not a bug: a rule may offer a replacement that broadcasts where the output does
            # not (x + zeros((3, 4)) is not x for a row x); it simply does not apply here.
            return None
        _reject(candidate, node, phase, f"replaced {old.type} by {new.type}")
        return None
    return replacement


def _same_but_broadcasting(old, new):
    return (getattr(old, "dtype", None) == getattr(new, "dtype", None) is not None
            and getattr(old, "ndim", None) == getattr(new, "ndim", None))


def _reject(candidate, node, phase, why):
    where = f" (the node was made at {node.creation_site})" if node.creation_site else ""
    warnings.warn(f"rewrite rule {candidate.name} ({phase or 'no phase'}) skipped on {node.op}: it {why}; "
                  f"the node is compiled as written{where}. This is a bug in the rule.",
                  RewriteWarning, stacklevel=3)
