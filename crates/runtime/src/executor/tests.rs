//! The executor's own tests: plain dataflow, deadness through `Switch`/`Merge`, while loops (nested,
//! bounded by `parallel_iterations`, inside conditionals and with conditionals inside), rendezvous
//! keys per frame and iteration, aborts that reach every frame, and where kernels run.

use super::*;
use crate::device::{DeviceMgr, LocalDevice};
use ferroflow_framework::node_def::NodeDefBuilder;
use ferroflow_framework::{CallFrame, Code, DType, Kernel, OpKernel, OpRegistry, ParsedKey, Rendezvous, ResourceMgr};
use ferroflow_proto::{GraphDef, NodeDef};
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

const DEVICE: &str = "/job:w/replica:0/task:0/device:CPU:0";

/// Records the name of the thread it runs on; fails when its input is negative.
struct Probe;
static LAST_THREAD: Mutex<String> = Mutex::new(String::new());
static PROBE_RUNS: AtomicUsize = AtomicUsize::new(0);

impl OpKernel for Probe {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        PROBE_RUNS.fetch_add(1, Ordering::SeqCst);
        *LAST_THREAD.lock() = std::thread::current().name().unwrap_or("").to_string();
        let x = ctx.input(0);
        if x.dtype() == DType::Int32 && x.values::<i32>()?.iter().any(|&v| v < 0) {
            return Err(Error::invalid_argument("probe saw a negative value"));
        }
        ctx.set_output(0, x.clone());
        Ok(())
    }
}

fn registry() -> OpRegistry {
    let mut reg = OpRegistry::new();
    ferroflow_kernels::register_all(&mut reg);
    reg.op("Probe")
        .input("x: T")
        .output("y: T")
        .attr("T: type")
        .cost(ferroflow_framework::Cost::Elementwise)
        .kernel(|_| Ok(Kernel::sync(Probe, 1)));
    reg
}

struct Harness {
    runtime: tokio::runtime::Runtime,
    env: ExecutorEnv,
    devices: DeviceMgr,
    registry: OpRegistry,
}

impl Harness {
    fn new() -> Harness {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let env = ExecutorEnv { compute: ComputePool::new(2), io: runtime.handle().clone() };
        let devices = DeviceMgr::new(vec![LocalDevice::cpu("/job:w/replica:0/task:0", 0).unwrap()]);
        Harness { runtime, env, devices, registry: registry() }
    }

    fn build(&self, nodes: Vec<NodeDef>) -> Result<Arc<Graph>> {
        let def = GraphDef { node: nodes, ..Default::default() };
        Graph::build(&def, &self.registry, &self.devices).map(Arc::new)
    }

    /// Runs a graph whose results are `_Retval`s; unset (dead) results are `None`.
    fn run_with(&self, nodes: Vec<NodeDef>, rendezvous: Arc<crate::LocalRendezvous>) -> Result<Vec<Option<Tensor>>> {
        let num_retvals = nodes.iter().filter(|n| n.op == "_Retval").count();
        let graph = self.build(nodes)?;
        let frame = Arc::new(CallFrame::new(Vec::new(), num_retvals));
        let step = Arc::new(StepContext::new(1, DEVICE, 7, rendezvous, Arc::new(ResourceMgr::new())).with_call_frame(frame.clone()));
        let exec = Executor::new(graph, self.env.clone());
        let run = exec.run(step, RunOptions::default());
        self.runtime.block_on(async { tokio::time::timeout(Duration::from_secs(10), run).await })
            .map_err(|_| Error::deadline_exceeded("step hung"))??;
        Ok(std::mem::take(&mut *frame.retvals.lock()))
    }

    fn run(&self, nodes: Vec<NodeDef>) -> Result<Vec<Option<Tensor>>> {
        self.run_with(nodes, Arc::new(crate::LocalRendezvous::new()))
    }

