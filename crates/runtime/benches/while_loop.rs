//! The executor's per-node cost on a while loop: `while (i < 1000) { i += 1; s += 1.0 }` lowered as
//! TF lowers it (Enter, Merge, Less, LoopCond, Switch, Identity, AddV2, NextIteration, Exit), run
//! step after step on one device; prints the median step time and the time per iteration.
//!
//! usage: cargo bench -p ferroflow-runtime --bench while_loop [-- STEPS]

use ferroflow_framework::node_def::NodeDefBuilder;
use ferroflow_framework::{CallFrame, DType, OpRegistry, ResourceMgr, StepContext, Tensor};
use ferroflow_proto::{GraphDef, NodeDef};
use ferroflow_runtime::{ComputePool, DeviceMgr, Executor, ExecutorEnv, Graph, LocalDevice, LocalRendezvous, RunOptions};
use std::sync::Arc;
use std::time::Instant;

/// The allocator the `ferroflow` binary runs with.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const DEVICE: &str = "/job:w/replica:0/task:0/device:CPU:0";
const ITERATIONS: i32 = 1000;

fn n(name: &str, op: &str) -> NodeDefBuilder {
    NodeDefBuilder::new(name, op).device(DEVICE)
}

fn constant(name: &str, value: Tensor, dtype: DType, control: Option<&str>) -> NodeDef {
    let b = n(name, "Const").attr_type("dtype", dtype).attr_tensor("value", &value);
    match control {
        Some(c) => b.input(&format!("^{c}")).build(),
        None => b.build(),
    }
}

fn enter(name: &str, x: &str, dtype: DType, constant: bool) -> NodeDef {
    n(name, "Enter")
        .input(x)
        .attr_type("T", dtype)
        .attr_str("frame_name", "loop")
        .attr_bool("is_constant", constant)
        .attr_int("parallel_iterations", 10)
        .build()
}

fn typed(name: &str, op: &str, inputs: &[&str], dtype: DType) -> NodeDef {
    let mut b = n(name, op).attr_type("T", dtype);
    for i in inputs {
        b = b.input(i);
    }
    b.build()
}

/// The loop as `tf.while_loop` builds it: two loop variables, the body's constants under the pivot.
fn loop_graph() -> Vec<NodeDef> {
    let (i32t, f32t) = (DType::Int32, DType::Float);
    vec![
        constant("i0", Tensor::scalar(0i32), i32t, None),
        constant("s0", Tensor::scalar(0f32), f32t, None),
        enter("enter_i", "i0", i32t, false),
        enter("enter_s", "s0", f32t, false),
        n("merge_i", "Merge").input("enter_i").input("next_i").attr_type("T", i32t).attr_int("N", 2).build(),
        n("merge_s", "Merge").input("enter_s").input("next_s").attr_type("T", f32t).attr_int("N", 2).build(),
        constant("limit", Tensor::scalar(ITERATIONS), i32t, Some("merge_i")),
        typed("less", "Less", &["merge_i", "limit"], i32t),
        n("cond", "LoopCond").input("less").build(),
        typed("switch_i", "Switch", &["merge_i", "cond"], i32t),
        typed("switch_s", "Switch", &["merge_s", "cond"], f32t),
        typed("body_i", "Identity", &["switch_i:1"], i32t),
        typed("body_s", "Identity", &["switch_s:1"], f32t),
        constant("one_i", Tensor::scalar(1i32), i32t, Some("body_i")),
        constant("one_s", Tensor::scalar(1f32), f32t, Some("body_i")),
        typed("add_i", "AddV2", &["body_i", "one_i"], i32t),
        typed("add_s", "AddV2", &["body_s", "one_s"], f32t),
        typed("next_i", "NextIteration", &["add_i"], i32t),
        typed("next_s", "NextIteration", &["add_s"], f32t),
        typed("exit_i", "Exit", &["switch_i"], i32t),
        typed("exit_s", "Exit", &["switch_s"], f32t),
        n("out", "_Retval").input("exit_s").attr_type("T", f32t).attr_int("index", 0).build(),
    ]
}

fn main() {
    let steps: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(2000);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let env = ExecutorEnv { compute: ComputePool::new(2), io: runtime.handle().clone() };
    let devices = DeviceMgr::new(vec![LocalDevice::cpu("/job:w/replica:0/task:0", 0).unwrap()]);
    let mut registry = OpRegistry::new();
    ferroflow_kernels::register_all(&mut registry);
    let def = GraphDef { node: loop_graph(), ..Default::default() };
    let graph = Arc::new(Graph::build(&def, &registry, &devices).expect("the loop builds"));
    let exec = Executor::new(graph, env);
    let resources = Arc::new(ResourceMgr::new());
    let mut times = Vec::with_capacity(steps);
    for step in 0..steps + 20 {
        let frame = Arc::new(CallFrame::new(Vec::new(), 1));
        let ctx = Arc::new(StepContext::new(step as i64, DEVICE, 7, Arc::new(LocalRendezvous::new()), resources.clone()).with_call_frame(frame.clone()));
        let start = Instant::now();
        runtime.block_on(exec.run(ctx, RunOptions::default())).expect("the loop runs");
        if step >= 20 {
            times.push(start.elapsed());
        }
        let out = frame.retvals.lock()[0].as_ref().map(|t| t.scalar_value::<f32>().unwrap());
        assert_eq!(out, Some(ITERATIONS as f32));
    }
    times.sort();
    let median = times[times.len() / 2];
    println!("median step {:.3} ms, {:.1} ns per iteration", median.as_secs_f64() * 1e3, median.as_secs_f64() * 1e9 / ITERATIONS as f64);
}
