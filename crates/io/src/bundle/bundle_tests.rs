//! Tests of writing, reading, merging and the checkpoint operations together, on bundles made in
//! temporary directories (some crafted byte by byte to lie about sizes, shapes and shards).

use super::writer::{bundle_header, write_index};
use super::*;
use bytes::Bytes;
use ferroflow_framework::{Code, DType, Tensor, TensorShape};
use ferroflow_proto::BundleEntryProto;
use ferroflow_proto::bundle_header_proto::Endianness;
use prost::Message;
use std::path::Path;

fn strings(v: &[&str]) -> Tensor {
    Tensor::from_strings(vec![v.len() as i64], v.iter().map(|s| Bytes::copy_from_slice(s.as_bytes())).collect()).unwrap()
}

fn prefix_in(dir: &Path, name: &str) -> String {
    dir.join(name).to_string_lossy().into_owned()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

#[test]
fn every_dtype_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = prefix_in(dir.path(), "all");
    let tensors = vec![
        ("f", Tensor::from_vec(vec![2], vec![1.5f32, -0.0]).unwrap()),
        ("d", Tensor::from_vec(vec![1], vec![f64::MIN_POSITIVE]).unwrap()),
        ("i32", Tensor::from_vec(vec![2, 1], vec![i32::MIN, 9]).unwrap()),
        ("u8", Tensor::from_vec(vec![2], vec![0u8, 255]).unwrap()),
        ("i16", Tensor::scalar(-7i16)),
        ("i8", Tensor::from_vec(vec![1], vec![-128i8]).unwrap()),
        ("s", strings(&["", "a\0b", &"x".repeat(300)])),
        ("i64", Tensor::from_vec(vec![1], vec![i64::MAX]).unwrap()),
        ("b", Tensor::from_bools(vec![3], vec![true, false, true]).unwrap()),
        ("u16", Tensor::from_vec(vec![1], vec![65535u16]).unwrap()),
        ("u32", Tensor::from_vec(vec![1], vec![u32::MAX]).unwrap()),
        ("u64", Tensor::from_vec(vec![0, 4], Vec::<u64>::new()).unwrap()),
    ];
    let specs: Vec<(&str, &str, &Tensor)> = tensors.iter().map(|(n, t)| (*n, "", t)).collect();
    save_v2(&prefix, &specs).unwrap();
    assert_eq!(files_in(dir.path()), ["all.data-00000-of-00001", "all.index"]);
    let wanted: Vec<(&str, &str, DType)> = tensors.iter().map(|(n, t)| (*n, "", t.dtype())).collect();
    for ((name, t), got) in tensors.iter().zip(restore_v2(&prefix, &wanted).unwrap()) {
        assert!(got.same_contents(t), "{name}: {got:?}");
    }
}

#[test]
fn tensors_are_aligned_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = prefix_in(dir.path(), "aligned");
    let mut w = BundleWriter::with_options(&prefix, BundleWriterOptions { data_alignment: 64 }).unwrap();
    w.add("a", &Tensor::from_vec(vec![3], vec![1u8, 2, 3]).unwrap()).unwrap();
    w.add("b", &Tensor::from_vec(vec![2], vec![4.0f64, 5.0]).unwrap()).unwrap();
    w.finish().unwrap();
    let r = BundleReader::open(&prefix).unwrap();
    assert_eq!(r.entry(b"b").unwrap().offset, 64);
    assert_eq!(r.lookup("b").unwrap().to_vec::<f64>().unwrap(), [4.0, 5.0]);
    assert_eq!(std::fs::metadata(data_filename(&prefix, 0, 1)).unwrap().len(), 128);
}