    /// Runs a graph with the given resources (variables that outlive the step).
    fn run_in(&self, nodes: Vec<NodeDef>, resources: &Arc<ResourceMgr>) -> Result<Vec<Option<Tensor>>> {
        let num_retvals = nodes.iter().filter(|n| n.op == "_Retval").count();
        let graph = self.build(nodes)?;
        let frame = Arc::new(CallFrame::new(Vec::new(), num_retvals));
        let step = Arc::new(
            StepContext::new(1, DEVICE, 7, Arc::new(crate::LocalRendezvous::new()), resources.clone())
                .with_call_frame(frame.clone()),
        );
        let exec = Executor::new(graph, self.env.clone());
        let run = exec.run(step, RunOptions::default());
        self.runtime.block_on(async { tokio::time::timeout(Duration::from_secs(10), run).await })
            .map_err(|_| Error::deadline_exceeded("step hung"))??;
        Ok(std::mem::take(&mut *frame.retvals.lock()))
    }
}

fn n(name: &str, op: &str) -> NodeDefBuilder {
    NodeDefBuilder::new(name, op).device(DEVICE)
}

fn int(name: &str, v: i32) -> NodeDef {
    n(name, "Const").attr_type("dtype", DType::Int32).attr_tensor("value", &Tensor::scalar(v)).build()
}

fn boolean(name: &str, v: bool) -> NodeDef {
    n(name, "Const").attr_type("dtype", DType::Bool).attr_tensor("value", &Tensor::from_bools(vec![], vec![v]).unwrap()).build()
}

fn op1(name: &str, op: &str, x: &str) -> NodeDef {
    n(name, op).input(x).attr_type("T", DType::Int32).build()
}

fn op2(name: &str, op: &str, x: &str, y: &str) -> NodeDef {
    n(name, op).input(x).input(y).attr_type("T", DType::Int32).build()
}

fn retval(name: &str, x: &str, index: i64) -> NodeDef {
    n(name, "_Retval").input(x).attr_type("T", DType::Int32).attr_int("index", index).build()
}

fn merge(name: &str, a: &str, b: &str) -> NodeDef {
    n(name, "Merge").input(a).input(b).attr_type("T", DType::Int32).attr_int("N", 2).build()
}

fn enter(name: &str, x: &str, frame: &str, constant: bool, parallel: i64) -> NodeDef {
    n(name, "Enter")
        .input(x)
        .attr_type("T", DType::Int32)
        .attr_str("frame_name", frame)
        .attr_bool("is_constant", constant)
        .attr_int("parallel_iterations", parallel)
        .build()
}

/// An int32 reference variable (`VariableV2`) of shape [].
fn variable(name: &str) -> NodeDef {
    n(name, "VariableV2").attr_type("dtype", DType::Int32).attr_shape("shape", &[]).build()
}

fn scalar(t: &Option<Tensor>) -> Option<i32> {
    t.as_ref().map(|t| t.scalar_value::<i32>().unwrap())
}

/// `while (i < limit) i += step`, TF1 style, with `prefix` on every node name; returns the nodes and
/// the name of the exit.
fn counting_loop(prefix: &str, start: &str, limit: &str, step: &str, frame: &str, parallel: i64) -> (Vec<NodeDef>, String) {
    let p = |s: &str| format!("{prefix}{s}");
    let nodes = vec![
        enter(&p("enter"), start, frame, false, parallel),
        enter(&p("limit"), limit, frame, true, parallel),
        enter(&p("step"), step, frame, true, parallel),
        merge(&p("merge"), &p("enter"), &p("next")),
        n(&p("less"), "Less").input(&p("merge")).input(&p("limit")).attr_type("T", DType::Int32).build(),
        n(&p("cond"), "LoopCond").input(&p("less")).build(),
        n(&p("switch"), "Switch").input(&p("merge")).input(&p("cond")).attr_type("T", DType::Int32).build(),
        op1(&p("body"), "Identity", &format!("{}:1", p("switch"))),
        op2(&p("add"), "AddV2", &p("body"), &p("step")),
        op1(&p("next"), "NextIteration", &p("add")),
        op1(&p("exit"), "Exit", &p("switch")),
    ];
    (nodes, p("exit"))
}

