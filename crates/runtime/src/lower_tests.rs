//! Graphs with functional ops built by stock TF (`testdata/functional.json`, written by
//! `tools/oracle/functional_graphs.py`): lowered, built and run, each fetch must equal TF's value.

use super::*;
use crate::device::{DeviceMgr, LocalDevice};
use crate::executor::{Executor, ExecutorEnv, RunOptions};
use crate::graph::Graph;
use crate::{ComputePool, LocalRendezvous};
use ferroflow_framework::{CallFrame, ResourceMgr, StepContext, Tensor};
use prost::Message;
use serde_json::Value as Json;
use std::sync::Arc;

const TASK: &str = "/job:w/replica:0/task:0";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect()
}

/// The graph with a `_Retval` per fetch, every node on the test device.
fn prepared(case: &Json) -> (GraphDef, usize) {
    let mut g = GraphDef::decode(hex(case["graph"].as_str().unwrap()).as_slice()).unwrap();
    let registry = ferroflow_kernels::registry();
    let fetches: Vec<&str> = case["fetches"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    for (k, f) in fetches.iter().enumerate() {
        let (node, slot) = f.rsplit_once(':').unwrap();
        let src = g.node.iter().find(|n| n.name == node).unwrap().clone();
        let dtype = registry.output_types(&src).unwrap()[slot.parse::<usize>().unwrap()];
        let input = if slot == "0" { node.to_string() } else { f.to_string() };
        let mut r = NodeDef { name: format!("fetch_{k}"), op: "_Retval".into(), input: vec![input], ..Default::default() };
        r.attr.insert("T".into(), ty(dtype.to_proto()));
        r.attr.insert("index".into(), int(k as i64));
        g.node.push(r);
    }
    for n in g.node.iter_mut() {
        n.device = format!("{TASK}/device:CPU:0");
    }
    (g, fetches.len())
}

fn run(mut g: GraphDef, num_results: usize) -> Result<Vec<Tensor>> {
    let registry = ferroflow_kernels::registry();
    lower_functional_ops(&mut g, &registry)?;
    assert!(!has_functional_ops(&g), "functional ops left after lowering");
    let devices = DeviceMgr::new(vec![LocalDevice::cpu(TASK, 0).unwrap()]);
    let graph = Arc::new(Graph::build(&g, &registry, &devices)?);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let env = ExecutorEnv { compute: ComputePool::new(2), io: runtime.handle().clone() };
    let frame = Arc::new(CallFrame::new(Vec::new(), num_results));
    let device = format!("{TASK}/device:CPU:0");
    let step = StepContext::new(1, &device, 1, Arc::new(LocalRendezvous::new()), Arc::new(ResourceMgr::new()));
    let step = Arc::new(step.with_call_frame(frame.clone()));
    runtime.block_on(Executor::new(graph, env).run(step, RunOptions::default()))?;
    let results = std::mem::take(&mut *frame.retvals.lock());
    results.into_iter().enumerate().map(|(k, r)| r.ok_or_else(|| Error::internal(format!("result {k} is dead")))).collect()
}

fn as_json(t: &Tensor) -> Json {
    let flat: Vec<Json> = match t.dtype() {
        DType::Float => t.values::<f32>().unwrap().iter().map(|&v| Json::from(v as f64)).collect(),
        DType::Int32 => t.values::<i32>().unwrap().iter().map(|&v| Json::from(v)).collect(),
        DType::Int64 => t.values::<i64>().unwrap().iter().map(|&v| Json::from(v)).collect(),
        other => panic!("no JSON for {other}"),
    };
    if t.rank() == 0 { flat[0].clone() } else { Json::from(flat) }
}

#[test]
fn tensorflow_functional_graphs_lower_and_give_tensorflows_values() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/functional.json")).unwrap();
    let doc: Json = serde_json::from_str(&text).unwrap();
    let mut failures = Vec::new();
    let cases = doc["cases"].as_array().unwrap();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let (g, n) = prepared(case);
        match run(g, n) {
            Ok(results) => {
                let got: Vec<Json> = results.iter().map(as_json).collect();
                let want = case["values"].as_array().unwrap();
                if &got != want {
                    failures.push(format!("{name}: got {got:?}, TF gave {want:?}"));
                }
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
    assert!(cases.len() >= 8);
}

#[test]
fn a_function_that_calls_itself_is_refused() {
    use ferroflow_proto::{FunctionDef, FunctionDefLibrary, OpDef};
    let f = FunctionDef {
        signature: Some(OpDef { name: "forever".into(), ..Default::default() }),
        node_def: vec![NodeDef { name: "again".into(), op: "forever".into(), ..Default::default() }],
        ..Default::default()
    };
    let mut g = GraphDef {
        node: vec![NodeDef { name: "call".into(), op: "forever".into(), ..Default::default() }],
        library: Some(FunctionDefLibrary { function: vec![f], ..Default::default() }),
        ..Default::default()
    };
    let e = lower_functional_ops(&mut g, &ferroflow_kernels::registry()).unwrap_err();
    assert!(e.message.contains("calls itself"), "{}", e.message);
}