#[test]
fn nothing_appears_under_the_real_names_until_finish() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = prefix_in(dir.path(), "ck");
    let mut w = BundleWriter::new(&prefix).unwrap();
    w.add("x", &Tensor::scalar(1.0f32)).unwrap();
    let during = files_in(dir.path());
    assert_eq!(during.len(), 1);
    assert!(during[0].starts_with("ck.data-00000-of-00001.tempstate"), "{during:?}");
    drop(w);
    assert!(files_in(dir.path()).is_empty(), "an abandoned writer leaves nothing behind");
    // An error sticks, and finish then fails and cleans up.
    let mut w = BundleWriter::new(&prefix).unwrap();
    w.add("x", &Tensor::scalar(1.0f32)).unwrap();
    let e = w.add("x", &Tensor::scalar(2.0f32)).unwrap_err();
    assert_eq!((e.code, e.message.as_str()), (Code::InvalidArgument, "Adding duplicate key: x"));
    assert_eq!(w.add("y", &Tensor::scalar(2.0f32)).unwrap_err(), e);
    assert_eq!(w.finish().unwrap_err(), e);
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn slices_are_stored_as_tf_stores_them() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = prefix_in(dir.path(), "sl");
    let top = Tensor::from_vec(vec![1, 2], vec![1i32, 2]).unwrap();
    let rest = Tensor::from_vec(vec![2, 2], vec![3i32, 4, 5, 6]).unwrap();
    let whole = Tensor::from_vec(vec![2], vec![7.0f32, 8.0]).unwrap();
    save_v2(&prefix, &[("m", "3 2 0,1:-", &top), ("m", "3 2 1,2:-", &rest), ("v", "2 0,2", &whole)]).unwrap();
    let r = BundleReader::open(&prefix).unwrap();
    // A slice covering its tensor is stored as the tensor itself.
    assert!(r.entry(b"v").unwrap().slices.is_empty());
    assert_eq!(r.stored_slices("m").unwrap().iter().map(|s| s.to_string()).collect::<Vec<_>>(), ["0,1:-", "1,2:-"]);
    assert_eq!(r.lookup("m").unwrap().to_vec::<i32>().unwrap(), [1, 2, 3, 4, 5, 6]);
    let e = save_v2(&prefix, &[("q", "4 0,3", &whole)]).unwrap_err();
    assert_eq!(
        e.message,
        "Slice in shape_and_slice specification does not match the shape of the tensor to  save: 4 0,3, tensor: [2]"
    );
    let mut w = BundleWriter::new(&prefix_in(dir.path(), "conflict")).unwrap();
    w.add("m", &whole).unwrap();
    let e = w.add_slice("m", &TensorShape::new(vec![4]), &TensorSlice::parse("0,2").unwrap(), &whole).unwrap_err();
    assert_eq!(e.message, "Adding duplicate key: m");
}

#[test]
fn restore_reports_problems_as_tf_does() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = prefix_in(dir.path(), "r");
    let x = Tensor::from_vec(vec![3], vec![1.0f32, 2.0, 3.0]).unwrap();
    let s = strings(&["ab", "c"]);
    let y = Tensor::from_vec(vec![2], vec![7i32, 8]).unwrap();
    let u = Tensor::from_vec(vec![2], vec![1u16, 2]).unwrap();
    save_v2(&prefix, &[("x", "", &x), ("s", "", &s), ("y", "4 0,2", &y), ("u", "4 2,2", &u)]).unwrap();
    let err = |specs: &[(&str, &str, DType)]| restore_v2(&prefix, specs).unwrap_err();
    // Dtype mismatches are all reported, in file order, before anything is read.
    let e = err(&[("s", "", DType::Int32), ("x", "", DType::Int32)]);
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            Code::InvalidArgument,
            "tensor_name = x; expected dtype int32 does not equal original dtype float\ntensor_name = s; expected dtype int32 does not equal original dtype string"
        )
    );
    let e = err(&[("x", "4 0,2", DType::Float)]);
    assert_eq!(e.message, "tensor_name = x; shape in shape_and_slice spec [4] does not match the shape stored in checkpoint: [3]");
    let e = err(&[("x", "3 0,5", DType::Float)]);
    assert_eq!((e.code, e.message.as_str()), (Code::Internal, "Extent in dimension 0 out of bounds: shape = [3], slice = 0,5"));
    let e = err(&[("y", "", DType::Int32)]);
    assert_eq!(e.message, "Does not have sufficient slices for partitioned tensor y to restore in slice_spec: -");
    let e = err(&[("y", "4 1,2", DType::Int32)]);
    assert_eq!(e.message, "Does not have sufficient slices for partitioned tensor y to restore in slice_spec: 1,2");
    assert_eq!(err(&[("s", "2 1,1", DType::String)]).message, "Dtype string not supported.");
    assert_eq!(err(&[("u", "4 2,1", DType::UInt16)]).message, "Dtype uint16 not supported.");
    let got = restore_v2(&prefix, &[("u", "4 2,2", DType::UInt16), ("y", "4 0,1", DType::Int32), ("x", "3 1,2", DType::Float)]).unwrap();
    assert_eq!(got[0].to_vec::<u16>().unwrap(), [1, 2]);
    assert_eq!(got[1].to_vec::<i32>().unwrap(), [7]);
    assert_eq!(got[2].to_vec::<f32>().unwrap(), [2.0, 3.0]);
}