#[test]
fn plain_dataflow_runs_to_the_end() {
    let h = Harness::new();
    let out = h.run(vec![int("a", 3), int("b", 4), op2("sum", "AddV2", "a", "b"), op1("neg", "Neg", "sum"), retval("r", "neg", 0)]).unwrap();
    assert_eq!(scalar(&out[0]), Some(-7));
}

#[test]
fn switch_kills_one_branch_and_merge_takes_the_live_one() {
    for (pred, want) in [(true, 10), (false, -5)] {
        let h = Harness::new();
        let out = h
            .run(vec![
                int("x", 5),
                boolean("p", pred),
                n("sw", "Switch").input("x").input("p").attr_type("T", DType::Int32).build(),
                op2("double", "AddV2", "sw:1", "sw:1"),
                op1("negate", "Neg", "sw:0"),
                merge("m", "negate", "double"),
                retval("r", "m", 0),
                // Each branch's own result: dead on the untaken branch, so its _Retval never runs.
                retval("r_true", "double", 1),
                retval("r_false", "negate", 2),
                n("index", "_Retval").input("m:1").attr_type("T", DType::Int32).attr_int("index", 3).build(),
            ])
            .unwrap();
        assert_eq!(scalar(&out[0]), Some(want));
        assert_eq!(out[1].is_some(), pred);
        assert_eq!(out[2].is_some(), !pred);
        assert_eq!(scalar(&out[3]), Some(if pred { 1 } else { 0 }));
    }
}

#[test]
fn deadness_flows_through_control_edges_and_control_trigger_stops_it() {
    let h = Harness::new();
    let out = h
        .run(vec![
            int("x", 1),
            boolean("p", false),
            n("sw", "Switch").input("x").input("p").attr_type("T", DType::Int32).build(),
            op1("dead", "Identity", "sw:1"),
            // A node with a dead control input is dead too...
            n("after", "Identity").input("x").input("^dead").attr_type("T", DType::Int32).build(),
            retval("r_after", "after", 0),
            // ...but a ControlTrigger is live whatever its inputs.
            n("trigger", "ControlTrigger").input("^dead").build(),
            n("after_trigger", "Identity").input("x").input("^trigger").attr_type("T", DType::Int32).build(),
            retval("r_trigger", "after_trigger", 1),
        ])
        .unwrap();
    assert!(out[0].is_none());
    assert_eq!(scalar(&out[1]), Some(1));
}

#[test]
fn a_while_loop_counts_to_its_limit() {
    for parallel in [1, 2, 10] {
        let h = Harness::new();
        let (mut nodes, exit) = counting_loop("w/", "zero", "ten", "one", "w/frame", parallel);
        nodes.extend([int("zero", 0), int("ten", 10), int("one", 1), retval("r", &exit, 0)]);
        assert_eq!(scalar(&h.run(nodes).unwrap()[0]), Some(10), "parallel_iterations {parallel}");
    }
}

#[test]
fn a_loop_that_never_iterates_exits_with_its_input() {
    let h = Harness::new();
    let (mut nodes, exit) = counting_loop("w/", "start", "ten", "one", "w/frame", 10);
    nodes.extend([int("start", 42), int("ten", 10), int("one", 1), retval("r", &exit, 0)]);
    assert_eq!(scalar(&h.run(nodes).unwrap()[0]), Some(42));
}

