"""save_params and load_params with what real checkpoints meet: names NumPy reserves, layers
reusing names, interrupted saves, and files that are foreign, malformed or hostile."""

import io
import os
import tracemalloc
import zipfile

import numpy as np
import pytest

import minitensor as theano
from minitensor import persistence


def model(**values):
    return {name: theano.shared(np.asarray(value), name=name) for name, value in values.items()}


def test_names_that_np_savez_reserves_are_saved_like_any_other(tmp_path):
    # np.savez(path, file=..., allow_pickle=...) took them as its own keywords.
    params = model(file=[1.0, 2.0], allow_pickle=3.0, args=[4])
    theano.save_params(tmp_path / "p.npz", list(params.values()))
    assert sorted(np.load(tmp_path / "p.npz").files) == ["allow_pickle", "args", "file"]
    for p in params.values():
        p.set_value(np.zeros_like(p.get_value()))
    theano.load_params(tmp_path / "p.npz", list(params.values()))
    assert params["allow_pickle"].get_value() == 3.0 and params["file"].get_value()[1] == 2.0


def test_the_file_is_written_at_the_path_given(tmp_path):
    w = theano.shared(np.ones(2), name="w")
    theano.save_params(tmp_path / "model.params", [w])
    assert os.listdir(tmp_path) == ["model.params"]  # no model.params.npz, no temporary file
    w.set_value(np.zeros(2))
    theano.load_params(str(tmp_path / "model.params"), [w])
    np.testing.assert_array_equal(w.get_value(), [1.0, 1.0])


def test_a_dict_saves_layers_that_reuse_names(tmp_path):
    layers = [model(W=np.full((2, 2), float(k)), b=np.full(2, float(k))) for k in range(2)]
    with pytest.raises(ValueError, match="both named 'W'.*pass a dict"):
        theano.save_params(tmp_path / "p.npz", [layers[0]["W"], layers[1]["W"]])
    named = {f"layer{k}.{name}": p for k, layer in enumerate(layers) for name, p in layer.items()}
    theano.save_params(tmp_path / "p.npz", named)
    for p in named.values():
        p.set_value(np.zeros_like(p.get_value()))
    theano.load_params(tmp_path / "p.npz", named)
    assert layers[1]["W"].get_value()[0, 0] == 1.0 and layers[0]["b"].get_value()[0] == 0.0


def test_an_interrupted_save_leaves_the_old_checkpoint_whole(tmp_path, monkeypatch):
    params = model(w=[1.0, 2.0], b=3.0)
    path = tmp_path / "p.npz"
    theano.save_params(path, list(params.values()))
    old = path.read_bytes()
    params["w"].set_value([5.0, 6.0])
    written, write_array = [], np.lib.format.write_array

    def write_then_interrupt(*args, **kwargs):
        if written:
            raise KeyboardInterrupt
        written.append(write_array(*args, **kwargs))
    monkeypatch.setattr(persistence._FORMAT, "write_array", write_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        theano.save_params(path, list(params.values()))
    assert path.read_bytes() == old and os.listdir(tmp_path) == ["p.npz"]


def _npz(path, members):
    """An .npz-like zip of ``members``: {member name: bytes}."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _npy(array, header_shape=None):
    """The .npy bytes of ``array``, its header declaring ``header_shape`` if given."""
    buffer = io.BytesIO()
    header = np.lib.format.header_data_from_array_1_0(array)
    if header_shape is not None:
        header["shape"] = header_shape
    np.lib.format.write_array_header_1_0(buffer, header)
    buffer.write(array.tobytes())
    return buffer.getvalue()


def test_a_file_for_another_model_is_refused_from_its_headers_before_any_data_is_read(tmp_path):
    # 20 MB of zeros compress to about 20 KB; the parameter wants 3 numbers.
    _npz(tmp_path / "bomb.npz", {"w.npy": _npy(np.zeros(2_500_000))})
    w = theano.shared(np.zeros(3), name="w")
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"bomb.npz holds 'w' with dtype float64 and shape \(2500000,\)"):
            theano.load_params(tmp_path / "bomb.npz", [w])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000


def test_a_header_declaring_more_than_the_file_holds_is_refused(tmp_path):
    # It claims 10**13 float64s (72.8 TiB): nothing may be allocated for it.
    _npz(tmp_path / "huge.npz", {"w.npy": _npy(np.zeros(3), header_shape=(10 ** 13,))})
    with pytest.raises(ValueError, match=r"'w' in .*huge.npz declares shape \(10000000000000,\)"):
        theano.load_params(tmp_path / "huge.npz", [theano.shared(np.zeros(1), name="w")])
    _npz(tmp_path / "lying.npz", {"w.npy": _npy(np.zeros(3), header_shape=(4,))})
    with pytest.raises(ValueError, match=r"'w' in .*lying.npz declares shape \(4,\).* but holds 152 bytes"):
        theano.load_params(tmp_path / "lying.npz", [theano.shared(np.zeros(4), name="w")])


@pytest.mark.parametrize("write, fragment", [
    (lambda path: np.save(path, np.zeros(3)), "is a .npy file"),
    (lambda path: _npz(path, {"w.npy": _npy(np.zeros(3)), "notes.txt": b"hello"}), "'notes.txt', which is not an array"),
    (lambda path: path.write_bytes(b""), "is empty"),
    (lambda path: path.write_bytes(b"this is not a zip file"), "is not an .npz file"),
    (lambda path: _npz(path, {"w.npy": b"\x93NUMPY\x01\x00garbage"}), "'w' in .*model.npz has a bad header"),
    (lambda path: _npz(path, {"w.npy": _npy(np.array([{}, 1], dtype=object))}), "Python objects"),
], ids=["npy", "non-array member", "empty", "not a zip", "bad header", "objects"])
def test_a_malformed_file_gives_an_error_naming_it_and_what_is_wrong(tmp_path, write, fragment):
    path = tmp_path / "model.npz"
    write(path)
    if not path.exists():  # np.save appends .npy
        os.rename(str(path) + ".npy", path)
    w = theano.shared(np.zeros(3), name="w")
    with pytest.raises(ValueError, match=f"load_params: .*{fragment}") as info:
        theano.load_params(path, [w])
    assert str(path) in str(info.value)
    np.testing.assert_array_equal(w.get_value(), [0.0, 0.0, 0.0])


def test_a_truncated_file_gives_an_error_naming_it(tmp_path):
    w = theano.shared(np.arange(1000.0), name="w")
    theano.save_params(tmp_path / "p.npz", [w])
    data = (tmp_path / "p.npz").read_bytes()
    (tmp_path / "p.npz").write_bytes(data[:len(data) // 2])
    with pytest.raises(ValueError, match="load_params: .*p.npz is not an .npz file, or it is truncated"):
        theano.load_params(tmp_path / "p.npz", [w])


def test_a_big_endian_file_of_the_right_values_loads(tmp_path):
    np.savez(tmp_path / "p.npz", w=np.array([1.5, -2.0], dtype=">f8"))
    w = theano.shared(np.zeros(2), name="w")
    theano.load_params(tmp_path / "p.npz", [w])
    assert w.get_value().dtype == np.float64 and w.get_value().dtype.isnative
    np.testing.assert_array_equal(w.get_value(), [1.5, -2.0])


def test_a_fortran_ordered_array_loads(tmp_path):
    value = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    np.savez(tmp_path / "p.npz", w=value)
    w = theano.shared(np.zeros((2, 3)), name="w")
    theano.load_params(tmp_path / "p.npz", [w])
    np.testing.assert_array_equal(w.get_value(), value)
