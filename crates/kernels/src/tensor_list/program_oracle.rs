//! Test-only runner for the program cases of `testdata/lists.json` (written by
//! `tools/oracle/list_cases.py`, schema documented there): each case is a few nodes that pass
//! lists, optionals and handles between them, run once by stock TF. Here the nodes run in file
//! order in one step (so per-step resources are shared as in TF), and the fetched outputs, or the
//! failing node's error code and message, are compared with TF's.
//!
//! Cases that use an op ferroflow does not define are reported by name, never silently dropped:
//! `undefined_ops` lists them, and the runner fails if such a case is asked for.

use crate::array::oracle::{load, with_attr};
use crate::testutil::{NodeBuilder, assert_tensor_close, step_with, tensor_from_json};
use ferroflow_framework::{AsyncKernelContext, Error, KernelKind, OpKernelContext, ResourceMgr, Tensor};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// Runs one case's nodes; the fetched tensors, or the first error with the failing node's name.
fn run_program(case: &Value) -> std::result::Result<Vec<Tensor>, (String, Error)> {
    let reg = crate::registry();
    let feeds: Vec<Tensor> = case["feeds"].as_array().unwrap().iter().map(tensor_from_json).collect();
    let step = step_with(Arc::new(ResourceMgr::new()));
    let mut outputs: HashMap<String, Vec<Tensor>> = HashMap::new();
    let resolve = |outputs: &HashMap<String, Vec<Tensor>>, r: &str| -> Tensor {
        let (node, slot) = r.rsplit_once(':').expect("REF is NODE:K");
        let slot: usize = slot.parse().unwrap();
        if node == "feed" { feeds[slot].clone() } else { outputs[node][slot].clone() }
    };
    for n in case["nodes"].as_array().unwrap() {
        let name = n["name"].as_str().unwrap();
        let mut b = NodeBuilder::new(name, n["op"].as_str().unwrap());
        for (k, v) in n["attrs"].as_object().unwrap() {
            b = with_attr(b, k, v);
        }
        let mut inputs = Vec::new();
        for r in n["inputs"].as_array().unwrap() {
            let r = r.as_str().unwrap();
            if !r.starts_with('^') {
                inputs.push(resolve(&outputs, r));
            }
        }
        let fail = |e: Error| (name.to_string(), e);
        let kernel = reg.build(&b.0, inputs.len()).map_err(fail)?;
        let out = match kernel.kind {
            KernelKind::Sync(k) => {
                let mut ctx = OpKernelContext::new(&step, name, &inputs, kernel.num_outputs, &[]);
                k.compute(&mut ctx).map_err(fail)?;
                ctx.take_outputs().map_err(fail)?
            }
            KernelKind::Forward(rule) => rule.forward_values(name, inputs).map_err(fail)?,
            KernelKind::Async(k) => {
                let ctx = AsyncKernelContext {
                    step: step.clone(),
                    node_name: name.into(),
                    inputs,
                    is_input_dead: false,
                    frame_iter: Default::default(),
                };
                futures::executor::block_on(k.compute_async(ctx)).map_err(fail)?.outputs
            }
        };
        outputs.insert(name.to_string(), out);
    }
    Ok(case["fetch"].as_array().unwrap().iter().map(|r| resolve(&outputs, r.as_str().unwrap())).collect())
}

fn check(case: &Value, rtol: f64) -> std::result::Result<(), String> {
    let name = case["name"].as_str().unwrap();
    let got = std::panic::catch_unwind(|| run_program(case)).map_err(|_| format!("{name}: a kernel panicked"))?;
    if let Some(err) = case.get("error") {
        let (code, msg, node) = (err["code"].as_str().unwrap(), err["message"].as_str().unwrap(), err["node"].as_str().unwrap());
        return match got {
            Ok(out) => Err(format!("{name}: expected {code} \"{msg}\" at {node}, got {} outputs", out.len())),
            Err((at, e)) if e.code.name() != code || !unique_names_as_tf_writes(case, &e.message).contains(msg) || !same_node(case, &at, node) => {
                Err(format!("{name}: expected {code} \"{msg}\" at {node}, got {e} at {at}"))
            }
            Err(_) => Ok(()),
        };
    }
    let got = got.map_err(|(at, e)| format!("{name}: unexpected error at {at}: {e}"))?;
    let want: Vec<Tensor> = case["outputs"].as_array().unwrap().iter().map(tensor_from_json).collect();
    if got.len() != want.len() {
        return Err(format!("{name}: {} outputs, want {}", got.len(), want.len()));
    }
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        let what = format!("{name} output {i}");
        std::panic::catch_unwind(|| assert_tensor_close(g, w, rtol, &what))
            .map_err(|p| p.downcast_ref::<String>().cloned().unwrap_or_else(|| format!("{what}: mismatch")))?;
    }
    Ok(())
}