#[test]
fn nested_loops_run_the_inner_loop_once_per_outer_iteration() {
    // outer: for i in 0..3 { total = inner(total) } where inner adds 1 four times: 12.
    let h = Harness::new();
    let mut nodes = vec![int("zero", 0), int("three", 3), int("four", 4), int("one", 1)];
    // Outer loop state: (i, total), two merges.
    nodes.extend([
        enter("o/enter_i", "zero", "outer", false, 10),
        enter("o/enter_t", "zero", "outer", false, 10),
        enter("o/limit", "three", "outer", true, 10),
        enter("o/one", "one", "outer", true, 10),
        enter("o/four", "four", "outer", true, 10),
        merge("o/mi", "o/enter_i", "o/next_i"),
        merge("o/mt", "o/enter_t", "o/next_t"),
        n("o/less", "Less").input("o/mi").input("o/limit").attr_type("T", DType::Int32).build(),
        n("o/cond", "LoopCond").input("o/less").build(),
        n("o/sw_i", "Switch").input("o/mi").input("o/cond").attr_type("T", DType::Int32).build(),
        n("o/sw_t", "Switch").input("o/mt").input("o/cond").attr_type("T", DType::Int32).build(),
        op2("o/inc", "AddV2", "o/sw_i:1", "o/one"),
        op1("o/next_i", "NextIteration", "o/inc"),
        op1("o/next_t", "NextIteration", "i/exit"),
        op1("o/exit_t", "Exit", "o/sw_t"),
        retval("r", "o/exit_t", 0),
    ]);
    // Inner loop: counts `total` up by one, four times (its own counter from 0 to 4).
    nodes.extend([
        enter("i/enter_j", "o/zero_in", "inner", false, 10),
        enter("i/enter_t", "o/sw_t:1", "inner", false, 10),
        enter("i/limit", "o/four", "inner", true, 10),
        enter("i/one", "o/one", "inner", true, 10),
        // A zero made in the outer frame (from its loop-invariant one) for the inner counter.
        op2("o/zero_in", "Sub", "o/one", "o/one"),
        merge("i/mj", "i/enter_j", "i/next_j"),
        merge("i/mt", "i/enter_t", "i/next_t"),
        n("i/less", "Less").input("i/mj").input("i/limit").attr_type("T", DType::Int32).build(),
        n("i/cond", "LoopCond").input("i/less").build(),
        n("i/sw_j", "Switch").input("i/mj").input("i/cond").attr_type("T", DType::Int32).build(),
        n("i/sw_t", "Switch").input("i/mt").input("i/cond").attr_type("T", DType::Int32).build(),
        op2("i/inc_j", "AddV2", "i/sw_j:1", "i/one"),
        op2("i/inc_t", "AddV2", "i/sw_t:1", "i/one"),
        op1("i/next_j", "NextIteration", "i/inc_j"),
        op1("i/next_t", "NextIteration", "i/inc_t"),
        op1("i/exit", "Exit", "i/sw_t"),
        op1("i/exit_j", "Exit", "i/sw_j"),
    ]);
    assert_eq!(scalar(&h.run(nodes).unwrap()[0]), Some(12));
}

#[test]
fn a_loop_on_the_untaken_branch_of_a_conditional_is_dead_and_ends() {
    for pred in [true, false] {
        let h = Harness::new();
        let mut nodes = vec![
            int("x", 3),
            int("ten", 10),
            int("one", 1),
            boolean("p", pred),
            n("sw", "Switch").input("x").input("p").attr_type("T", DType::Int32).build(),
            // The true branch runs a loop from x to 10; the false branch negates x.
            op1("neg", "Neg", "sw:0"),
            op1("start", "Identity", "sw:1"),
            // The loop's constants hang off the branch, so they are dead with it.
            op1("ten_b", "Identity", "ten"),
        ];
        let (lp, exit) = counting_loop("w/", "start", "ten_b", "one", "w/frame", 10);
        nodes.extend(lp);
        nodes.extend([merge("m", "neg", &exit), retval("r", "m", 0)]);
        assert_eq!(scalar(&h.run(nodes).unwrap()[0]), Some(if pred { 10 } else { -3 }));
    }
}

