"""Compilation phase by phase, for learners: the graph as written, then after each rewrite phase.

``compilation_stages(f)`` replays the compilation of the function ``f``: it runs
``f``'s mode's rewrite phases again on the graph ``f`` was given, and keeps the
graph after each phase with the rewrites that phase made. The rules are
deterministic, so the replay ends in the graph ``f`` runs. The last stage is
``f`` itself, scheduled, with the nodes that overwrite an input (the ``inplace``
phase, which the executor plans rather than a rule).

``show_compilation(f)`` prints every stage as text (the rules that fired, then
``debugprint``) and, given a directory, draws each one there.

>>> import minitensor as theano, minitensor.tensor as T
>>> x = T.dvector('x')
>>> f = theano.function([x], T.log(1 - T.nnet.sigmoid(x)))
>>> for stage in compilation_stages(f):
...     print(stage)
as written: 4 nodes
after merge: 4 nodes; no rule fired
after canonicalize: 3 nodes; rules: constant_folding x1
after stabilize: 2 nodes; rules: one_minus_sigmoid x1, log_sigmoid x1
after specialize: 2 nodes; no rule fired
after expand: 7 nodes; rules: softplus_by_exp x1
after merge: 7 nodes; no rule fired
after fusion: 1 node; rules: fuse x1
scheduled: 1 node; 0 write over an input
"""

import pathlib
import sys
from dataclasses import dataclass, field

from minitensor.graph import toposort


@dataclass
class Stage:
    """The graph at one point of compilation.

    ``phase`` is 'as written', a phase of ``compile/mode.py`` or 'scheduled';
    ``outputs`` and ``updates`` ((shared variable, new value) pairs) are the graph;
    ``rewrites`` the ``Rewrite`` records of this phase; ``function``, for the last
    stage only, the compiled function.
    """

    phase: str
    outputs: list
    updates: list
    rewrites: list = field(default_factory=list)
    function: object = None

    @property
    def title(self):
        return self.phase if self.phase in ("as written", "scheduled") else f"after {self.phase}"

    @property
    def nodes(self):
        """The Apply nodes of this stage's graph, in topological order."""
        return toposort(self.outputs + [value for _, value in self.updates])

    def rules(self):
        """{rule name: how many times it fired in this phase}, in the order they first fired."""
        counts = {}
        for rewrite in self.rewrites:
            counts[rewrite.rule] = counts.get(rewrite.rule, 0) + 1
        return counts

    def __str__(self):
        count = len(self.nodes)
        text = f"{self.title}: {count} node{'' if count == 1 else 's'}"
        if self.function is not None:
            return text + f"; {len(self.function.program.overwrites)} write over an input"
        if self.phase == "as written":
            return text
        if not self.rewrites:
            return text + "; no rule fired"
        return text + "; rules: " + ", ".join(f"{rule} x{times}" for rule, times in self.rules().items())


def compilation_stages(function):
    """The stages of ``function``'s compilation: as written, after each enabled phase, scheduled."""
    maker = function.maker
    count = len(function.outputs)
    targets = function.update_targets

    def stage(phase, outputs, rewrites=()):
        return Stage(phase, list(outputs[:count]), list(zip(targets, outputs[count:])), list(rewrites))

    stages = [stage("as written", maker.original_outputs)]
    for phase, outputs, rewrites in maker.mode.phases(maker.original_outputs, function.backend):
        stages.append(stage(phase, outputs, rewrites))
    final = maker.fgraph.outputs
    stages.append(Stage("scheduled", list(final[:count]), list(zip(targets, final[count:])),
                        function=function))
    return stages


def show_compilation(function, directory=None, format="png", file=None):
    """Print each stage of ``function``'s compilation: a heading, then the graph as ``debugprint``
    shows it (left out where no rule fired). With ``directory``, also draw each stage there
    (``00-as-written.png``, ``01-merge.png``, ...), naming the file under its heading.

    Returns the stages.
    """
    from minitensor.printing import debugprint, pydotprint  # printing imports this module
    file = sys.stdout if file is None else file
    stages = compilation_stages(function)
    if directory is not None:
        pathlib.Path(directory).mkdir(parents=True, exist_ok=True)
    for number, stage in enumerate(stages):
        print(f"--- {number}. {stage}", file=file)
        if stage.phase != "as written" and stage.function is None and not stage.rewrites:
            continue
        if directory is not None:
            name = f"{number:02d}-{stage.phase.replace(' ', '-')}.{format}"
            path = pydotprint(stage, pathlib.Path(directory) / name, format=format, var_with_name_simple=True,
                              print_output_file=False)
            print(f"picture: {path}", file=file)
        shown = stage.function if stage.function is not None else stage.outputs + [v for _, v in stage.updates]
        debugprint(shown, file=file)
    return stages
