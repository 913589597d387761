"""The Python code blocks in README.md run as written."""

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


@pytest.mark.parametrize("document", ["README.md"])
def test_code_blocks_run(document, capsys):
    blocks = BLOCK.findall((ROOT / document).read_text())
    assert blocks, f"{document} has no python code block"
    for block in blocks:
        exec(compile(block, document, "exec"), {})
    printed = capsys.readouterr().out
    assert "0.0553" in printed and "0.9932" in printed


def test_compiler_page_is_what_its_script_writes():
    import importlib.util
    spec = importlib.util.spec_from_file_location("make_compiler_page", ROOT / "docs" / "make_compiler_page.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert (ROOT / "docs" / "compiler.md").read_text() == script.render(), \
        "docs/compiler.md is stale: run python docs/make_compiler_page.py"
