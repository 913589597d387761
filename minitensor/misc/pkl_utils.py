"""``dump`` and ``load``: pickling into a zip file whose arrays are NumPy ``.npy`` files, as
Theano's ``theano.misc.pkl_utils``.

The zip holds ``pkl``, the pickle of the object, and one ``.npy`` file per array in
it, named after the shared variable that holds the array (``w``, and ``w_2`` for a
second variable named ``w``) or ``array_0``, ``array_1``, ... for other arrays; the
pickle refers to them by name. So ``numpy.load('model.zip')['w']`` reads a parameter
without minitensor, and ``load`` gives the object back with its arrays. As with any
pickle, load only files you trust.

>>> import io, minitensor as theano
>>> buffer = io.BytesIO()
>>> dump((theano.shared(0, name='foo'), theano.shared(1, name='foo')), buffer)
>>> foo_1, foo_2 = load(io.BytesIO(buffer.getvalue()))
>>> foo_2.get_value()
array(1)
"""

import collections
import io
import pickle
import zipfile

import numpy as np

from minitensor.compile.sharedvalue import SharedVariable


class _ArraysToFiles(pickle.Pickler):
    """A pickler that writes each ndarray to its own ``.npy`` file in the zip, named for the
    shared variable holding it when there is one."""

    def __init__(self, file, archive, protocol):
        super().__init__(file, protocol)
        self.protocol = protocol
        self.archive = archive
        self.written = {}  # id(array) -> its name in the zip
        self.names_of_values = {}  # id(a shared variable's value) -> that variable's name
        self.name_counts = collections.Counter()
        self.unnamed = 0
        self.keep_alive = []  # the arrays whose ids are in ``written`` stay alive until the end

    def reducer_override(self, obj):
        """A named shared variable pickles as usual; its value (a host array, wherever the value
        lives) is noted, so that its file is named after the variable."""
        if not (isinstance(obj, SharedVariable) and obj.name):
            return NotImplemented
        reduced = obj.__reduce_ex__(self.protocol)
        value = reduced[2]["_value"]
        self.names_of_values[id(value)] = obj.name
        self.keep_alive.append(value)
        return reduced

    def persistent_id(self, obj):
        if type(obj) is not np.ndarray:
            return None
        if id(obj) not in self.written:
            name = self.names_of_values.get(id(obj))
            if name is None:
                name, self.unnamed = f"array_{self.unnamed}", self.unnamed + 1
            else:
                self.name_counts[name] += 1
                count = self.name_counts[name]
                name = name if count == 1 else f"{name}_{count}"
            with self.archive.open(name, "w") as entry:
                np.lib.format.write_array(entry, obj, allow_pickle=False)
            self.written[id(obj)] = name
            self.keep_alive.append(obj)
        return f"ndarray.{self.written[id(obj)]}"


class _ArraysFromFiles(pickle.Unpickler):
    def __init__(self, file, archive):
        super().__init__(file)
        self.archive = archive
        self.loaded = {}

    def persistent_load(self, pid):
        kind, _, name = pid.partition(".")
        if kind != "ndarray":
            raise pickle.UnpicklingError(f"unknown kind of stored object {pid!r}")
        if name not in self.loaded:
            with self.archive.open(name) as entry:
                self.loaded[name] = np.lib.format.read_array(entry, allow_pickle=False)
        return self.loaded[name]


def dump(obj, file_handler, protocol=pickle.DEFAULT_PROTOCOL):
    """Pickle ``obj`` into the zip file ``file_handler`` (opened for writing in binary)."""
    with zipfile.ZipFile(file_handler, "w", zipfile.ZIP_DEFLATED) as archive:
        pickled = io.BytesIO()  # the arrays go into the zip as the pickler meets them; pkl comes last
        _ArraysToFiles(pickled, archive, protocol).dump(obj)
        archive.writestr("pkl", pickled.getvalue())


def load(file_handler):
    """The object that ``dump`` wrote into the zip file ``file_handler``."""
    with zipfile.ZipFile(file_handler, "r") as archive:
        with archive.open("pkl") as entry:
            return _ArraysFromFiles(entry, archive).load()