/// The message with the names TF makes unique with a process-wide counter (TensorArrays and
/// stacks: the node's name, `_`, a number) written as the generator writes them, `NAME_#`.
fn unique_names_as_tf_writes(case: &Value, message: &str) -> String {
    let mut out = message.to_string();
    for n in case["nodes"].as_array().unwrap() {
        if !matches!(n["op"].as_str(), Some("TensorArrayV3" | "StackV2")) {
            continue;
        }
        let prefix = format!("{}_", n["name"].as_str().unwrap());
        let mut rest = out.as_str();
        let mut done = String::new();
        while let Some(at) = rest.find(&prefix) {
            let after = &rest[at + prefix.len()..];
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            done.push_str(&rest[..at + prefix.len()]);
            if digits > 0 {
                done.push('#');
            }
            rest = &after[digits..];
        }
        done.push_str(rest);
        out = done;
    }
    out
}

/// Whether ferroflow's failing node `at` is TF's `node`, or a twin of it: same op, attributes and
/// inputs (two such nodes are unordered, so TF may run either first and see the other fail).
fn same_node(case: &Value, at: &str, node: &str) -> bool {
    let find = |name: &str| case["nodes"].as_array().unwrap().iter().find(|n| n["name"] == name);
    at == node
        || match (find(at), find(node)) {
            (Some(a), Some(b)) => a["op"] == b["op"] && a["attrs"] == b["attrs"] && inputs_of(case, a) == inputs_of(case, b),
            _ => false,
        }
}

/// A node's inputs, feeds written as their values.
fn inputs_of<'c>(case: &'c Value, n: &'c Value) -> Vec<&'c Value> {
    let refs = n["inputs"].as_array().unwrap().iter();
    refs.map(|r| match r.as_str().and_then(|r| r.strip_prefix("feed:")) {
        Some(k) => &case["feeds"][k.parse::<usize>().unwrap()],
        None => r,
    })
    .collect()
}

fn ops_of(case: &Value) -> impl Iterator<Item = &str> {
    case["nodes"].as_array().unwrap().iter().map(|n| n["op"].as_str().unwrap())
}

/// The ops the cases use that ferroflow does not define.
fn undefined_ops(doc: &Value) -> Vec<String> {
    let reg = crate::registry();
    let mut ops: Vec<String> = doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(ops_of)
        .filter(|op| !reg.contains(op))
        .map(str::to_string)
        .collect();
    ops.sort();
    ops.dedup();
    ops
}

/// Runs every case whose ops all come from `families` (op-name prefixes, plus the generic ops the
/// cases combine them with); panics listing every failing case. Returns the number run.
fn run_cases_of(families: &[&str], rtol: f64) -> usize {
    let doc = load("lists.json");
    let generic = ["AddN", "ZerosLike", "Pack"];
    let mut failures = Vec::new();
    let mut count = 0;
    for case in doc["cases"].as_array().unwrap() {
        let belongs = ops_of(case).all(|op| generic.contains(&op) || families.iter().any(|f| op.starts_with(f)));
        if !belongs {
            continue;
        }
        count += 1;
        if let Err(msg) = check(case, rtol) {
            failures.push(msg);
        }
    }
    assert!(count > 0, "no cases for {families:?}");
    assert!(failures.is_empty(), "{} of {count} cases failed:\n{}", failures.len(), failures.join("\n"));
    count
}

#[test]
fn tensor_list_programs_match_tf() {
    run_cases_of(&["TensorList"], 1e-6);
}

#[test]
fn stack_programs_match_tf() {
    run_cases_of(&["Stack"], 1e-6);
}

#[test]
fn tensor_array_programs_match_tf() {
    run_cases_of(&["TensorArray"], 1e-6);
}

#[test]
fn optional_programs_match_tf() {
    run_cases_of(&["Optional"], 1e-6);
}

/// Every op the TF cases use is defined: no case waits for a missing op.
#[test]
fn every_op_the_cases_use_is_defined() {
    let waiting = undefined_ops(&load("lists.json"));
    let unexpected = &waiting;
    assert!(unexpected.is_empty(), "ops the cases use that are not defined: {unexpected:?}");
}
