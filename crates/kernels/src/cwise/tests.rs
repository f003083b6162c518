//! Tests of the element-wise kernels: every case of `testdata/cwise.json` (computed by stock
//! TensorFlow through `tools/oracle/cwise_cases.py`), plus hand-written checks of paths the oracle
//! file does not reach (parallel chunks, build-time errors). Also home of the oracle-file runner
//! shared with the reduction tests.
//!
//! Case schema: `{"cases": [{"name", "op", "attrs": {NAME: {"type": DTYPE} | {"b": BOOL} | {"i": INT}},
//! "inputs": [TENSOR...], then either "outputs": [TENSOR...] or "error": {"code": "INVALID_ARGUMENT",
//! "message": "...", "match_message": BOOL}}]}`, tensors as read by `testutil::tensor_from_json`.

use crate::testutil::{Lcg, dtype_by_name, node, run, tensor_from_json};
use ferroflow_framework::{DType, Tensor};

/// Compares a kernel output with TF's: same dtype and shape; floats within `rtol` relative (absolute
/// near zero) with NaN matching NaN; everything else exactly.
pub(crate) fn compare(got: &Tensor, want: &Tensor, rtol: f64) -> Result<(), String> {
    if got.dtype() != want.dtype() || got.shape() != want.shape() {
        return Err(format!("got {got:?}, want {want:?}"));
    }
    let check = |g: Vec<f64>, w: Vec<f64>| -> Result<(), String> {
        for (i, (a, b)) in g.iter().zip(&w).enumerate() {
            let ok = (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= rtol * b.abs().max(1.0);
            if !ok {
                return Err(format!("element {i}: got {a}, want {b}"));
            }
        }
        Ok(())
    };
    match got.dtype() {
        DType::Float => check(
            got.values::<f32>().unwrap().iter().map(|&x| x as f64).collect(),
            want.values::<f32>().unwrap().iter().map(|&x| x as f64).collect(),
        ),
        DType::Double => check(got.to_vec::<f64>().unwrap(), want.to_vec::<f64>().unwrap()),
        _ if got.same_contents(want) => Ok(()),
        _ => Err(format!("got {got:?}, want {want:?}")),
    }
}

/// Runs one oracle case; `Err` describes the mismatch.
fn check_case(case: &serde_json::Value) -> Result<(), String> {
    let op = case["op"].as_str().ok_or("case without op")?;
    // TF names eager nodes after their op; error messages that name the node then agree.
    let mut n = node(op).name(op);
    if let Some(attrs) = case["attrs"].as_object() {
        for (k, v) in attrs {
            n = if let Some(t) = v.get("type").and_then(|t| t.as_str()) {
                n.attr_type(k, dtype_by_name(t))
            } else if let Some(b) = v.get("b").and_then(|b| b.as_bool()) {
                n.attr_bool(k, b)
            } else if let Some(i) = v.get("i").and_then(|i| i.as_i64()) {
                n.attr_int(k, i)
            } else {
                return Err(format!("unknown attr value {v}"));
            };
        }
    }
    let inputs: Vec<Tensor> = case["inputs"].as_array().ok_or("no inputs")?.iter().map(tensor_from_json).collect();
    match (run(n, inputs), case.get("error")) {
        (Ok(outs), None) => {
            let want = case["outputs"].as_array().ok_or("no outputs")?;
            if outs.len() != want.len() {
                return Err(format!("{} outputs, want {}", outs.len(), want.len()));
            }
            for (i, (g, w)) in outs.iter().zip(want).enumerate() {
                compare(g, &tensor_from_json(w), 1e-5).map_err(|e| format!("output {i}: {e}"))?;
            }
            Ok(())
        }
        (Ok(outs), Some(err)) => Err(format!("succeeded with {outs:?}, want error {err}")),
        (Err(e), None) => Err(format!("failed: {e}")),
        (Err(e), Some(err)) => {
            let code = err["code"].as_str().unwrap_or_default();
            if e.code.name() != code {
                return Err(format!("error {e}, want code {code}"));
            }
            let msg = err["message"].as_str().unwrap_or_default();
            if err["match_message"].as_bool() == Some(true) && !e.message.starts_with(msg) {
                return Err(format!("error message {:?}, want {msg:?}", e.message));
            }
            Ok(())
        }
    }
}

/// Runs every case of `testdata/<file>`, failing with all mismatches listed; returns the case count.
pub(crate) fn run_oracle_file(file: &str) -> usize {
    let path = format!("{}/testdata/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    let doc: serde_json::Value = serde_json::from_str(&text).expect("oracle file is JSON");
    let cases = doc["cases"].as_array().expect("oracle file has cases");
    let failures: Vec<String> = cases
        .iter()
        .enumerate()
        .filter_map(|(i, c)| check_case(c).err().map(|e| format!("#{i} {} ({}): {e}", c["name"], c["op"])))
        .collect();
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
    cases.len()
}

#[test]
fn every_tensorflow_cwise_case() {
    let n = run_oracle_file("cwise.json");
    assert!(n > 100, "only {n} cases");
}

#[test]
fn dtypes_outside_the_op_definition_or_without_cpu_kernel_are_refused_at_build() {
    let reg = crate::registry();
    let e = reg.build(&node("AddV2").attr_type("T", DType::Bool).0, 2).err().unwrap();
    assert_eq!(e.code, ferroflow_framework::Code::InvalidArgument);
    assert!(
        e.message.starts_with(
            "Value for attr 'T' of bool is not in the list of allowed values: bfloat16, half, float, double, uint8, uint16, uint32, uint64, int8, int16, int32, int64, complex64, complex128"
        ),
        "{}",
        e.message
    );
    let e = reg.build(&node("RealDiv").attr_type("T", DType::Int32).0, 2).err().unwrap();
    assert_eq!(e.code, ferroflow_framework::Code::NotFound);
    let e =
        reg.build(&node("Cast").attr_type("SrcT", DType::String).attr_type("DstT", DType::Int32).0, 1).err().unwrap();
    assert_eq!(
        (e.code, e.message.starts_with("Cast string to int32 is not supported")),
        (ferroflow_framework::Code::Unimplemented, true)
    );
    assert!(reg.build(&node("Mul").attr_type("T", DType::Float).0, 3).is_err(), "input count is checked");
}

#[test]
fn wrong_input_dtypes_are_errors_not_panics() {
    let x = Tensor::from_vec(vec![2], vec![1i32, 2]).unwrap();
    let f = Tensor::from_vec(vec![2], vec![1f32, 2.0]).unwrap();
    assert!(run(node("AddV2").attr_type("T", DType::Float), vec![f.clone(), x.clone()]).is_err());
    assert!(run(node("Exp").attr_type("T", DType::Float), vec![x.clone()]).is_err());
    assert!(run(node("LogicalNot"), vec![x.clone()]).is_err());
    assert!(run(node("Select").attr_type("T", DType::Float), vec![x.clone(), f.clone(), f.clone()]).is_err());
    assert!(run(node("Cast").attr_type("SrcT", DType::Float).attr_type("DstT", DType::Int32), vec![x]).is_err());
}

#[test]
fn large_tensors_take_the_parallel_paths() {
    let n = 200_004usize;
    let a: Vec<f32> = (0..n).map(|i| (i % 1000) as f32 - 500.0).collect();
    let x = Tensor::from_vec(vec![n as i64], a.clone()).unwrap();
    let row = Tensor::from_vec(vec![1, 7], (0..7).map(|i| i as f32).collect::<Vec<_>>()).unwrap();
    let xm = x.reshaped(vec![n as i64 / 7, 7].into()).unwrap();
    let sum = run(node("AddV2").attr_type("T", DType::Float), vec![xm, row]).unwrap().remove(0);
    let got = sum.values::<f32>().unwrap();
    assert!(got.iter().enumerate().all(|(i, &v)| v == a[i] + (i % 7) as f32));
    let sq = run(node("Square").attr_type("T", DType::Float), vec![x.clone()]).unwrap().remove(0);
    assert!(sq.values::<f32>().unwrap().iter().zip(&a).all(|(&s, &v)| s == v * v));
    let c =
        run(node("Cast").attr_type("SrcT", DType::Float).attr_type("DstT", DType::Int8), vec![x]).unwrap().remove(0);
    assert!(c.values::<i8>().unwrap().iter().zip(&a).all(|(&s, &v)| s as f32 == v.clamp(-128.0, 127.0)));
}

#[test]
fn equal_with_lenient_shapes_and_select_forwards_scalar_choices() {
    let a = Tensor::from_vec(vec![2, 3], vec![0f32; 6]).unwrap();
    let b = Tensor::from_vec(vec![4], vec![0f32; 4]).unwrap();
    let lenient = node("NotEqual").attr_type("T", DType::Float).attr_bool("incompatible_shape_error", false);
    let out = run(lenient, vec![a.clone(), b.clone()]).unwrap().remove(0);
    assert_eq!((out.dims(), out.bools().unwrap()), (&[][..], vec![true]));
    let cond = Tensor::from_bools(Vec::<i64>::new(), vec![true]).unwrap();
    let out = run(node("Select").attr_type("T", DType::Float), vec![cond, a.clone(), a.clone()]).unwrap().remove(0);
    assert_eq!(out.raw_bytes().unwrap().as_ptr(), a.raw_bytes().unwrap().as_ptr(), "no copy");
}


/// A tensor of a random dtype and shape (including zero-element shapes with huge other dimensions).
fn hostile_tensor(g: &mut Lcg) -> Tensor {
    let rank = g.pick(&[0usize, 1, 1, 2, 3]);
    let mut dims: Vec<i64> = (0..rank).map(|_| g.pick(&[0i64, 1, 2, 3])).collect();
    if dims.first() == Some(&0) && g.next() % 2 == 0 {
        dims.extend([1 << 40, 1 << 40]);
    }
    let n = dims.iter().try_fold(1usize, |n, &d| n.checked_mul(d as usize)).unwrap_or(0);
    let ints = [i64::MIN, -(1 << 40), -3, -1, 0, 1, 2, 3, i64::MAX];
    match g.pick(&[0, 1, 2, 3, 4]) {
        0 => Tensor::from_vec(dims, (0..n).map(|i| i as f32 - 1.5).collect::<Vec<_>>()).unwrap(),
        1 => Tensor::from_vec(dims, (0..n).map(|_| g.pick(&ints)).collect::<Vec<_>>()).unwrap(),
        2 => Tensor::from_vec(dims, (0..n).map(|_| g.pick(&ints) as i32).collect::<Vec<_>>()).unwrap(),
        3 => Tensor::from_bools(dims, (0..n).map(|i| i % 2 == 0).collect()).unwrap(),
        _ => Tensor::from_strings(dims, (0..n).map(|i| bytes::Bytes::from(format!("s{i}"))).collect()).unwrap(),
    }
}

/// Every kernel here answers arbitrary inputs (any dtype, shape or axis) with outputs or errors.
#[test]
fn hostile_inputs_never_panic() {
    let ops: &[(&str, usize)] = &[
        ("AddV2", 2),
        ("FloorDiv", 2),
        ("FloorMod", 2),
        ("TruncateDiv", 2),
        ("Pow", 2),
        ("Equal", 2),
        ("Less", 2),
        ("Maximum", 2),
        ("LogicalAnd", 2),
        ("TanhGrad", 2),
        ("Neg", 1),
        ("Exp", 1),
        ("LogicalNot", 1),
        ("Select", 3),
        ("SelectV2", 3),
        ("Cast", 1),
        ("Sum", 2),
        ("Mean", 2),
        ("Max", 2),
        ("All", 2),
        ("ArgMax", 2),
        ("ArgMin", 2),
    ];
    let types = [DType::Float, DType::Int64, DType::Int32, DType::Bool, DType::String];
    let mut g = Lcg(11);
    for &(op, n_in) in ops {
        for trial in 0..300 {
            let inputs: Vec<Tensor> = (0..n_in).map(|_| hostile_tensor(&mut g)).collect();
            let nd = node(op)
                .attr_type("T", g.pick(&types))
                .attr_type("SrcT", g.pick(&types))
                .attr_type("DstT", g.pick(&types))
                .attr_type("Tidx", g.pick(&[DType::Int32, DType::Int64]))
                .attr_bool("keep_dims", g.next() % 2 == 0);
            let shown = format!("{op} trial {trial}: {inputs:?}");
            let result = std::panic::catch_unwind(|| run(nd, inputs));
            assert!(result.is_ok(), "panicked: {shown}");
        }
    }
}
