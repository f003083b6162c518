"""ferroflow's checkpoint format (crates/io bundle/table) against stock TF 2.21, both ways:

- bundles ferroflow writes (every dtype, an index spanning several table blocks, partitioned
  tensors stored as slices, two shards merged) read back in TF, through tf.train.load_checkpoint
  and tf.raw_ops.RestoreV2 (whole and with shape_and_slices), with exactly ferroflow's values;
- bundles TF writes (SaveV2 of random tensors, a Saver over partitioned variables) read back in
  ferroflow with exactly TF's values;
- RestoreV2 failures (missing checkpoint or tensor, dtype and shape mismatches, bad slice specs,
  slices that cannot be assembled, damaged files) give the same error code and message in both.

ferroflow's side is the `checkpoint_tool` example (crates/io/examples), built next to the
ferroflow binary by `cargo build --release --workspace --all-targets`.
"""
import json
import os
import re
import shutil
import subprocess

import numpy as np
import pytest
import tensorflow as tf

from cluster import ferroflow_binary

FF_DTYPE = {
    tf.float32: "float", tf.float64: "double", tf.int32: "int32", tf.uint8: "uint8", tf.int16: "int16",
    tf.int8: "int8", tf.string: "string", tf.int64: "int64", tf.bool: "bool", tf.uint16: "uint16",
    tf.uint32: "uint32", tf.uint64: "uint64",
}
TF_DTYPE = {v: k for k, v in FF_DTYPE.items()}