#[test]
fn a_conditional_inside_a_loop_is_evaluated_every_iteration() {
    // for i in 0..6: acc += (i is even) ? 10 : 1   (i < 3 stands in for the parity test) -> 33
    let h = Harness::new();
    let mut nodes = vec![int("zero", 0), int("six", 6), int("one", 1), int("three", 3), int("ten", 10)];
    nodes.extend([
        enter("w/ei", "zero", "f", false, 10),
        enter("w/ea", "zero", "f", false, 10),
        enter("w/six", "six", "f", true, 10),
        enter("w/one", "one", "f", true, 10),
        enter("w/three", "three", "f", true, 10),
        enter("w/ten", "ten", "f", true, 10),
        merge("w/mi", "w/ei", "w/ni"),
        merge("w/ma", "w/ea", "w/na"),
        n("w/less", "Less").input("w/mi").input("w/six").attr_type("T", DType::Int32).build(),
        n("w/cond", "LoopCond").input("w/less").build(),
        n("w/si", "Switch").input("w/mi").input("w/cond").attr_type("T", DType::Int32).build(),
        n("w/sa", "Switch").input("w/ma").input("w/cond").attr_type("T", DType::Int32).build(),
        // The conditional: small = i < 3.
        n("w/small", "Less").input("w/si:1").input("w/three").attr_type("T", DType::Int32).build(),
        n("w/csw", "Switch").input("w/sa:1").input("w/small").attr_type("T", DType::Int32).build(),
        op2("w/plus_ten", "AddV2", "w/csw:1", "w/ten"),
        op2("w/plus_one", "AddV2", "w/csw:0", "w/one"),
        merge("w/cm", "w/plus_one", "w/plus_ten"),
        op2("w/inc", "AddV2", "w/si:1", "w/one"),
        op1("w/ni", "NextIteration", "w/inc"),
        op1("w/na", "NextIteration", "w/cm"),
        op1("w/exit", "Exit", "w/sa"),
        op1("w/exit_i", "Exit", "w/si"),
        retval("r", "w/exit", 0),
    ]);
    assert_eq!(scalar(&h.run(nodes).unwrap()[0]), Some(33));
}

#[test]
fn sends_inside_a_loop_use_the_frame_and_iteration_in_their_keys() {
    let h = Harness::new();
    let (mut nodes, exit) = counting_loop("w/", "zero", "three", "one", "w/frame", 10);
    nodes.extend([
        int("zero", 0),
        int("three", 3),
        int("one", 1),
        retval("r", &exit, 0),
        n("send", "_Send")
            .input("w/body")
            .attr_type("T", DType::Int32)
            .attr_str("tensor_name", "edge_1_body")
            .attr_str("send_device", DEVICE)
            .attr_int("send_device_incarnation", 7)
            .attr_str("recv_device", DEVICE)
            .build(),
    ]);
    let rendezvous = Arc::new(crate::LocalRendezvous::new());
    let out = h.run_with(nodes, rendezvous.clone()).unwrap();
    assert_eq!(scalar(&out[0]), Some(3));
    let frame_id = frame::hash64_combine(0, frame::hash64_combine(0, frame::hash64(b"w/frame")));
    for iter in 0..3 {
        let key = ParsedKey::new(DEVICE, 7, DEVICE, "edge_1_body", (frame_id, iter));
        let v = futures::executor::block_on(rendezvous.recv(&key)).unwrap();
        assert_eq!(v.tensor.scalar_value::<i32>().unwrap(), iter as i32, "iteration {iter}");
    }
    // The last iteration's body is dead: its send carries the deadness, as TF's does.
    let last = ParsedKey::new(DEVICE, 7, DEVICE, "edge_1_body", (frame_id, 3));
    assert!(futures::executor::block_on(rendezvous.recv(&last)).unwrap().is_dead);
    assert_eq!(rendezvous.pending_keys(), 0);
}

