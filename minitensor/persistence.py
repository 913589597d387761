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
  ``params`` is a list of shared variables, each saved under its name, or a dict
  ``{name: shared variable}`` for a model whose layers reuse names (``W``, ``b``).

A checkpoint is written to a temporary file in the same folder and then renamed
over ``path``, so an interrupted save leaves the old file whole; ``path`` is used as
given (no ``.npz`` is appended). Loading reads the file's table of contents and
each array's header (name, dtype, shape) first, and reads no data until every
parameter has found its array: a file meant for another model, or one that
declares a huge array, is refused before anything is allocated. A file that is
not an ``.npz`` of arrays, or is truncated or empty, gives an error naming it.

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

import os
import tempfile
import zipfile

import numpy as np

from minitensor.backends import to_host
from minitensor.compile.sharedvalue import SharedVariable

_FORMAT = np.lib.format
_HEADER_READERS = {(1, 0): _FORMAT.read_array_header_1_0, (2, 0): _FORMAT.read_array_header_2_0}


def save_params(path, params):
    """Save the values of the shared variables ``params`` (a list of named ones, or a dict
    {name: shared variable}) to the ``.npz`` file ``path``, atomically."""
    named = _named_params(params, "save_params")
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            # Written member by member, not with np.savez, whose keywords (file, allow_pickle)
            # would take parameters of those names.
            with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
                for name, param in named.items():
                    with archive.open(name + ".npy", "w", force_zip64=True) as member:
                        _FORMAT.write_array(member, np.asarray(to_host(param.get_value(borrow=True))),
                                            allow_pickle=False)
            file.flush()
            os.fsync(file.fileno())
        _copy_permissions(path, temporary)
        os.replace(temporary, path)
    except BaseException:  # Ctrl-C included: the old file stays, the temporary one goes
        os.unlink(temporary)
        raise


def load_params(path, params):
    """Set each shared variable in ``params`` (a list of named ones, or a dict {name: shared
    variable}) to the value saved under its name in ``path``.

    Every parameter must be in the file with the dtype (in either byte order) and shape
    of its current value (a mismatch means the file belongs to another model), and every
    array in the file must find its parameter; nothing is set unless all of them match.
    """
    named = _named_params(params, "load_params")
    values = {}
    with _open_npz(path) as archive:
        headers = _read_headers(path, archive)
        missing = [name for name in named if name not in headers]
        unknown = [name for name in headers if name not in named]
        if missing or unknown:
            raise ValueError(f"load_params: {path} holds {sorted(headers)}, but the parameters are "
                             f"{list(named)}" + (f"; missing: {missing}" if missing else "")
                             + (f"; not a parameter: {unknown}" if unknown else ""))
        for name, param in named.items():
            current, (dtype, shape, _) = param.get_value(borrow=True), headers[name]
            if (dtype.newbyteorder("="), shape) != (current.dtype, current.shape):
                raise ValueError(f"load_params: {path} holds {name!r} with dtype {dtype} and shape {shape}, "
                                 f"but the parameter has dtype {current.dtype} and shape {current.shape}"
                                 f"{param.made_at()}")
        for name, param in named.items():
            values[name] = _read_array(path, archive, name, headers[name]).astype(
                param.get_value(borrow=True).dtype, copy=False)  # native byte order
    for name, param in named.items():
        param.set_value(values[name], borrow=True)


def _named_params(params, caller):
    """``params`` as a dict {name: shared variable}, or an error saying which entry is wrong."""
    if isinstance(params, dict):
        for name, param in params.items():
            if not isinstance(name, str) or not name:
                raise TypeError(f"{caller}: the names of a dict of parameters must be non-empty strings, "
                                f"got {name!r}")
            if not isinstance(param, SharedVariable):
                raise TypeError(f"{caller}: parameter {name!r} must be a shared variable, got {param!r}")
        return dict(params)
    if isinstance(params, SharedVariable) or not isinstance(params, (list, tuple)):
        raise TypeError(f"{caller} takes a list of shared variables or a dict {{name: shared variable}}, "
                        f"got {params!r}")
    named, positions = {}, {}
    for position, param in enumerate(params):
        if not isinstance(param, SharedVariable):
            raise TypeError(f"{caller}: parameter {position} must be a shared variable, got {param!r}")
        if not param.name:
            raise ValueError(f"{caller}: parameter {position} ({param.type}) has no name; each is "
                             f"saved under its name, so make it with shared(value, name=...){param.made_at()}")
        if param.name in positions:
            raise ValueError(f"{caller}: parameters {positions[param.name]} and {position} are both named "
                             f"{param.name!r}; each is saved under its name, so give them different names, "
                             f"or pass a dict {{name: shared variable}} ({{'layer1.W': ...}}){param.made_at()}")
        positions[param.name] = position
        named[param.name] = param
    return named


def _copy_permissions(path, temporary):
    """Give the new file the old one's permissions, or those a new file would get (mkstemp's are 0600)."""
    if os.path.exists(path):
        mode = os.stat(path).st_mode & 0o777
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(temporary, mode)


def _open_npz(path):
    """``path`` as an open zip archive, or a ValueError saying what the file is instead."""
    try:
        with open(path, "rb") as file:
            start = file.read(6)
    except OSError as error:
        raise OSError(f"load_params: cannot read {path}: {error.strerror or error}") from None
    if not start:
        raise ValueError(f"load_params: {path} is empty")
    if start == _FORMAT.MAGIC_PREFIX:
        raise ValueError(f"load_params: {path} is a .npy file (one array without a name), not an .npz "
                         f"file of named arrays as save_params writes")
    try:
        return zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        raise ValueError(f"load_params: {path} is not an .npz file, or it is truncated ({error})") from None


def _read_headers(path, archive):
    """{name: (dtype, shape, header length)} of every array in ``archive``, from the headers alone."""
    headers = {}
    for info in archive.infolist():
        if not info.filename.endswith(".npy"):
            raise ValueError(f"load_params: {path} holds {info.filename!r}, which is not an array (.npy)")
        name = info.filename[:-len(".npy")]
        try:
            with archive.open(info) as member:
                version = _FORMAT.read_magic(member)
                if version not in _HEADER_READERS:
                    raise ValueError(f".npy format version {version} is not supported")
                shape, fortran_order, dtype = _HEADER_READERS[version](member)
                header_length = member.tell()
        except (ValueError, EOFError, zipfile.BadZipFile, OSError) as error:
            raise ValueError(f"load_params: the array {name!r} in {path} has a bad header: {error}") from None
        if dtype.hasobject:
            raise ValueError(f"load_params: the array {name!r} in {path} holds Python objects, which "
                             f"load_params does not load (they would run code)")
        expected = header_length + int(np.prod(shape, dtype=object)) * dtype.itemsize
        if info.file_size != expected:
            raise ValueError(f"load_params: the array {name!r} in {path} declares shape {shape} and dtype "
                             f"{dtype} ({expected} bytes with its header) but holds {info.file_size} bytes")
        headers[name] = (dtype, shape, fortran_order)
    return headers


def _read_array(path, archive, name, header):
    """The array ``name`` of ``archive``, whose header has been checked."""
    dtype, shape, fortran_order = header
    try:
        with archive.open(name + ".npy") as member:
            data = member.read()
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
        raise ValueError(f"load_params: the array {name!r} in {path} cannot be read: {error}") from None
    values = np.frombuffer(data, dtype=dtype, offset=len(data) - int(np.prod(shape)) * dtype.itemsize)
    return values.reshape(shape[::-1]).T if fortran_order else values.reshape(shape)
