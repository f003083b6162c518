//! A command-line window on ferroflow's checkpoint code, for the interop suite
//! (`tests/interop/test_checkpoint_format.py`), which checks it against stock TF both ways:
//!
//! - `checkpoint_tool write DIR`: writes bundles `DIR/dtypes`, `DIR/many`, `DIR/sliced` and
//!   `DIR/merged` (two shards merged) and prints, as JSON, every tensor they hold, whole.
//! - `checkpoint_tool dump PREFIX`: prints every tensor of a bundle, whole, as JSON.
//! - `checkpoint_tool restore PREFIX NAME SPEC DTYPE ...`: prints what `restore_v2` gives.
//!
//! Tensors print as `{"dtype": TF name, "shape": [..], "hex": raw bytes}` (strings: `"strings"`,
//! each hex); a failure prints `{"error": {"code": N, "message": ..}}` and exits with status 0.

use bytes::Bytes;
use ferroflow_framework::{DType, Error, Result, Tensor, TensorShape};
use ferroflow_io::bundle::{BundleReader, BundleWriter, TensorSlice, merge_v2, restore_v2, save_v2};
use serde_json::{Map, Value, json};
use std::path::Path;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn describe(t: &Tensor) -> Value {
    let mut v = json!({"dtype": t.dtype().name(), "shape": t.dims()});
    match t.strings() {
        Ok(s) => v["strings"] = s.iter().map(|b| Value::String(hex(b))).collect(),
        Err(_) => v["hex"] = Value::String(hex(t.raw_bytes().map(|b| &b[..]).unwrap_or_default())),
    }
    v
}

fn error_json(e: &Error) -> Value {
    json!({"error": {"code": e.code as i32, "message": e.message}})
}

/// A deterministic stream of pseudo-random bits.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 11
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

fn pod(dtype: DType, dims: &[i64], rng: &mut Lcg) -> Tensor {
    let shape = TensorShape::new(dims.to_vec());
    let mut bytes = rng.bytes(shape.num_elements() * dtype.size().unwrap());
    if dtype == DType::Bool {
        bytes.iter_mut().for_each(|b| *b &= 1);
    }
    if dtype.is_float() {
        // Keep floats finite and NaN-free so either side may compare them as numbers.
        let width = dtype.size().unwrap();
        bytes.chunks_mut(width).for_each(|c| c[width - 1] &= 0x3f);
    }
    Tensor::from_bytes(dtype, shape, Bytes::from(bytes)).unwrap()
}

fn strings(dims: &[i64], rng: &mut Lcg) -> Tensor {
    let shape = TensorShape::new(dims.to_vec());
    let values = (0..shape.num_elements())
        .map(|i| {
            let len = if i % 5 == 0 { 0 } else { (rng.next() % 200) as usize };
            Bytes::from(rng.bytes(len))
        })
        .collect();
    Tensor::from_strings(shape, values).unwrap()
}

fn write_all(dir: &Path) -> Result<Value> {
    let mut rng = Lcg(20210501);
    let p = |name: &str| dir.join(name).to_string_lossy().into_owned();
    let mut dtypes: Vec<(String, Tensor)> = Vec::new();
    for dtype in [DType::Float, DType::Double, DType::Int32, DType::UInt8, DType::Int16, DType::Int8, DType::Int64, DType::Bool, DType::UInt16, DType::UInt32, DType::UInt64] {
        dtypes.push((format!("{dtype}/matrix"), pod(dtype, &[7, 3], &mut rng)));
        dtypes.push((format!("{dtype}/scalar"), pod(dtype, &[], &mut rng)));
        dtypes.push((format!("{dtype}/empty"), pod(dtype, &[2, 0, 3], &mut rng)));
    }
    dtypes.push(("string/matrix".into(), strings(&[4, 5], &mut rng)));
    dtypes.push(("string/scalar".into(), Tensor::from_strings(TensorShape::scalar(), vec![Bytes::from_static(b"\x00\xff\x01")])?));
    dtypes.push(("string/empty".into(), strings(&[0], &mut rng)));
    dtypes.push(("big/floats".into(), pod(DType::Float, &[300, 100], &mut rng)));
    let items: Vec<(&str, &str, &Tensor)> = dtypes.iter().map(|(n, t)| (n.as_str(), "", t)).collect();
    save_v2(&p("dtypes"), &items)?;

    // Enough entries that the index spans several 256 KiB data blocks.
    let mut w = BundleWriter::new(&p("many"))?;
    for i in 0..12000 {
        w.add(&format!("scope_{:02}/a_rather_long_variable_name_{i:05}", i % 17), &Tensor::scalar(i as i64))?;
    }
    w.finish()?;

    let emb = pod(DType::Float, &[5, 3], &mut rng);
    let wide = pod(DType::Int64, &[2, 4], &mut rng);
    let flags = pod(DType::Bool, &[6], &mut rng);
    let mut w = BundleWriter::new(&p("sliced"))?;
    add_rows(&mut w, "emb", &emb, &[(0, 2), (2, 2), (4, 1)])?;
    add_columns(&mut w, "wide", &wide, &[(0, 2), (2, 2)])?;
    add_rows(&mut w, "flags", &flags, &[(0, 2), (2, 2), (4, 2)])?;
    w.add("whole", &pod(DType::Double, &[3], &mut rng))?;
    w.finish()?;

    let parts = [p("merged_tmp/part-00000-of-00002"), p("merged_tmp/part-00001-of-00002")];
    let split = pod(DType::Int32, &[4, 3], &mut rng);
    let mut w = BundleWriter::new(&parts[0])?;
    add_rows(&mut w, "split", &split, &[(0, 2)])?;
    w.add("first", &pod(DType::Float, &[2], &mut rng))?;
    w.finish()?;
    let mut w = BundleWriter::new(&parts[1])?;
    add_rows(&mut w, "split", &split, &[(2, 2)])?;
    w.add("other", &strings(&[3], &mut rng))?;
    w.finish()?;
    merge_v2(&[&parts[0], &parts[1]], &p("merged"), true, false)?;

    let mut out = Map::new();
    for name in ["dtypes", "many", "sliced", "merged"] {
        out.insert(name.into(), dump(&p(name))?);
    }
    Ok(Value::Object(out))
}

