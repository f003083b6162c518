//! The dataflow executor: runs one step of a `Graph`. A node runs when all its inputs and control
//! inputs have arrived; expensive nodes run on the compute pool (independent ones in parallel),
//! cheap ones (by their kernel's declared cost and input size) on the thread that made them ready,
//! as TF runs inexpensive kernels inline: a small step never pays for a thread hop. Asynchronous
//! kernels (receives) wait on the I/O runtime without holding a compute thread. Dead tensors
//! propagate: a node with a dead input is skipped and its outputs are dead, except kernels that
//! take dead inputs (`_Send`). The first error ends the step: it aborts the step's rendezvous, so
//! every waiting `_Recv` (here or on peers asking for our tensors) fails too, and no new node
//! starts; so does an abort from outside (a peer's failure, `CleanupGraph`).
//!
//! Concurrency: per-step state is shared by `Arc` among the threads running the step's nodes.
//! Dependency counts are atomics; each input slot is written once, by the producer, before the
//! count that makes its consumer ready drops to zero, so its mutex is never contended.

use crate::compute_pool::ComputePool;
use crate::graph::Graph;
use ferroflow_framework::{
    AsyncKernelContext, AsyncOutput, Error, KernelCost, KernelKind, OpKernelContext, RendezvousValue, Result, StepContext, Tensor,
};
use ferroflow_proto::{DeviceStepStats, NodeExecStats, StepStats};
use futures::FutureExt;
use parking_lot::Mutex;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::oneshot;

/// Inputs up to this size make a `ProportionalToInputs` kernel cheap enough to run inline (a few
/// microseconds of work: less than a trip through the compute pool).
const INLINE_INPUT_BYTES: usize = 64 << 10;

/// Where an executor runs things: kernels on the compute pool, waits on the I/O runtime.
#[derive(Clone)]
pub struct ExecutorEnv {
    pub compute: Arc<ComputePool>,
    pub io: tokio::runtime::Handle,
}

/// Per-run options.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    /// Record each node's timing into the returned `StepStats`.
    pub collect_stats: bool,
}

#[derive(Clone)]
enum Entry {
    Live(Tensor),
    Dead,
}

struct StepRun {
    graph: Arc<Graph>,
    step: Arc<StepContext>,
    env: ExecutorEnv,
    pending: Vec<AtomicUsize>,
    control_dead: Vec<AtomicBool>,
    slots: Vec<Mutex<Option<Entry>>>,
    remaining: AtomicUsize,
    failed: AtomicBool,
    done: Mutex<Option<oneshot::Sender<Result<()>>>>,
    stats: Option<Mutex<Vec<NodeExecStats>>>,
}

fn now_micros() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as i64).unwrap_or(0)
}

impl StepRun {
    fn finish(&self, result: Result<()>) {
        if let Some(tx) = self.done.lock().take() {
            let _ = tx.send(result);
        }
    }

    fn fail(&self, error: Error) {
        if !self.failed.swap(true, Ordering::AcqRel) {
            self.step.rendezvous.start_abort(error.clone());
            self.finish(Err(error));
        }
    }

    /// Takes a ready node's inputs; `None` inputs mean at least one is dead.
    fn take_inputs(&self, id: usize) -> (Vec<Tensor>, bool) {
        let node = &self.graph.nodes[id];
        let mut dead = self.control_dead[id].load(Ordering::Acquire);
        let mut inputs = Vec::with_capacity(node.num_inputs);
        for slot in &self.slots[node.input_base..node.input_base + node.num_inputs] {
            match slot.lock().take() {
                Some(Entry::Live(t)) => inputs.push(t),
                Some(Entry::Dead) | None => {
                    dead = true;
                    inputs.push(RendezvousValue::dead().tensor);
                }
            }
        }
        (inputs, dead)
    }

