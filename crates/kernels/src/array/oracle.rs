//! Test-only runner for oracle cases computed by stock TensorFlow (`testdata/array.json`,
//! `testdata/matmul_nn.json`, written by `tools/oracle/*_cases.py`; the schema is documented in
//! `tools/oracle/array_cases.py`). Each case builds one node from its attributes, runs its kernel
//! on the given inputs and compares the outputs, or the error code and TF's message. Test-only,
//! no shared state: each call reads the file afresh, so tests using it may run in parallel.

use crate::testutil::{NodeBuilder, assert_tensor_close, node, run, tensor_from_json};
use ferroflow_framework::Tensor;
use ferroflow_proto::{AttrValue, TensorShapeProto, attr_value};
use serde_json::Value;

pub(crate) fn load(file: &str) -> Value {
    let path = format!("{}/testdata/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {path}: {e}"))
}

pub(crate) fn with_attr(n: NodeBuilder, name: &str, v: &Value) -> NodeBuilder {
    let (kind, val) = v.as_object().and_then(|o| o.iter().next()).expect("attr is a one-key object");
    match kind.as_str() {
        "type" => n.attr_type(name, crate::testutil::dtype_by_name(val.as_str().unwrap())),
        "b" => n.attr_bool(name, val.as_bool().unwrap()),
        "i" => n.attr_int(name, val.as_i64().unwrap()),
        "f" => n.attr_float(name, val.as_f64().unwrap() as f32),
        "s" => n.attr_str(name, val.as_str().unwrap()),
        "tensor" => n.attr_tensor(name, &tensor_from_json(val)),
        "list_i" => {
            n.attr_list_int(name, &val.as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).collect::<Vec<_>>())
        }
        "list_s" => {
            n.attr_list_str(name, &val.as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect::<Vec<_>>())
        }
        "list_type" => {
            let types =
                val.as_array().unwrap().iter().map(|x| crate::testutil::dtype_by_name(x.as_str().unwrap()).to_proto());
            let list = attr_value::ListValue { r#type: types.collect(), ..Default::default() };
            n.attr_value(name, AttrValue { value: Some(attr_value::Value::List(list)) })
        }
        "shape" if val.is_null() => {
            let unknown = TensorShapeProto { dim: vec![], unknown_rank: true };
            n.attr_value(name, AttrValue { value: Some(attr_value::Value::Shape(unknown)) })
        }
        "list_shape" => {
            let shapes = val.as_array().unwrap().iter().map(|s| match s.as_array() {
                None => TensorShapeProto { dim: vec![], unknown_rank: true },
                Some(dims) => TensorShapeProto {
                    dim: dims.iter().map(|d| ferroflow_proto::tensor_shape_proto::Dim { size: d.as_i64().unwrap(), name: String::new() }).collect(),
                    unknown_rank: false,
                },
            });
            let list = attr_value::ListValue { shape: shapes.collect(), ..Default::default() };
            n.attr_value(name, AttrValue { value: Some(attr_value::Value::List(list)) })
        }
        "shape" => n.attr_shape(name, &val.as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).collect::<Vec<_>>()),
        other => panic!("unknown attr kind {other}"),
    }
}

/// Runs every case of `file` whose op is in `ops`, comparing floats within `rtol`; panics listing
/// every failing case. Returns the number of cases run.
pub(crate) fn run_cases(file: &str, ops: &[&str], rtol: f64) -> usize {
    run_cases_compared(file, ops, &|got, want, what| {
        std::panic::catch_unwind(|| assert_tensor_close(got, want, rtol, what))
            .map_err(|p| p.downcast_ref::<String>().cloned().unwrap_or_else(|| format!("{what}: mismatch")))
    })
}

/// How an output is compared with TF's: `Err` says how they differ.
pub(crate) type Compare<'a> = &'a (dyn Fn(&Tensor, &Tensor, &str) -> Result<(), String> + std::panic::RefUnwindSafe);

/// [`run_cases`] with outputs compared by `compare` (for outputs equal in meaning but not in
/// bytes, as PNG streams from two encoders).
pub(crate) fn run_cases_compared(file: &str, ops: &[&str], compare: Compare<'_>) -> usize {
    let doc = load(file);
    let mut failures = Vec::new();
    let mut count = 0;
    for case in doc["cases"].as_array().expect("cases") {
        let op = case["op"].as_str().unwrap();
        if !ops.contains(&op) {
            continue;
        }
        count += 1;
        let name = case["name"].as_str().unwrap();
        let mut n = node(op).name(case["node_name"].as_str().unwrap_or("op"));
        for name in case.get("input_names").and_then(|v| v.as_array()).into_iter().flatten() {
            n = n.input(name.as_str().unwrap());
        }
        for (k, v) in case["attrs"].as_object().unwrap() {
            n = with_attr(n, k, v);
        }
        let inputs = case["inputs"].as_array().unwrap().iter().map(tensor_from_json).collect();
        let result = std::panic::catch_unwind(|| run(n, inputs));
        let outcome = match result {
            Err(_) => Err(format!("{name}: kernel panicked")),
            Ok(got) => check(name, case, got, compare),
        };
        if let Err(msg) = outcome {
            failures.push(msg);
        }
    }
    assert!(count > 0, "no cases for {ops:?} in {file}");
    assert!(failures.is_empty(), "{} of {count} cases failed:\n{}", failures.len(), failures.join("\n"));
    count
}

fn check(
    name: &str,
    case: &Value,
    got: ferroflow_framework::Result<Vec<Tensor>>,
    compare: Compare<'_>,
) -> Result<(), String> {
    if let Some(err) = case.get("error") {
        let code = err["code"].as_str().unwrap();
        let msg = err["message"].as_str().unwrap();
        return match got {
            Ok(out) => Err(format!("{name}: expected {code} \"{msg}\", got {} outputs {out:?}", out.len())),
            Err(e) if e.code.name() != code || !e.message.contains(msg) => {
                Err(format!("{name}: expected {code} \"{msg}\", got {e}"))
            }
            Err(_) => Ok(()),
        };
    }
    let want: Vec<_> = case["outputs"].as_array().unwrap().iter().map(tensor_from_json).collect();
    let got = got.map_err(|e| format!("{name}: unexpected error {e}"))?;
    if got.len() != want.len() {
        return Err(format!("{name}: {} outputs, want {}", got.len(), want.len()));
    }
    // Outputs TF allocates without writing (an inference batch norm's reserve spaces): their
    // dtype and shape are TF's, their values are whatever was in memory.
    let unwritten: Vec<u64> = case
        .get("unwritten_outputs")
        .and_then(|v| v.as_array())
        .map(|v| v.iter().filter_map(|i| i.as_u64()).collect())
        .unwrap_or_default();
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        if unwritten.contains(&(i as u64)) {
            if (g.dtype(), g.shape()) != (w.dtype(), w.shape()) {
                return Err(format!("{name} output {i}: {} {}, want {} {}", g.dtype(), g.shape(), w.dtype(), w.shape()));
            }
            continue;
        }
        compare(g, w, &format!("{name} output {i}"))?;
    }
    Ok(())
}

#[test]
fn every_oracle_op_is_registered() {
    let reg = crate::registry();
    for file in ["array.json", "array2.json", "matmul_nn.json"] {
        for case in load(file)["cases"].as_array().unwrap() {
            let op = case["op"].as_str().unwrap();
            assert!(reg.contains(op), "{file}: op {op} has no kernel");
        }
    }
}