/// Writes a bundle whose index holds exactly `entries` over the data file bytes `data`.
fn crafted(prefix: &str, entries: &[(&str, BundleEntryProto)], data: &[u8], endianness: Endianness) {
    std::fs::write(data_filename(prefix, 0, 1), data).unwrap();
    let mut header = bundle_header(1);
    header.endianness = endianness as i32;
    let owned: Vec<(Vec<u8>, BundleEntryProto)> = entries.iter().map(|(k, e)| (k.as_bytes().to_vec(), e.clone())).collect();
    write_index(Path::new(&meta_filename(prefix)), &header, owned.iter().map(|(k, e)| (k, e))).unwrap();
}

fn entry(dtype: DType, dims: &[i64], offset: i64, size: i64) -> BundleEntryProto {
    BundleEntryProto { dtype: dtype.to_proto(), shape: Some(TensorShape::new(dims.to_vec()).to_proto()), offset, size, ..Default::default() }
}

#[test]
fn lying_entries_are_refused_before_anything_is_allocated() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = prefix_in(dir.path(), "lies");
    let mut bad_shard = entry(DType::Float, &[1], 0, 4);
    bad_shard.shard_id = 3;
    crafted(
        &prefix,
        &[
            ("huge", entry(DType::Float, &[1 << 40], 0, 1 << 42)),
            ("many_strings", entry(DType::String, &[1 << 40], 0, 8)),
            ("mismatch", entry(DType::Float, &[4], 0, 8)),
            ("negative", entry(DType::Float, &[1, -5], 0, 0)),
            ("overflow", entry(DType::Float, &[1 << 32, 1 << 32], 0, 0)),
            ("shard", bad_shard),
        ],
        &[0u8; 8],
        Endianness::Little,
    );
    let r = BundleReader::open(&prefix).unwrap();
    let fail = |name: &str| r.lookup(name).unwrap_err();
    let e = fail("huge");
    assert_eq!((e.code, e.message.as_str()), (Code::OutOfRange, "Read less bytes than requested"));
    let e = fail("many_strings");
    assert_eq!(
        (e.code, e.message.as_str()),
        (Code::DataLoss, "Invalid size in bundle entry: key many_strings; stored size 8; expected size is at least 1099511627776")
    );
    assert_eq!(fail("mismatch").message, "Invalid size in bundle entry: key mismatch; stored size 8; expected size 16");
    assert_eq!(fail("negative").message, "Invalid tensor shape: negative dim { size: 1 } dim { size: -5 }");
    assert_eq!(fail("overflow").code, Code::DataLoss);
    assert_eq!(fail("shard").code, Code::DataLoss);
    std::fs::remove_file(data_filename(&prefix, 0, 1)).unwrap();
    let e = BundleReader::open(&prefix).unwrap().lookup("mismatch").unwrap_err();
    assert_eq!(e.code, Code::DataLoss, "sizes are checked before the data file is opened");
}

#[test]
fn missing_data_files_and_unparseable_entries() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = prefix_in(dir.path(), "m");
    save_v2(&prefix, &[("x", "", &Tensor::scalar(1i64))]).unwrap();
    std::fs::remove_file(data_filename(&prefix, 0, 1)).unwrap();
    let e = restore_v2(&prefix, &[("x", "", DType::Int64)]).unwrap_err();
    assert_eq!((e.code, e.message), (Code::NotFound, format!("{}; No such file or directory", data_filename(&prefix, 0, 1))));
    // An entry whose value is not a BundleEntryProto, and an index without a header.
    let mut b = crate::table::TableBuilder::new(Vec::new(), Default::default());
    b.add(b"", &bundle_header(1).encode_to_vec()).unwrap();
    b.add(b"x", &[0xff, 0xff]).unwrap();
    std::fs::write(meta_filename(&prefix), b.finish().unwrap()).unwrap();
    let e = BundleReader::open(&prefix).unwrap().lookup("x").unwrap_err();
    assert_eq!((e.code, e.message.as_str()), (Code::DataLoss, "Entry for key x not parseable."));
    let mut b = crate::table::TableBuilder::new(Vec::new(), Default::default());
    b.add(b"x", b"").unwrap();
    std::fs::write(meta_filename(&prefix), b.finish().unwrap()).unwrap();
    let e = BundleReader::open(&prefix).err().unwrap();
    assert_eq!(e.code, Code::Internal);
    assert!(e.message.ends_with("(failed to seek to header entry)"), "{}", e.message);
}

