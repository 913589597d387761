"""Saving and loading: a model's parameters as an ``.npz`` file.

There are two ways to save a model, as in Theano's page "Loading and saving":

* ``pickle.dump(f, file)`` saves a compiled function together with its graph and
  its shared variables, and ``pickle.load`` gives a function that computes the
  same results and updates its own (loaded) shared variables. Pickle several
  objects in one ``dump`` (``pickle.dump((train, predict, w, b), file)``) and they
  keep sharing their shared variables. Loading a pickle runs code from it, so
  load only files you trust, and expect a pickle to need the same version of
  minitensor;
* ``save_params(path, params)`` saves only the values of shared variables, in
  NumPy's ``.npz`` format, which any program can read and which holds no code;
  ``load_params(path, params)`` puts them back into a model built again by code.

>>> import os, tempfile, numpy as np, minitensor as theano
>>> w = theano.shared(np.array([1.0, 2.0]), name='w')
>>> b = theano.shared(0.5, name='b')
>>> path = os.path.join(tempfile.mkdtemp(), 'model.npz')
>>> save_params(path, [w, b])
>>> w.set_value([0.0, 0.0])
>>> load_params(path, [w, b])
>>> w.get_value()
array([1., 2.])
"""

import numpy as np

from minitensor.compile.sharedvalue import SharedVariable, to_host


def save_params(path, params):
    """Save the values of the shared variables ``params`` to the ``.npz`` file ``path``,
    each under its name, so every parameter needs a name of its own."""
    params = _check_params(params, "save_params")
    np.savez(path, **{param.name: to_host(param.get_value(borrow=True)) for param in params})


def load_params(path, params):
    """Set each shared variable in ``params`` to the value saved under its name in ``path``.

    Every parameter must be in the file with the dtype and shape of its current
    value (a mismatch means the file belongs to another model), and every array in
    the file must find its parameter; nothing is set unless all of them match.
    """
    params = _check_params(params, "load_params")
    with np.load(path, allow_pickle=False) as saved:
        values = {name: saved[name] for name in saved.files}
    names = [p.name for p in params]
    missing = [name for name in names if name not in values]
    unknown = [name for name in values if name not in names]
    if missing or unknown:
        raise ValueError(f"load_params: {path} holds {sorted(values)}, but the parameters are "
                         f"{names}" + (f"; missing: {missing}" if missing else "")
                         + (f"; not a parameter: {unknown}" if unknown else ""))
    for param in params:
        current, value = param.get_value(borrow=True), values[param.name]
        if (value.dtype, value.shape) != (current.dtype, current.shape):
            raise ValueError(f"load_params: {path} holds {param.name!r} with dtype {value.dtype} and "
                             f"shape {value.shape}, but the parameter has dtype {current.dtype} and "
                             f"shape {current.shape}{param.made_at()}")
    for param in params:
        param.set_value(values[param.name], borrow=True)


def _check_params(params, caller):
    """``params`` as a list of shared variables with distinct names, or an error saying which is not."""
    if isinstance(params, SharedVariable) or not isinstance(params, (list, tuple)):
        raise TypeError(f"{caller} takes a list of shared variables, got {params!r}")
    positions = {}
    for position, param in enumerate(params):
        if not isinstance(param, SharedVariable):
            raise TypeError(f"{caller}: parameter {position} must be a shared variable, got {param!r}")
        if param.name is None:
            raise ValueError(f"{caller}: parameter {position} ({param.type}) has no name; each is "
                             f"saved under its name, so make it with shared(value, name=...){param.made_at()}")
        if param.name in positions:
            raise ValueError(f"{caller}: parameters {positions[param.name]} and {position} are both named "
                             f"{param.name!r}; each is saved under its name, so give them different "
                             f"names{param.made_at()}")
        positions[param.name] = position
    return list(params)