/// Adds `t` as row ranges `(start, count)` of itself.
fn add_rows(w: &mut BundleWriter, name: &str, t: &Tensor, rows: &[(i64, i64)]) -> Result<()> {
    let row: usize = t.dims()[1..].iter().product::<i64>() as usize;
    let width = t.dtype().size().unwrap();
    for &(start, count) in rows {
        let mut extents = vec![(start, count)];
        extents.extend(std::iter::repeat_n((0, -1), t.rank() - 1));
        let bytes = t.raw_bytes().unwrap().slice(start as usize * row * width..(start + count) as usize * row * width);
        let mut dims = t.dims().to_vec();
        dims[0] = count;
        w.add_slice(name, t.shape(), &TensorSlice::from_extents(&extents)?, &Tensor::from_bytes(t.dtype(), TensorShape::new(dims), bytes)?)?;
    }
    Ok(())
}

/// Adds the rank-2 `t` as column ranges `(start, count)` of itself.
fn add_columns(w: &mut BundleWriter, name: &str, t: &Tensor, columns: &[(i64, i64)]) -> Result<()> {
    let (rows, cols) = (t.dims()[0] as usize, t.dims()[1] as usize);
    let width = t.dtype().size().unwrap();
    let all = t.raw_bytes().unwrap();
    for &(start, count) in columns {
        let mut bytes = Vec::new();
        for r in 0..rows {
            let at = (r * cols + start as usize) * width;
            bytes.extend_from_slice(&all[at..at + count as usize * width]);
        }
        let slice = TensorSlice::from_extents(&[(0, -1), (start, count)])?;
        w.add_slice(name, t.shape(), &slice, &Tensor::from_bytes(t.dtype(), TensorShape::new(vec![rows as i64, count]), Bytes::from(bytes))?)?;
    }
    Ok(())
}

fn dump(prefix: &str) -> Result<Value> {
    let reader = BundleReader::open(prefix)?;
    let mut out = Map::new();
    for name in reader.tensor_names() {
        out.insert(name.clone(), describe(&reader.lookup(&name)?));
    }
    Ok(Value::Object(out))
}

fn dtype_named(name: &str) -> Result<DType> {
    [DType::Float, DType::Double, DType::Int32, DType::UInt8, DType::Int16, DType::Int8, DType::String, DType::Int64, DType::Bool, DType::UInt16, DType::UInt32, DType::UInt64]
        .into_iter()
        .find(|d| d.name() == name)
        .ok_or_else(|| Error::invalid_argument(format!("unknown dtype {name}")))
}

fn restore(prefix: &str, args: &[String]) -> Result<Value> {
    let mut specs = Vec::new();
    for triple in args.chunks(3) {
        let [name, spec, dtype] = triple else { return Err(Error::invalid_argument("restore wants NAME SPEC DTYPE triples")) };
        specs.push((name.as_str(), spec.as_str(), dtype_named(dtype)?));
    }
    Ok(restore_v2(prefix, &specs)?.iter().map(describe).collect())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(|s| s.as_str()) {
        Some("write") if args.len() == 2 => write_all(Path::new(&args[1])),
        Some("dump") if args.len() == 2 => dump(&args[1]),
        Some("restore") if args.len() >= 2 => restore(&args[1], &args[2..]),
        _ => {
            eprintln!("usage: checkpoint_tool write DIR | dump PREFIX | restore PREFIX NAME SPEC DTYPE ...");
            std::process::exit(2);
        }
    };
    println!("{}", result.unwrap_or_else(|e| error_json(&e)));
}
