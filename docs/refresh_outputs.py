"""Run a page's Python blocks and write what each prints into the ```text block under it.

    python docs/refresh_outputs.py docs/tutorial.md README.md ...

A page's blocks run in order in one namespace, in a temporary directory, as
``tests/test_docs.py`` runs them; a ```text block directly under a ```python
block is that block's output. After changing the compiler, run this on the
pages whose outputs changed and read the diff: the docs must still say what
the new output shows.
"""

import contextlib
import io
import os
import pathlib
import re
import sys
import tempfile

BLOCK = re.compile(r"^```(\w*)\n(.*?)^```\n", re.DOTALL | re.MULTILINE)


def examples(text):
    """(code, expected output or None, (start, end) of the output's text) for each ```python
    block of a page, in order."""
    blocks = [(m.group(1), m.group(2), m.start(), m.end(), m.start(2), m.end(2)) for m in BLOCK.finditer(text)]
    found = []
    for k, (language, code, _, end, _, _) in enumerate(blocks):
        if language != "python":
            continue
        following = blocks[k + 1] if k + 1 < len(blocks) else None
        if following and following[0] == "text" and not text[end:following[2]].strip():
            found.append((code, following[1], (following[4], following[5])))
        else:
            found.append((code, None, None))
    return found


def run(code, namespace, name):
    """What ``code`` prints when run in ``namespace``."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, name, "exec"), namespace)
    return printed.getvalue()


def refresh(page):
    path = pathlib.Path(page).resolve()
    text = path.read_text()
    namespace = {"__name__": "docs_" + path.stem}
    replacements = []
    here = os.getcwd()
    sys.path.insert(0, str(path.parent.parent / "tests"))
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        try:
            for number, (code, expected, span) in enumerate(examples(text), 1):
                printed = run(code, namespace, f"{page}, block {number}")
                if span is not None:
                    replacements.append((span, printed))
        finally:
            os.chdir(here)
    for (start, end), printed in reversed(replacements):
        text = text[:start] + printed.rstrip("\n") + "\n" + text[end:]
    path.write_text(text)
    print(f"{page}: {len(replacements)} outputs written")


if __name__ == "__main__":
    for page in sys.argv[1:]:
        refresh(page)