#[test]
fn big_endian_bundles_are_swapped_on_read() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = prefix_in(dir.path(), "be");
    let mut data: Vec<u8> = [1.5f32, -2.0].iter().flat_map(|v| v.to_be_bytes()).collect();
    let mut f = entry(DType::Float, &[2], 0, 8);
    f.crc32c = crate::crc::mask(crate::crc::crc32c(&data));
    // Strings: varint lengths, then the length checksum as the big-endian machine computed it.
    let mut crc = crate::crc::extend(crate::crc::extend(0, &2u32.to_be_bytes()), &1u32.to_be_bytes());
    let checksum = crate::crc::mask(crc).to_be_bytes();
    crc = crate::crc::extend(crate::crc::extend(crc, &checksum), b"abc");
    data.extend_from_slice(&[2, 1]);
    data.extend_from_slice(&checksum);
    data.extend_from_slice(b"abc");
    let mut s = entry(DType::String, &[2], 8, 9);
    s.crc32c = crate::crc::mask(crc);
    crafted(&prefix, &[("f", f), ("s", s)], &data, Endianness::Big);
    let r = BundleReader::open(&prefix).unwrap();
    assert_eq!(r.lookup("f").unwrap().to_vec::<f32>().unwrap(), [1.5, -2.0]);
    assert_eq!(r.lookup("s").unwrap().strings().unwrap(), [&b"ab"[..], b"c"]);
}

#[test]
fn merging_joins_shards_and_refuses_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, out) = (prefix_in(dir.path(), "a"), prefix_in(dir.path(), "b"), prefix_in(dir.path(), "out"));
    save_v2(&a, &[("p", "4 0,2", &Tensor::from_vec(vec![2], vec![1i32, 2]).unwrap()), ("w", "", &strings(&["q"]))]).unwrap();
    save_v2(&b, &[("p", "4 2,2", &Tensor::from_vec(vec![2], vec![3i32, 4]).unwrap())]).unwrap();
    let missing = prefix_in(dir.path(), "zz");
    let e = merge_v2(&[&a, &missing], &out, false, false).unwrap_err();
    assert_eq!(e.message, format!("allow_missing_files was set to false and {missing} did not exist.NOT_FOUND: {missing} not found"));
    let e = merge_v2(&[&missing], &out, false, true).unwrap_err();
    assert_eq!(e.message, "At least one prefix checkpoint file must exist, but none existed.");
    merge_v2(&[&a, &missing, &b], &out, false, true).unwrap();
    // The inputs' data files became the shards; their index files are gone.
    assert_eq!(files_in(dir.path()), ["out.data-00000-of-00002", "out.data-00001-of-00002", "out.index"]);
    let got = restore_v2(&out, &[("p", "4 1,2", DType::Int32), ("w", "", DType::String), ("p", "", DType::Int32)]).unwrap();
    assert_eq!(got[0].to_vec::<i32>().unwrap(), [2, 3]);
    assert_eq!(got[1].strings().unwrap(), [&b"q"[..]]);
    assert_eq!(got[2].to_vec::<i32>().unwrap(), [1, 2, 3, 4]);
    // The same whole tensor in two inputs cannot be merged.
    let (c, d) = (prefix_in(dir.path(), "c"), prefix_in(dir.path(), "d"));
    save_v2(&c, &[("w", "", &strings(&["1"]))]).unwrap();
    save_v2(&d, &[("w", "", &strings(&["2"]))]).unwrap();
    let e = merge_v2(&[&c, &d], &prefix_in(dir.path(), "cd"), false, false).unwrap_err();
    assert_eq!((e.code, e.message), (Code::InvalidArgument, format!("Duplicate tensor keyed by w encountered, when merging prefix: {d}")));
}