    /// Delivers a finished node's outputs (`None`: dead) and returns the nodes that became ready.
    fn propagate(&self, id: usize, outputs: Option<&[Tensor]>, ready: &mut Vec<usize>) {
        let node = &self.graph.nodes[id];
        for edge in &node.out_edges {
            match edge.src_slot {
                Some(slot) => {
                    let entry = match outputs {
                        Some(outs) => Entry::Live(outs[slot].clone()),
                        None => Entry::Dead,
                    };
                    let dst = &self.graph.nodes[edge.dst];
                    *self.slots[dst.input_base + edge.dst_slot].lock() = Some(entry);
                }
                None => {
                    if outputs.is_none() {
                        self.control_dead[edge.dst].store(true, Ordering::Release);
                    }
                }
            }
            if self.pending[edge.dst].fetch_sub(1, Ordering::AcqRel) == 1 {
                ready.push(edge.dst);
            }
        }
        if self.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.finish(Ok(()));
        }
    }

    fn record(&self, id: usize, start: i64, end: i64) {
        if let Some(stats) = &self.stats {
            let name = &self.graph.nodes[id].name;
            stats.lock().push(NodeExecStats {
                node_name: name.to_string(),
                all_start_micros: start,
                op_start_rel_micros: 0,
                op_end_rel_micros: end - start,
                all_end_rel_micros: end - start,
                timeline_label: format!("{} = {}()", name, self.graph.nodes[id].op),
                ..Default::default()
            });
        }
    }

    /// True if node `id` (ready) is cheap enough to run on the thread that made it ready.
    fn is_cheap(&self, id: usize) -> bool {
        let node = &self.graph.nodes[id];
        match node.kernel.cost {
            KernelCost::Trivial => true,
            // Starting an asynchronous kernel only registers a wait.
            KernelCost::Expensive => matches!(node.kernel.kind, KernelKind::Async(_)),
            KernelCost::ProportionalToInputs => {
                let mut bytes = 0;
                for slot in &self.slots[node.input_base..node.input_base + node.num_inputs] {
                    if let Some(Entry::Live(t)) = &*slot.lock() {
                        bytes += t.byte_size();
                    }
                }
                bytes <= INLINE_INPUT_BYTES
            }
        }
    }

    /// Runs ready nodes and those they make ready: cheap ones on this thread as they come,
    /// expensive ones on the compute pool — except that a pool thread keeps one for itself.
    fn run_ready(self: &Arc<Self>, mut ready: Vec<usize>, on_pool: bool) {
        let mut kept = None;
        loop {
            if self.failed.load(Ordering::Acquire) {
                return;
            }
            if let Some(e) = self.step.rendezvous.abort_status() {
                self.fail(e);
                return;
            }
            // Newly ready nodes first; the expensive node kept for this thread once they are done.
            let (id, kept_here) = match ready.pop() {
                Some(id) => (id, false),
                None => match kept.take() {
                    Some(id) => (id, true),
                    None => return,
                },
            };
            if kept_here || self.is_cheap(id) {
                self.run_node(id, &mut ready);
            } else if on_pool && kept.is_none() {
                kept = Some(id);
            } else {
                let this = self.clone();
                self.env.compute.spawn(move || this.run_ready(vec![id], true));
            }
        }
    }

    fn run_node(self: &Arc<Self>, id: usize, ready: &mut Vec<usize>) {
        let node = &self.graph.nodes[id];
        let (inputs, dead) = self.take_inputs(id);
        if dead && !node.kernel.runs_on_dead_input {
            self.propagate(id, None, ready);
            return;
        }
        let start = if self.stats.is_some() { now_micros() } else { 0 };
        match &node.kernel.kind {
            KernelKind::Sync(kernel) => {
                let mut ctx = OpKernelContext::new(&self.step, &node.name, &inputs, node.kernel.num_outputs, dead);
                // A kernel bug must fail the step, not take the process down with it.
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    kernel.compute(&mut ctx).and_then(|()| ctx.take_outputs())
                }))
                .unwrap_or_else(|panic| Err(Error::internal(format!("kernel panicked: {}", panic_message(&panic)))));
                if self.stats.is_some() {
                    self.record(id, start, now_micros());
                }
                match result {
                    Ok(outputs) => self.propagate(id, Some(&outputs), ready),
                    Err(e) => self.fail(e.with_node(&node.name)),
                }
            }
            KernelKind::Async(kernel) => {
                let ctx = AsyncKernelContext { step: self.step.clone(), node_name: node.name.clone(), inputs, is_input_dead: dead };
                // Remote receives start RPCs when first polled: they need the I/O runtime's context.
                let _io = self.env.io.enter();
                let mut fut = kernel.compute_async(ctx);
                // A tensor that is already here needs no trip through the I/O runtime.
                if let Some(result) = (&mut fut).now_or_never() {
                    self.finish_async(id, start, result, ready);
                    return;
                }
                let this = self.clone();
                self.env.io.spawn(async move {
                    let result = fut.await;
                    let mut ready = Vec::new();
                    this.finish_async(id, start, result, &mut ready);
                    this.run_ready(ready, false);
                });
            }
        }
    }

    fn finish_async(&self, id: usize, start: i64, result: Result<AsyncOutput>, ready: &mut Vec<usize>) {
        if self.stats.is_some() {
            self.record(id, start, now_micros());
        }
        let node = &self.graph.nodes[id];
        match result {
            Ok(out) if out.is_dead => self.propagate(id, None, ready),
            Ok(out) if out.outputs.len() == node.kernel.num_outputs => self.propagate(id, Some(&out.outputs), ready),
            Ok(out) => self.fail(Error::internal(format!("produced {} outputs, expected {}", out.outputs.len(), node.kernel.num_outputs)).with_node(&node.name)),
            Err(e) => self.fail(e.with_node(&node.name)),
        }
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}

/// Runs steps of one graph.
pub struct Executor {
    graph: Arc<Graph>,
    env: ExecutorEnv,
}

impl Executor {
    pub fn new(graph: Arc<Graph>, env: ExecutorEnv) -> Executor {
        Executor { graph, env }
    }

    pub fn graph(&self) -> &Arc<Graph> {
        &self.graph
    }

    /// Runs one step to completion; returns its stats when asked to collect them.
    pub async fn run(&self, step: Arc<StepContext>, opts: RunOptions) -> Result<Option<StepStats>> {
        let graph = self.graph.clone();
        let n = graph.nodes.len();
        let (tx, rx) = oneshot::channel();
        let run = Arc::new(StepRun {
            pending: graph.nodes.iter().map(|node| AtomicUsize::new(node.num_dependencies())).collect(),
            control_dead: (0..n).map(|_| AtomicBool::new(false)).collect(),
            slots: (0..graph.num_input_slots).map(|_| Mutex::new(None)).collect(),
            remaining: AtomicUsize::new(n),
            failed: AtomicBool::new(false),
            done: Mutex::new(Some(tx)),
            stats: opts.collect_stats.then(|| Mutex::new(Vec::new())),
            graph,
            step,
            env: self.env.clone(),
        });
        if n == 0 {
            run.finish(Ok(()));
        }
        run.run_ready(run.graph.roots.clone(), false);
        let result = rx.await.unwrap_or_else(|_| Err(Error::internal("executor dropped the step")));
        result?;
        Ok(run.stats.as_ref().map(|s| StepStats {
            dev_stats: vec![DeviceStepStats {
                device: run.graph.device_name.clone(),
                node_stats: std::mem::take(&mut *s.lock()),
                thread_names: Default::default(),
            }],
        }))
    }
}
