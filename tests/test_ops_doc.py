"""docs/ops.md lists every op class, with op_specs rows that really test it."""

import pathlib
import re

from op_specs import SPECS
from test_ops import _concrete_ops

DOC = pathlib.Path(__file__).resolve().parent.parent / "docs" / "ops.md"
CODE = re.compile(r"`([^`]+)`")


def table_rows():
    """{class name: (module, gradient, [op_specs row names])} from the tables of docs/ops.md."""
    rows = {}
    for line in DOC.read_text().splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if len(cells) == 5 and cells[1].startswith("`"):
            (name,) = CODE.findall(cells[1])
            rows[name] = (cells[2], cells[3], CODE.findall(cells[4]))
    return rows


def test_every_op_class_is_in_the_table():
    documented = table_rows()
    missing = sorted(cls.__name__ for cls in _concrete_ops() if cls.__name__ not in documented)
    assert not missing, f"op classes missing from docs/ops.md: {missing}"


def test_the_table_names_real_classes_modules_and_rows():
    classes = {cls.__name__: cls for cls in _concrete_ops()}
    specs = {spec.name: spec for spec in SPECS}
    for name, (module, _, row_names) in table_rows().items():
        assert name in classes, f"docs/ops.md lists {name}, which is not an op class"
        cls = classes[name]
        assert cls.__module__ == "minitensor." + module.removesuffix(".py").replace("/", "."), \
            f"docs/ops.md puts {name} in {module}, but it is in {cls.__module__}"
        assert row_names, f"docs/ops.md names no op_specs row for {name}"
        for row in row_names:
            assert row in specs and specs[row].op is cls, \
                f"docs/ops.md says op_specs row {row!r} tests {name}, but it does not"
