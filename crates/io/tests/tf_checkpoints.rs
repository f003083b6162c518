//! ferroflow against checkpoints stock TF 2.21 wrote (`testdata/make_checkpoints.py`): every tensor
//! reads back with the values TF reads (`testdata/checkpoints/expected.json`), slices assemble as
//! RestoreV2 assembles them, rewriting TF's bundles with ferroflow's writer (and merging the shards
//! of the sharded one) reproduces TF's files byte for byte, and damaged copies fail with DATA_LOSS.

use bytes::Bytes;
use ferroflow_framework::{Code, DType, Tensor, TensorShape};
use ferroflow_io::bundle::{
    BundleReader, BundleWriter, TensorSlice, data_filename, meta_filename, merge_v2, naming::encode_tensor_name_slice, restore_v2,
};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/checkpoints")
}

fn fixture(name: &str) -> String {
    fixtures().join(name).join("ckpt").to_string_lossy().into_owned()
}

fn expected() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join("expected.json")).unwrap()).unwrap()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn dtype_of(numpy_name: &str) -> DType {
    match numpy_name {
        "float32" => DType::Float,
        "float64" => DType::Double,
        "int8" => DType::Int8,
        "int16" => DType::Int16,
        "int32" => DType::Int32,
        "int64" => DType::Int64,
        "uint8" => DType::UInt8,
        "uint16" => DType::UInt16,
        "uint32" => DType::UInt32,
        "uint64" => DType::UInt64,
        "bool" => DType::Bool,
        "string" => DType::String,
        other => panic!("fixture dtype {other}"),
    }
}

/// The tensor TF read, from its JSON description.
fn tf_value(v: &Value) -> Tensor {
    let dtype = dtype_of(v["dtype"].as_str().unwrap());
    let shape = TensorShape::new(v["shape"].as_array().unwrap().iter().map(|d| d.as_i64().unwrap()).collect::<Vec<_>>());
    if dtype == DType::String {
        let strings = v["strings"].as_array().unwrap().iter().map(|s| Bytes::from(unhex(s.as_str().unwrap()))).collect();
        Tensor::from_strings(shape, strings).unwrap()
    } else {
        Tensor::from_bytes(dtype, shape, Bytes::from(unhex(v["hex"].as_str().unwrap()))).unwrap()
    }
}

#[test]
fn every_tensor_tf_wrote_reads_back_with_tfs_values() {
    let expected = expected();
    for (ckpt, tensors) in expected.as_object().unwrap() {
        let reader = BundleReader::open(&fixture(ckpt)).unwrap();
        let mut names: Vec<&String> = tensors.as_object().unwrap().keys().collect();
        names.sort();
        assert_eq!(reader.tensor_names().iter().collect::<Vec<_>>(), names, "{ckpt}");
        for (name, want) in tensors.as_object().unwrap() {
            let got = reader.lookup(name).unwrap();
            assert!(got.same_contents(&tf_value(want)), "{ckpt}/{name}: {got:?}");
            let specs = [(name.as_str(), "", got.dtype())];
            assert!(restore_v2(&fixture(ckpt), &specs).unwrap()[0].same_contents(&got), "{ckpt}/{name} by restore_v2");
        }
    }
}

#[test]
fn values_are_exact() {
    let r = BundleReader::open(&fixture("dtypes")).unwrap();
    assert_eq!(r.lookup("i64").unwrap().to_vec::<i64>().unwrap(), [i64::MIN, -1, 0, i64::MAX]);
    assert_eq!(r.lookup("u64").unwrap().to_vec::<u64>().unwrap(), [0, u64::MAX]);
    assert_eq!(r.lookup("flags").unwrap().bools().unwrap(), [true, false, true, true]);
    let kernel = r.lookup("dense/kernel").unwrap().to_vec::<f32>().unwrap();
    assert_eq!(&kernel[..3], &[1.5, -2.25, 3e-8]);
    assert!(kernel[3] == f32::INFINITY && kernel[5] == 0.0 && kernel[5].is_sign_negative());
    assert!(r.lookup("f64").unwrap().to_vec::<f64>().unwrap()[3].is_nan());
    let words = r.lookup("words").unwrap();
    assert_eq!(words.dims(), &[2, 2]);
    assert_eq!(words.strings().unwrap(), [&b""[..], b"hello", b"\x00\xff bytes", "ünï".as_bytes()]);
    assert_eq!(r.lookup("scalar").unwrap().scalar_value::<f32>().unwrap(), 42.0);
    assert_eq!(r.lookup("scalar_word").unwrap().strings().unwrap(), [&b"solo"[..]]);
    assert_eq!(r.lookup("empty2d").unwrap().dims(), &[2, 0]);
    assert_eq!(r.lookup("no_words").unwrap().strings().unwrap().len(), 0);
}