#[test]
fn an_error_in_a_loop_aborts_the_step_with_the_kernel_error() {
    // The probe fails once the counter, counted down from 3, goes negative.
    let h = Harness::new();
    let mut nodes = vec![int("three", 3), int("minus_five", -5), int("minus_one", -1)];
    nodes.extend([
        enter("w/e", "three", "f", false, 10),
        enter("w/limit", "minus_five", "f", true, 10),
        enter("w/step", "minus_one", "f", true, 10),
        merge("w/m", "w/e", "w/next"),
        n("w/gt", "Greater").input("w/m").input("w/limit").attr_type("T", DType::Int32).build(),
        n("w/cond", "LoopCond").input("w/gt").build(),
        n("w/sw", "Switch").input("w/m").input("w/cond").attr_type("T", DType::Int32).build(),
        n("w/probe", "Probe").input("w/sw:1").attr_type("T", DType::Int32).build(),
        op2("w/add", "AddV2", "w/probe", "w/step"),
        op1("w/next", "NextIteration", "w/add"),
        op1("w/exit", "Exit", "w/sw"),
        retval("r", "w/exit", 0),
    ]);
    let rendezvous = Arc::new(crate::LocalRendezvous::new());
    let e = h.run_with(nodes, rendezvous.clone()).unwrap_err();
    assert_eq!(e.code, Code::InvalidArgument);
    assert!(e.message.contains("probe saw a negative value") && e.message.contains("{{node w/probe}}"), "{}", e.message);
    // The rendezvous is aborted with the error, so peers waiting on this step learn of it.
    assert_eq!(rendezvous.aborted().map(|e| e.code), Some(Code::InvalidArgument));
}

#[test]
fn an_abort_from_outside_stops_a_running_loop() {
    // An endless loop (limit never reached) is ended by aborting the step's rendezvous.
    let h = Harness::new();
    let (mut nodes, exit) = counting_loop("w/", "zero", "limit", "zero_step", "w/frame", 10);
    nodes.extend([int("zero", 0), int("limit", 1), int("zero_step", 0), retval("r", &exit, 0)]);
    let rendezvous = Arc::new(crate::LocalRendezvous::new());
    let abort = rendezvous.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        abort.start_abort(Error::cancelled("Step was cancelled"));
    });
    let e = h.run_with(nodes, rendezvous).unwrap_err();
    assert_eq!(e.code, Code::Cancelled, "{e}");
}

#[test]
fn cheap_nodes_run_inline_and_huge_outputs_go_to_the_pool() {
    let h = Harness::new();
    let probe = |x: &str| n("probe", "Probe").input(x).attr_type("T", DType::Float).build();
    let float = |name: &str, dims: Vec<i64>| {
        let t = Tensor::zeros(DType::Float, dims).unwrap();
        n(name, "Const").attr_type("dtype", DType::Float).attr_tensor("value", &t).build()
    };
    let out = |x: &str| n("r", "_Retval").input(x).attr_type("T", DType::Float).attr_int("index", 0).build();
    h.run(vec![float("small", vec![4]), probe("small"), out("probe")]).unwrap();
    assert!(!LAST_THREAD.lock().starts_with("ferroflow-compute"), "small input ran on {}", LAST_THREAD.lock());
    h.run(vec![float("big", vec![1 << 16]), probe("big"), out("probe")]).unwrap();
    assert!(LAST_THREAD.lock().starts_with("ferroflow-compute"), "big input ran on {}", LAST_THREAD.lock());
}

#[test]
fn cycles_other_than_loops_and_edges_across_frames_are_refused() {
    let h = Harness::new();
    let e = h.build(vec![op1("a", "Identity", "b"), op1("b", "Identity", "a")]).err().unwrap();
    assert!(e.message.starts_with("Graph is invalid, contains a cycle with 2 nodes"), "{}", e.message);
    // A node inside a loop fed directly from outside the loop (not through an Enter).
    let (mut nodes, _) = counting_loop("w/", "zero", "ten", "one", "w/frame", 10);
    nodes.extend([int("zero", 0), int("ten", 10), int("one", 1), op2("bad", "AddV2", "w/body", "ten")]);
    let e = h.build(nodes).err().unwrap();
    assert!(e.message.contains("has inputs from different frames"), "{}", e.message);
}

