"""Draw the pictures in docs/pictures: the tutorial's logistic regression, before and after compilation.

    python docs/make_pictures.py

For each picture it writes the DOT text (``.dot``, needs nothing) and, with
Graphviz installed (``pip install -e ".[viz]"`` and the Debian package
``graphviz``), the PNG and SVG drawn from it. A test checks that the ``.dot``
files are what this script writes, so the pictures always show today's compiler.
"""

import pathlib
import shutil
import sys

import numpy as np

import minitensor as theano
import minitensor.tensor as T
from minitensor import drawing, printing

FOLDER = pathlib.Path(__file__).with_name("pictures")
sys.path.insert(0, str(pathlib.Path(__file__).parent))
from make_compiler_page import SOURCE  # noqa: E402  the training function of docs/compiler.md


def pictures():
    """{file stem: what it draws}: the prediction graph as written, compiled alone, and the
    whole training function (predictions, cross-entropy and both updates) compiled."""
    namespace = {"np": np, "theano": theano, "T": T}
    exec(compile(SOURCE, "tutorial", "exec"), namespace)
    x, prediction, train = namespace["x"], namespace["prediction"], namespace["train"]
    predict = theano.function([x], prediction)
    return {"logistic_prediction_graph": prediction,
            "logistic_predict_function": predict,
            "logistic_train_function": train}


def dot_texts():
    """{file stem: DOT text}, as written to docs/pictures/<stem>.dot."""
    return {stem: printing.to_dot(obj, var_with_name_simple=True) for stem, obj in pictures().items()}


def main():
    FOLDER.mkdir(exist_ok=True)
    can_render = shutil.which("dot") is not None
    for stem, text in dot_texts().items():
        (FOLDER / f"{stem}.dot").write_text(text)
        written = [f"{stem}.dot"]
        if can_render:
            for format in ("png", "svg"):
                (FOLDER / f"{stem}.{format}").write_bytes(drawing.render(text, format))
                written.append(f"{stem}.{format}")
        print(f"wrote {', '.join(str(FOLDER / name) for name in written)}")
    if not can_render:
        sys.exit("Graphviz's dot program is missing, so only the .dot files were written: "
                 "apt-get install graphviz (and pip install -e \".[viz]\")")


if __name__ == "__main__":
    main()