#[test]
fn partitioned_variables_assemble_from_tfs_slices() {
    let prefix = fixture("partitioned");
    let r = BundleReader::open(&prefix).unwrap();
    // fixed_size_partitioner(3) over 5 rows: rows 0-1, 2-3, 4; TF stores explicit extents.
    let slices: Vec<String> = r.stored_slices("emb").unwrap().iter().map(|s| s.to_string()).collect();
    assert_eq!(slices, ["0,2:0,3", "2,2:0,3", "4,1:0,3"]);
    let full: Vec<f32> = (0..15).map(|i| i as f32 / 4.0).collect();
    assert_eq!(r.lookup("emb").unwrap().to_vec::<f32>().unwrap(), full);
    // A slice straddling two stored partitions, as RestoreV2 with shape_and_slices serves it.
    let got = restore_v2(&prefix, &[("emb", "5 3 1,3:1,2", DType::Float), ("wide", "2 4 -:1,2", DType::Int64)]).unwrap();
    let want: Vec<f32> = [(1, 1), (1, 2), (2, 1), (2, 2), (3, 1), (3, 2)].iter().map(|&(r, c)| full[r * 3 + c]).collect();
    assert_eq!((got[0].dims(), got[0].to_vec::<f32>().unwrap()), (&[3i64, 2][..], want));
    assert_eq!(got[1].to_vec::<i64>().unwrap(), [-3, -6, -15, -18]);
    // An exact stored slice is read directly; the whole tensor through its pieces.
    let part = r.lookup_slice("emb", &TensorSlice::parse("2,2:0,3").unwrap()).unwrap();
    assert_eq!(part.to_vec::<f32>().unwrap(), &full[6..12]);
    let sharded = BundleReader::open(&fixture("sharded")).unwrap();
    assert_eq!(sharded.num_shards(), 2);
    assert_eq!(sharded.lookup("split").unwrap().to_vec::<i32>().unwrap(), (0..12).collect::<Vec<_>>());
}

/// One stored tensor of a bundle, in data-file order.
enum Item {
    Whole(String, Tensor),
    Slice(String, TensorShape, TensorSlice, Tensor),
}

/// The tensors of `prefix` grouped by shard, each shard's in the order TF wrote them.
fn stored_items(prefix: &str) -> Vec<Vec<Item>> {
    let r = BundleReader::open(prefix).unwrap();
    let mut located = Vec::new();
    for name in r.tensor_names() {
        let entry = r.entry(name.as_bytes()).unwrap();
        if entry.slices.is_empty() {
            located.push(((entry.shard_id, entry.offset), Item::Whole(name.clone(), r.lookup(&name).unwrap())));
            continue;
        }
        let (_, shape) = r.dtype_and_shape(&name).unwrap();
        for slice in r.stored_slices(&name).unwrap() {
            let e = r.entry(&encode_tensor_name_slice(&name, &slice)).unwrap();
            let t = r.lookup_slice(&name, &slice).unwrap();
            located.push(((e.shard_id, e.offset), Item::Slice(name.clone(), shape.clone(), slice, t)));
        }
    }
    located.sort_by_key(|(at, _)| *at);
    let mut shards: Vec<Vec<Item>> = (0..r.num_shards()).map(|_| Vec::new()).collect();
    for ((shard, _), item) in located {
        shards[shard as usize].push(item);
    }
    shards
}

fn write_items(prefix: &str, items: &[Item]) {
    let mut w = BundleWriter::new(prefix).unwrap();
    for item in items {
        match item {
            Item::Whole(name, t) => w.add(name, t).unwrap(),
            Item::Slice(name, shape, slice, t) => w.add_slice(name, shape, slice, t).unwrap(),
        }
    }
    w.finish().unwrap();
}

fn assert_same_files(ours: &str, tfs: &str, num_shards: i32) {
    assert_eq!(std::fs::read(meta_filename(ours)).unwrap(), std::fs::read(meta_filename(tfs)).unwrap(), "{tfs}.index");
    for shard in 0..num_shards {
        let (a, b) = (data_filename(ours, shard, num_shards), data_filename(tfs, shard, num_shards));
        assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap(), "{b}");
    }
}

#[test]
fn rewriting_tfs_bundles_reproduces_tfs_bytes() {
    let dir = tempfile::tempdir().unwrap();
    for ckpt in ["dtypes", "partitioned"] {
        let ours = dir.path().join(ckpt).to_string_lossy().into_owned();
        let shards = stored_items(&fixture(ckpt));
        assert_eq!(shards.len(), 1);
        write_items(&ours, &shards[0]);
        assert_same_files(&ours, &fixture(ckpt), 1);
    }
    // The sharded save: one bundle per device in a temporary directory, then the merge.
    let shards = stored_items(&fixture("sharded"));
    let tmp = dir.path().join("ckpt_temp");
    let parts: Vec<String> =
        (0..shards.len()).map(|i| tmp.join(format!("part-{i:05}-of-{:05}", shards.len())).to_string_lossy().into_owned()).collect();
    for (part, items) in parts.iter().zip(&shards) {
        write_items(part, items);
    }
    let merged = dir.path().join("sharded").to_string_lossy().into_owned();
    merge_v2(&parts.iter().map(|s| s.as_str()).collect::<Vec<_>>(), &merged, true, false).unwrap();
    assert_same_files(&merged, &fixture("sharded"), 2);
    assert!(!tmp.exists(), "the emptied temporary directory is removed");
}