#[test]
fn a_reference_is_read_when_its_consumer_runs() {
    let h = Harness::new();
    let vars = Arc::new(ResourceMgr::new());
    // An update ordered before a read by a control edge is seen by the read; one ordered after is not.
    let out = h
        .run_in(
            vec![
                variable("v"),
                int("three", 3),
                int("four", 4),
                op2("init", "Assign", "v", "three"),
                n("read_init", "Identity").input("init").attr_type("T", DType::Int32).build(),
                n("add", "AssignAdd").input("v").input("four").input("^read_init").attr_type("T", DType::Int32).build(),
                n("read_after", "Identity").input("v").input("^add").attr_type("T", DType::Int32).build(),
                retval("r_init", "read_init", 0),
                retval("r_after", "read_after", 1),
                retval("r_add", "add", 2),
            ],
            &vars,
        )
        .unwrap();
    assert_eq!((scalar(&out[0]), scalar(&out[1]), scalar(&out[2])), (Some(3), Some(7), Some(7)));
    // The variable outlives the step: a later step reads it.
    let out = h.run_in(vec![variable("v"), op2("plus", "AddV2", "v", "v"), retval("r", "plus", 0)], &vars).unwrap();
    assert_eq!(scalar(&out[0]), Some(14));
}

#[test]
fn an_uninitialized_variable_is_refused_except_by_ops_that_allow_it() {
    let h = Harness::new();
    let vars = Arc::new(ResourceMgr::new());
    let e = h.run_in(vec![variable("v"), n("v/read", "Identity").input("v").attr_type("T", DType::Int32).build(), retval("r", "v/read", 0)], &vars).unwrap_err();
    assert_eq!(e.code, Code::FailedPrecondition);
    assert_eq!(e.message, "Attempting to use uninitialized value v\n\t [[{{node v/read}}]]");
    // An op taking the reference is refused too, unless it allows uninitialized input.
    let e = h.run_in(vec![variable("v"), int("one", 1), op2("add", "AssignAdd", "v", "one")], &vars).unwrap_err();
    assert_eq!(e.message, "Attempting to use uninitialized value v\n\t [[{{node add}}]]");
    let out = h
        .run_in(
            vec![
                variable("v"),
                n("init?", "IsVariableInitialized").input("v").attr_type("dtype", DType::Int32).build(),
                n("alias", "RefIdentity").input("v").attr_type("T", DType::Int32).build(),
                n("init2?", "IsVariableInitialized").input("alias").attr_type("dtype", DType::Int32).build(),
                n("r", "_Retval").input("init?").attr_type("T", DType::Bool).attr_int("index", 0).build(),
                n("r2", "_Retval").input("init2?").attr_type("T", DType::Bool).attr_int("index", 1).build(),
            ],
            &vars,
        )
        .unwrap();
    assert_eq!(out[0].as_ref().unwrap().bools().unwrap(), vec![false]);
    assert_eq!(out[1].as_ref().unwrap().bools().unwrap(), vec![false]);
}