def tool(*args):
    path = os.path.join(os.path.dirname(ferroflow_binary()), "examples", "checkpoint_tool")
    if not os.path.exists(path):
        raise RuntimeError(f"{path} missing: build it with cargo build --release --workspace --all-targets")
    out = subprocess.run([path, *args], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def describe(value, dtype):
    """A tensor in checkpoint_tool's JSON form."""
    value = np.asarray(value)
    d = {"dtype": FF_DTYPE[tf.as_dtype(dtype)], "shape": list(value.shape)}
    if tf.as_dtype(dtype) == tf.string:
        d["strings"] = [bytes(s).hex() for s in value.reshape(-1)]
    else:
        d["hex"] = value.astype(value.dtype.newbyteorder("<")).tobytes().hex()
    return d


def as_numpy(d):
    dtype = TF_DTYPE[d["dtype"]]
    if dtype == tf.string:
        return np.array([bytes.fromhex(s) for s in d["strings"]], object).reshape(d["shape"])
    return np.frombuffer(bytes.fromhex(d["hex"]), dtype.as_numpy_dtype).reshape(d["shape"])


def run_locally(build, feed=None):
    """Runs the ops `build` makes in a fresh graph, in-process (the suite runs in graph mode);
    `feed` maps the names of placeholders `build` made to their values."""
    g = tf.Graph()
    with g.as_default():
        fetches = build()
    with tf.compat.v1.Session(graph=g) as s:
        return s.run(fetches, {g.get_tensor_by_name(k): v for k, v in (feed or {}).items()})


def restore(prefix, names, specs, dtypes):
    """RestoreV2 with its string inputs fed at run time, so that the kernel (not graph-time shape
    inference) judges them."""
    def build():
        inputs = [tf.compat.v1.placeholder(tf.string, shape, name=n) for n, shape in
                  [("prefix", []), ("names", [len(names)]), ("specs", [len(specs)])]]
        return tf.raw_ops.RestoreV2(prefix=inputs[0], tensor_names=inputs[1], shape_and_slices=inputs[2], dtypes=dtypes)
    return run_locally(build, {"prefix:0": prefix, "names:0": names, "specs:0": specs})


def save(prefix, names, specs, values):
    def build():
        return tf.raw_ops.SaveV2(prefix=prefix, tensor_names=names, shape_and_slices=specs,
                                 tensors=[tf.constant(v, dtype=tf.string if np.asarray(v).dtype == object else None)
                                          if not isinstance(v, tf.Tensor) else v for v in values])
    run_locally(build)


def tf_error(e):
    """TF's error code and the kernel's message, without the traceback and node context that
    graph execution wraps it in."""
    m = re.search(r"\nNode: '[^']*'\n(.*)\n\t \[\[\{\{node [^}]*\}\}\]\]$", e.message, re.S)
    assert m, e.message
    return e.error_code, m.group(1)


@pytest.fixture(scope="module")
def ferroflow_bundles(tmp_path_factory):
    d = tmp_path_factory.mktemp("ferroflow_bundles")
    return str(d), tool("write", str(d))


def test_tf_reads_every_tensor_ferroflow_wrote(ferroflow_bundles):
    d, manifest = ferroflow_bundles
    assert sorted(manifest) == ["dtypes", "many", "merged", "sliced"]
    assert len(manifest["many"]) == 12000 and os.path.getsize(os.path.join(d, "many.index")) > 262144
    for bundle, tensors in manifest.items():
        reader = tf.train.load_checkpoint(os.path.join(d, bundle))
        assert sorted(reader.get_variable_to_shape_map()) == sorted(tensors), bundle
        dtypes = reader.get_variable_to_dtype_map()
        for name, want in tensors.items():
            assert describe(reader.get_tensor(name), dtypes[name]) == want, f"{bundle}/{name}"


def test_restore_v2_reads_ferroflow_bundles_whole_and_in_slices(ferroflow_bundles):
    d, manifest = ferroflow_bundles
    names = sorted(manifest["dtypes"])
    dtypes = [TF_DTYPE[manifest["dtypes"][n]["dtype"]] for n in names]
    got = restore(os.path.join(d, "dtypes"), names, [""] * len(names), dtypes)
    for name, t, dtype in zip(names, got, dtypes):
        assert describe(t, dtype) == manifest["dtypes"][name], name
    cases = {
        "sliced": [("emb", "5 3 1,3:1,2", np.s_[1:4, 1:3]), ("wide", "2 4 -:1,2", np.s_[:, 1:3]),
                   ("flags", "6 1,4", np.s_[1:5]), ("emb", "5 3 2,2:-", np.s_[2:4]), ("whole", "3 1,1", np.s_[1:2]),
                   ("emb", "", np.s_[...])],
        "merged": [("split", "4 3 1,2:-", np.s_[1:3]), ("split", "", np.s_[...]), ("other", "", np.s_[...])],
    }
    for bundle, specs in cases.items():
        full = {n: as_numpy(v) for n, v in manifest[bundle].items()}
        got = restore(os.path.join(d, bundle), [n for n, _, _ in specs], [s for _, s, _ in specs],
                      [TF_DTYPE[manifest[bundle][n]["dtype"]] for n, _, _ in specs])
        for (name, spec, index), t in zip(specs, got):
            want = full[name][index]
            assert t.shape == want.shape and (t == want).all(), f"{bundle}/{name} {spec!r}"


def tf_written_bundles(d):
    """Writes random tensors with SaveV2 and partitioned variables with a Saver; returns prefixes."""
    rng = np.random.default_rng(7)
    named = {}
    for dtype in [np.float32, np.float64, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]:
        info = np.finfo(dtype) if np.issubdtype(dtype, np.floating) else np.iinfo(dtype)
        for i, shape in enumerate([(), (5,), (3, 4, 2), (0, 3)]):
            if np.issubdtype(dtype, np.floating):
                v = (rng.standard_normal(shape) * (float(info.max) / 8)).astype(dtype)
            else:
                v = rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
            named[f"{np.dtype(dtype).name}/t{i}"] = v
    named["bool/t"] = rng.integers(0, 2, size=(17,)).astype(bool)
    named["string/t"] = np.array([rng.bytes(int(n)) for n in rng.integers(0, 300, size=12)], object).reshape(3, 4)
    saved = os.path.join(d, "saved")
    save(saved, list(named), [""] * len(named), list(named.values()))
    partitioned = os.path.join(d, "partitioned")
    g = tf.Graph()
    with g.as_default():
        emb = tf.compat.v1.get_variable("emb", shape=[7, 3], partitioner=tf.compat.v1.fixed_size_partitioner(3))
        ids = tf.compat.v1.get_variable("ids", shape=[2, 6], dtype=tf.int64, initializer=tf.compat.v1.ones_initializer(),
                                        partitioner=tf.compat.v1.fixed_size_partitioner(4, axis=1))
        saver = tf.compat.v1.train.Saver([emb, ids])
        with tf.compat.v1.Session(graph=g) as s:
            s.run(tf.compat.v1.global_variables_initializer())
            saver.save(s, partitioned, write_meta_graph=False, write_state=False)
    return [saved, partitioned]


def test_ferroflow_reads_every_tensor_tf_wrote(tmp_path):
    for prefix in tf_written_bundles(str(tmp_path)):
        reader = tf.train.load_checkpoint(prefix)
        dtypes = reader.get_variable_to_dtype_map()
        want = {name: describe(reader.get_tensor(name), dtypes[name]) for name in dtypes}
        got = tool("dump", prefix)
        assert sorted(got) == sorted(want), prefix
        for name in want:
            assert got[name] == want[name], f"{prefix}/{name}"


def damaged(src, dst, damage):
    """Copies bundle `src` to `dst`, passing each file's bytes through damage(suffix, bytes)."""
    for suffix in [".index", ".data-00000-of-00001"]:
        with open(src + suffix, "rb") as f:
            b = bytearray(f.read())
        b = damage(suffix, b)
        if b is not None:
            with open(dst + suffix, "wb") as f:
                f.write(bytes(b))
    return dst


def flip(file_suffix, pos):
    def damage(suffix, b):
        if suffix == file_suffix:
            b[pos] ^= 0x40
        return b
    return damage


def test_restore_errors_match_tf(tmp_path):
    base = str(tmp_path / "base")
    save(base, ["x", "s", "y", "m", "m", "u", "u"],
         ["", "", "4 0,2", "4 3 0,2:-", "4 3 2,2:-", "4 0,2", "4 2,2"],
         [np.array([1.0, 2.0, 3.0], np.float32), np.array([b"ab", b"c"], object), np.array([7, 8], np.int32),
          np.arange(6.0, dtype=np.float32).reshape(2, 3), np.arange(6.0, 12.0, dtype=np.float32).reshape(2, 3),
          np.array([1, 2], np.uint16), np.array([3, 4], np.uint16)])
    # Data file layout: x at 0 (12 bytes), s at 12 (9 bytes), then the slices.
    copies = {
        "truncated_index": damaged(base, str(tmp_path / "ti"), lambda s, b: b[:-60] if s == ".index" else b),
        "short_index": damaged(base, str(tmp_path / "si"), lambda s, b: b[:10] if s == ".index" else b),
        "bad_magic": damaged(base, str(tmp_path / "bm"), flip(".index", -1)),
        "index_block": damaged(base, str(tmp_path / "ib"), flip(".index", 3)),
        "x_bytes": damaged(base, str(tmp_path / "xb"), flip(".data-00000-of-00001", 5)),
        "s_lengths": damaged(base, str(tmp_path / "sl"), flip(".data-00000-of-00001", 12)),
        "s_bytes": damaged(base, str(tmp_path / "sb"), flip(".data-00000-of-00001", 19)),
        "short_data": damaged(base, str(tmp_path / "sd"), lambda s, b: b[:5] if s != ".index" else b),
        "no_data": damaged(base, str(tmp_path / "nd"), lambda s, b: None if s != ".index" else b),
    }
    F, I, S, U16 = tf.float32, tf.int32, tf.string, tf.uint16
    cases = [
        (str(tmp_path / "missing"), [("x", "", F)]),
        (base, [("x", "", F), ("z", "", F)]),
        (base, [("s", "", I), ("x", "", I)]),
        (base, [("x", "4 0,2", F)]),
        (base, [("x", "3 0,5", F)]),
        (base, [("x", "3 a", F)]),
        (base, [("x", "3", F)]),
        (base, [("x", "x 0,1", F)]),
        (base, [("x", "3 0,0", F)]),
        (base, [("x", "3 0,1,2", F)]),
        (base, [("y", "", I)]),
        (base, [("y", "4 1,2", I)]),
        (base, [("s", "2 1,1", S)]),
        (base, [("u", "4 1,2", U16)]),
        (base, [("m", "4 3 1,2:0,2", F), ("u", "4 0,2", U16), ("y", "4 0,1", I), ("m", "", F), ("s", "", S)]),
    ] + [(prefix, [("x", "", F), ("s", "", S)]) for prefix in copies.values()]
    failures = 0
    for prefix, specs in cases:
        try:
            values = restore(prefix, [n for n, _, _ in specs], [s for _, s, _ in specs], [d for _, _, d in specs])
            want = [describe(v, d) for v, (_, _, d) in zip(values, specs)]
        except tf.errors.OpError as e:
            code, message = tf_error(e)
            want = {"error": {"code": code, "message": message}}
            failures += 1
        got = tool("restore", prefix, *[a for n, s, d in specs for a in (n, s, FF_DTYPE[d])])
        assert got == want, f"{prefix} {specs}"
    assert failures == len(cases) - 1, "every case but the mixed successful restore fails in TF"
