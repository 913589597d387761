"""The docs are true: every Python block of README.md and docs/*.md runs and prints what the page
says, every link and picture points at a file, and the generated pages and pictures are current.

A page's Python blocks run in order in one namespace, as one session would. A
```python block followed directly by a ```text block must print exactly that
text. Blocks run in a temporary directory, so the pictures they draw land
there. Blocks that draw need Graphviz: without it they are left out, and the
page's test says so by skipping once the other blocks have run.
"""

import importlib.util
import pathlib
import re
import shutil

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = ["README.md"] + sorted(str(p.relative_to(ROOT)) for p in DOCS.glob("*.md"))
DRAWS = re.compile(r"pydotprint\(|_repr_svg_\(|directory=")
HAVE_GRAPHVIZ = importlib.util.find_spec("graphviz") is not None and shutil.which("dot") is not None


def _load(script):
    spec = importlib.util.spec_from_file_location(script.stem, script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


outputs = _load(DOCS / "refresh_outputs.py")  # reads a page's blocks, as this test does


@pytest.fixture
def c_linker():
    """The pages show what the C linker compiles (the default where g++ is found), whatever
    ``config.linker`` says: CI runs the suite with ``linker=py`` too."""
    import minitensor
    from minitensor.backends import get_backend
    if get_backend("numpy", "cvm").linker != "c":
        pytest.skip("the pages show the C linker's compilation, and no C++ compiler was found")
    with minitensor.change_flags(linker="cvm"):
        yield


def _stripped(text):
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


@pytest.mark.numpy_only("the pages show what the NumPy backend prints (its program, its arrays)")
@pytest.mark.parametrize("page", PAGES)
def test_every_python_block_runs_and_prints_what_the_page_says(page, tmp_path, monkeypatch, c_linker):
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(ROOT / "tests"))  # docs/adding_an_op.md uses the op test table
    namespace = {"__name__": "docs_" + pathlib.Path(page).stem}
    left_out = 0
    for number, (code, expected, _) in enumerate(outputs.examples((ROOT / page).read_text()), 1):
        if DRAWS.search(code) and not HAVE_GRAPHVIZ:
            left_out += 1
            continue
        printed = outputs.run(code, namespace, f"{page}, block {number}")
        if expected is not None:
            assert _stripped(printed) == _stripped(expected), \
                f"{page}, block {number} printed\n{printed}\ninstead of\n{expected}\n" \
                f"(python docs/refresh_outputs.py {page} writes the new output into the page)"
    if left_out:
        pytest.skip(f"{page}: {left_out} block(s) that draw pictures need Graphviz "
                    f'(pip install -e ".[viz]" and the Debian package graphviz)')


def test_every_page_has_python_blocks_with_their_output():
    for page in ["README.md", "docs/tutorial.md", "docs/adding_an_op.md"]:
        found = outputs.examples((ROOT / page).read_text())
        assert found and any(expected is not None for _, expected, _ in found), page


LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)|<img src=\"([^\"]+)\"")


@pytest.mark.parametrize("page", PAGES)
def test_links_and_pictures_point_at_files(page):
    base = (ROOT / page).parent
    for match in LINK.finditer((ROOT / page).read_text()):
        target = match.group(1) or match.group(2)
        if "://" not in target:
            assert (base / target).exists(), f"{page} links to {target}, which does not exist"


@pytest.mark.numpy_only("the page shows the NumPy compilation (a GPU's fusion merges more)")
def test_compiler_page_is_what_its_script_writes(c_linker):
    script = _load(DOCS / "make_compiler_page.py")
    assert (DOCS / "compiler.md").read_text() == script.render(), \
        "docs/compiler.md is stale: run python docs/make_compiler_page.py"


@pytest.mark.numpy_only("the pictures show the NumPy compilation (a GPU's fusion merges more)")
def test_pictures_are_what_their_script_draws(c_linker):
    script = _load(DOCS / "make_pictures.py")
    for stem, text in script.dot_texts().items():
        assert (DOCS / "pictures" / f"{stem}.dot").read_text() == text, \
            f"docs/pictures/{stem} is stale: run python docs/make_pictures.py"
        for format in ("png", "svg"):
            assert (DOCS / "pictures" / f"{stem}.{format}").exists()