#[test]
fn references_pass_through_conditionals_and_loops() {
    let h = Harness::new();
    let vars = Arc::new(ResourceMgr::new());
    h.run_in(vec![variable("v"), int("zero", 0), op2("init", "Assign", "v", "zero")], &vars).unwrap();
    // if (p) v += 5 through RefSwitch; the RefMerge passes the reference on.
    for (pred, want) in [(true, 5), (false, 5)] {
        let out = h
            .run_in(
                vec![
                    variable("v"),
                    int("five", 5),
                    boolean("p", pred),
                    n("sw", "RefSwitch").input("v").input("p").attr_type("T", DType::Int32).build(),
                    op2("add", "AssignAdd", "sw:1", "five"),
                    n("m", "RefMerge").input("sw:0").input("add").attr_type("T", DType::Int32).attr_int("N", 2).build(),
                    n("read", "Identity").input("m").attr_type("T", DType::Int32).build(),
                    retval("r", "read", 0),
                ],
                &vars,
            )
            .unwrap();
        assert_eq!(scalar(&out[0]), Some(want), "pred {pred}");
    }
    // for i in 0..4: v += 1, with the variable entering the loop as a constant RefEnter.
    let (mut nodes, exit) = counting_loop("l/", "zero", "four", "one", "loop", 1);
    nodes.extend([
        variable("v"),
        int("zero", 0),
        int("four", 4),
        int("one", 1),
        n("l/v", "RefEnter")
            .input("v")
            .attr_type("T", DType::Int32)
            .attr_str("frame_name", "loop")
            .attr_bool("is_constant", true)
            .attr_int("parallel_iterations", 1)
            .build(),
        n("l/bump", "AssignAdd").input("l/v").input("l/step").input("^l/body").attr_type("T", DType::Int32).build(),
        n("l/bump_done", "Identity").input("l/bump").attr_type("T", DType::Int32).build(),
    ]);
    // The next iteration waits for this one's update.
    for node in nodes.iter_mut() {
        if node.name == "l/next" {
            node.input.push("^l/bump_done".into());
        }
    }
    nodes.push(n("read", "Identity").input("v").input(&format!("^{exit}")).attr_type("T", DType::Int32).build());
    nodes.push(retval("r", "read", 0));
    let out = h.run_in(nodes, &vars).unwrap();
    assert_eq!(scalar(&out[0]), Some(9));
}

#[test]
fn a_value_where_a_reference_is_expected_is_refused_when_building() {
    let h = Harness::new();
    let e = h.build(vec![int("c", 1), op2("a", "Assign", "c", "c")]).err().unwrap();
    assert_eq!(e.code, Code::InvalidArgument);
    assert_eq!(e.message, "Input 0 of node a was passed int32 from c:0 incompatible with expected int32_ref.");
}

#[test]
fn ref_updates_run_their_resource_forms_on_the_referenced_variable() {
    let h = Harness::new();
    let vars = Arc::new(ResourceMgr::new());
    let f = |name: &str, v: &[f32]| {
        n(name, "Const").attr_type("dtype", DType::Float).attr_tensor("value", &Tensor::from_vec(vec![v.len() as i64], v.to_vec()).unwrap()).build()
    };
    let fvar = |name: &str| n(name, "VariableV2").attr_type("dtype", DType::Float).attr_shape("shape", &[2]).build();
    let out = h
        .run_in(
            vec![
                fvar("w"),
                f("w0", &[1.0, 2.0]),
                n("init", "Assign").input("w").input("w0").attr_type("T", DType::Float).build(),
                n("lr", "Const").attr_type("dtype", DType::Float).attr_tensor("value", &Tensor::scalar(0.5f32)).build(),
                f("g", &[2.0, -2.0]),
                n("sgd", "ApplyGradientDescent").input("init").input("lr").input("g").attr_type("T", DType::Float).build(),
                n("read", "Identity").input("sgd").attr_type("T", DType::Float).build(),
                n("r", "_Retval").input("read").attr_type("T", DType::Float).attr_int("index", 0).build(),
            ],
            &vars,
        )
        .unwrap();
    assert_eq!(out[0].as_ref().unwrap().values::<f32>().unwrap().to_vec(), vec![0.0, 3.0]);
    let w = vars.lookup::<ferroflow_framework::LegacyVar>("localhost", "w").unwrap();
    assert_eq!(w.0.value().unwrap().values::<f32>().unwrap().to_vec(), vec![0.0, 3.0]);
}