/// Changes a file's bytes (given its name).
type Damage = Box<dyn Fn(&str, &mut Vec<u8>)>;

/// A copy of fixture `ckpt` in a temporary directory, its files passed through `damage`.
fn damaged_copy(dir: &Path, ckpt: &str, damage: impl Fn(&str, &mut Vec<u8>)) -> String {
    std::fs::create_dir_all(dir).unwrap();
    let prefix = dir.join(ckpt).to_string_lossy().into_owned();
    for (from, to) in [(meta_filename(&fixture(ckpt)), meta_filename(&prefix)), (data_filename(&fixture(ckpt), 0, 1), data_filename(&prefix, 0, 1))] {
        let mut bytes = std::fs::read(&from).unwrap();
        damage(&to, &mut bytes);
        std::fs::write(&to, bytes).unwrap();
    }
    prefix
}

#[test]
fn damaged_checkpoints_are_data_loss_and_yield_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let everything = |prefix: &str| restore_v2(prefix, &[("i64", "", DType::Int64), ("words", "", DType::String)]);
    let cases: Vec<(&str, Damage, &str)> = vec![
        ("truncated_index", Box::new(|f, b| if f.ends_with(".index") { b.truncate(b.len() - 60) }), "not an sstable (bad magic number)"),
        ("short_index", Box::new(|f, b| if f.ends_with(".index") { b.truncate(10) }), "file is too short to be an sstable"),
        ("bad_magic", Box::new(|f, b| if f.ends_with(".index") { *b.last_mut().unwrap() ^= 0x40 }), "not an sstable (bad magic number)"),
        ("index_block", Box::new(|f, b| if f.ends_with(".index") { b[3] ^= 0x40 }), "block checksum mismatch"),
    ];
    for (name, damage, message) in cases {
        let prefix = damaged_copy(&dir.path().join(name), "dtypes", damage);
        let e = everything(&prefix).map(|v| v.len()).unwrap_err();
        assert_eq!(e.code, Code::DataLoss, "{name}: {e}");
        assert!(e.message.ends_with(message), "{name}: {}", e.message);
        assert!(BundleReader::open(&prefix).is_err());
    }
    // A flipped byte inside the int64 tensor's bytes fails that tensor, with TF's message.
    let r = BundleReader::open(&fixture("dtypes")).unwrap();
    let at = r.entry(b"i64").unwrap().offset as usize + 9;
    let prefix = damaged_copy(&dir.path().join("data"), "dtypes", |f, b| if f.contains(".data-") { b[at] ^= 1 });
    let e = everything(&prefix).unwrap_err();
    assert_eq!(e.code, Code::DataLoss);
    assert!(e.message.starts_with(&format!("TensorBundle at {prefix} shard 0 (32 bytes): Checksum does not match: stored ")), "{}", e.message);
    // The untouched tensors of the same file still read, with their values.
    let r = BundleReader::open(&prefix).unwrap();
    assert_eq!(r.lookup("u16").unwrap().to_vec::<u16>().unwrap(), [0, 65535]);
    assert!(r.lookup("i64").is_err());
    // A flipped byte in the string lengths fails the length checksum.
    let at = r.entry(b"words").unwrap().offset as usize;
    let prefix = damaged_copy(&dir.path().join("lengths"), "dtypes", |f, b| if f.contains(".data-") { b[at] ^= 1 });
    let e = BundleReader::open(&prefix).unwrap().lookup("words").unwrap_err();
    assert!(e.code == Code::DataLoss && e.message.starts_with("The length checksum does not match"), "{e}");
}

#[test]
fn missing_checkpoints_and_tensors_are_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope").to_string_lossy().into_owned();
    let want = format!("Unsuccessful TensorSliceReader constructor: Failed to find any matching files for {missing}");
    for e in [BundleReader::open(&missing).map(|_| ()).unwrap_err(), restore_v2(&missing, &[("x", "", DType::Float)]).map(|_| ()).unwrap_err()] {
        assert_eq!((e.code, e.message.as_str()), (Code::NotFound, want.as_str()));
    }
    let e = restore_v2(&fixture("dtypes"), &[("i8", "", DType::Int8), ("zz", "", DType::Float)]).unwrap_err();
    assert_eq!((e.code, e.message.as_str()), (Code::NotFound, "Key zz not found in checkpoint"));
}
