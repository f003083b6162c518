//! The dataflow executor: runs one step of a `Graph`, with TF's control flow. A node runs when its
//! inputs of one iteration of one frame have arrived ([`frame`] keeps those counts per frame and
//! iteration, and moves values into, around and out of while loops). Expensive nodes run on the
//! compute pool (independent ones in parallel); cheap ones — by their kernel's cost estimate on
//! their actual inputs, so a small op with a huge output is not cheap — on the thread that made
//! them ready, as TF runs inexpensive kernels inline: a small step never pays for a thread hop.
//! Asynchronous kernels (receives) wait on the I/O runtime without holding a compute thread.
//! Forwarding kernels (`Identity`, `Switch`, `Merge`, `Enter`, `Exit`, `NextIteration`, ...) are
//! not called at all: the executor moves their input to their output, as most nodes of a loop are.
//!
//! References (`Ref(T)` outputs of variables and the ops that pass them on) travel as entries
//! naming the variable: an input declared `Ref(T)` gets the variable, any other input gets its
//! value as of when the consumer runs (TF's `PrepareInputs` dereferencing `HAS_REF_TENSOR`
//! entries), or FAILED_PRECONDITION while the variable is uninitialized.
//!
//! Deadness is per output: a `Switch` sets one output and leaves the other dead; a node with a
//! dead input is skipped and its outputs are dead, except kernels that take dead inputs (`_Send`,
//! `_Recv`, `Merge`, `ControlTrigger`); a `Merge` fires on its first live input. The first error
//! ends the step: it aborts the step's rendezvous, so every waiting `_Recv` (here or on peers
//! asking for our tensors) fails too, and no new node starts in any frame; so does an abort from
//! outside (a peer's failure, `CleanupGraph`).
//!
//! Concurrency: per-step state is shared by `Arc` among the threads running the step's nodes; each
//! frame's counts are behind the frame's mutex (see [`frame`]); the count of nodes ready or running
//! is an atomic, and the step ends when it drops to zero.

mod frame;
#[cfg(test)]
mod tests;

use crate::compute_pool::ComputePool;
use crate::graph::Graph;
use ferroflow_framework::{
    AsyncKernelContext, AsyncOutput, Cost, Entry, Error, FrameIter, KernelKind, OpKernelContext, Outputs, Result, StepContext, Tensor,
};
use ferroflow_proto::{DeviceStepStats, NodeExecStats, StepStats};
use frame::{Frame, Inputs, Ready, ReadyQueue};
use futures::FutureExt;
use parking_lot::Mutex;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::oneshot;

/// The most element operations a kernel may do and still run inline, on the thread that made it
/// ready (a few microseconds of work: less than a trip through the compute pool).
pub const INLINE_WORK: u64 = 16 << 10;

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

struct StepRun {
    graph: Arc<Graph>,
    step: Arc<StepContext>,
    env: ExecutorEnv,
    /// Nodes ready or running, over all frames.
    outstanding: AtomicUsize,
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

    /// True if a ready node is cheap enough to run on the thread that made it ready.
    fn is_cheap(&self, r: &Ready) -> bool {
        let node = &self.graph.nodes[r.node];
        if r.is_dead && !node.kernel.runs_on_dead_input {
            return true;
        }
        // Starting an asynchronous kernel only registers a wait.
        if matches!(node.kernel.kind, KernelKind::Async(_)) {
            return true;
        }
        let cost = node.kernel.cost();
        let estimate = match cost {
            Cost::Trivial => return true,
            Cost::Expensive => return false,
            _ if r.inputs.refs.is_empty() => cost.estimate_of(&r.inputs.tensors),
            _ => {
                // References count with the value their variable holds now.
                let values: Vec<Tensor> = (r.inputs.tensors.iter().zip(&r.inputs.refs))
                    .filter_map(|(t, var)| match var {
                        Some(var) => var.value(),
                        None => Some(t.clone()),
                    })
                    .collect();
                cost.estimate_of(&values)
            }
        };
        estimate.is_some_and(|work| work <= INLINE_WORK)
    }

    /// Resolves a node's references: where the op takes a `Ref(T)` the reference stays (its
    /// current value beside it), else it is read now. A reference to an uninitialized variable is
    /// FAILED_PRECONDITION unless the op allows it.
    fn read_references(&self, id: usize, inputs: &mut Inputs) -> Result<()> {
        let node = &self.graph.nodes[id];
        for (i, var) in inputs.refs.iter_mut().enumerate() {
            let Some(v) = var else { continue };
            if node.input_is_ref(i) {
                inputs.tensors[i] = match v.value() {
                    Some(value) => value,
                    None if node.allows_uninitialized_input => frame::placeholder(),
                    None => return Err(ferroflow_framework::tensor_ref::uninitialized_value(node.input_name(i))),
                };
            } else {
                inputs.tensors[i] = Entry::Ref(v.clone()).read_for_input(node.input_name(i))?;
                *var = None;
            }
        }
        Ok(())
    }

    /// A node is done: delivers its outputs, counts the nodes that became ready, and ends the step
    /// when nothing is left to run.
    fn node_done(&self, r: Ready, is_dead: bool, mut outputs: Outputs, ready: &mut ReadyQueue) {
        let before = ready.len();
        r.frame.propagate(&self.graph, r.node, r.iter, is_dead, &mut outputs, ready);
        // This node leaves the count and the newly ready join it, in one update.
        match ready.len() - before {
            0 => {
                if self.outstanding.fetch_sub(1, Ordering::AcqRel) == 1 {
                    self.finish(Ok(()));
                }
            }
            1 => {}
            added => {
                self.outstanding.fetch_add(added - 1, Ordering::AcqRel);
            }
        }
    }

    /// Runs ready nodes and those they make ready: cheap ones on this thread as they come,
    /// expensive ones on the compute pool — except that a pool thread keeps one for itself.
    fn run_ready(self: &Arc<Self>, mut ready: ReadyQueue, on_pool: bool) {
        let mut kept: Option<Ready> = None;
        loop {
            if self.failed.load(Ordering::Acquire) {
                return;
            }
            if let Some(e) = self.step.rendezvous.abort_status() {
                self.fail(e);
                return;
            }
            // Newly ready nodes first; the expensive node kept for this thread once they are done.
            let (r, kept_here) = match ready.pop() {
                Some(r) => (r, false),
                None => match kept.take() {
                    Some(r) => (r, true),
                    None => return,
                },
            };
            if kept_here || self.is_cheap(&r) {
                self.run_node(r, &mut ready);
            } else if on_pool && kept.is_none() {
                kept = Some(r);
            } else {
                let this = self.clone();
                self.env.compute.spawn(move || this.run_ready(ReadyQueue::of(r), true));
            }
        }
    }

    fn run_node(self: &Arc<Self>, mut r: Ready, ready: &mut ReadyQueue) {
        let node = &self.graph.nodes[r.node];
        if r.is_dead && !node.kernel.runs_on_dead_input {
            self.node_done(r, true, Outputs::new(), ready);
            return;
        }
        let mut inputs = std::mem::take(&mut r.inputs);
        if let Err(e) = self.read_references(r.node, &mut inputs) {
            return self.fail(e.with_node(&node.name));
        }
        let any_dead = inputs.any_dead();
        let frame_iter = FrameIter { frame_id: r.frame.id, iter: r.iter };
        let start = if self.stats.is_some() { now_micros() } else { 0 };
        match &node.kernel.kind {
            KernelKind::Forward(rule) => {
                let result = rule.forward(&mut inputs.tensors, &inputs.dead, &inputs.refs);
                ready.recycle(inputs.tensors);
                if self.stats.is_some() {
                    self.record(r.node, start, now_micros());
                }
                match result {
                    Ok(outputs) => self.node_done(r, false, outputs, ready),
                    Err(e) => self.fail(e.with_node(&node.name)),
                }
            }
            KernelKind::Sync(kernel) => {
                let mut ctx = OpKernelContext::new(&self.step, &node.name, &inputs.tensors, node.kernel.num_outputs, &inputs.dead)
                    .with_ref_inputs(&inputs.refs)
                    .with_frame_iter(frame_iter);
                // A kernel bug must fail the step, not take the process down with it.
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| kernel.compute(&mut ctx).map(|()| ctx.into_outputs())))
                    .unwrap_or_else(|panic| Err(Error::internal(format!("kernel panicked: {}", panic_message(&panic)))));
                ready.recycle(inputs.tensors);
                if self.stats.is_some() {
                    self.record(r.node, start, now_micros());
                }
                match result.and_then(|outputs| self.check_outputs(r.node, outputs)) {
                    Ok(outputs) => self.node_done(r, false, outputs, ready),
                    Err(e) => self.fail(e.with_node(&node.name)),
                }
            }
            KernelKind::Async(kernel) => {
                let ctx = AsyncKernelContext {
                    step: self.step.clone(),
                    node_name: node.name.clone(),
                    inputs: inputs.tensors,
                    is_input_dead: any_dead,
                    frame_iter,
                };
                // Remote receives start RPCs when first polled: they need the I/O runtime's context.
                let _io = self.env.io.enter();
                let mut fut = kernel.compute_async(ctx);
                // A tensor that is already here needs no trip through the I/O runtime.
                if let Some(result) = (&mut fut).now_or_never() {
                    self.finish_async(r, start, result, ready);
                    return;
                }
                let this = self.clone();
                self.env.io.spawn(async move {
                    let result = fut.await;
                    let mut ready = ReadyQueue::default();
                    this.finish_async(r, start, result, &mut ready);
                    this.run_ready(ready, false);
                });
            }
        }
    }

    /// Outputs a kernel left unset are an error unless the kernel may leave them (they are dead).
    fn check_outputs(&self, id: usize, outputs: Outputs) -> Result<Outputs> {
        let node = &self.graph.nodes[id];
        if !node.kernel.may_leave_outputs_unset
            && let Some(i) = outputs.iter().position(Option::is_none)
        {
            return Err(Error::internal(format!("Node {} did not set output {i}", node.name)));
        }
        Ok(outputs)
    }

    fn finish_async(&self, r: Ready, start: i64, result: Result<AsyncOutput>, ready: &mut ReadyQueue) {
        if self.stats.is_some() {
            self.record(r.node, start, now_micros());
        }
        let node = &self.graph.nodes[r.node];
        match result {
            Ok(out) if out.is_dead => self.node_done(r, true, Outputs::new(), ready),
            Ok(out) if out.outputs.len() == node.kernel.num_outputs => {
                let outputs = out.outputs.into_iter().map(|t| Some(Entry::Tensor(t))).collect();
                self.node_done(r, false, outputs, ready)
            }
            Ok(out) => self.fail(
                Error::internal(format!("produced {} outputs, expected {}", out.outputs.len(), node.kernel.num_outputs)).with_node(&node.name),
            ),
            Err(e) => {
                let name = node.name.clone();
                self.fail(e.with_node(&name))
            }
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
        let (tx, rx) = oneshot::channel();
        let run = Arc::new(StepRun {
            outstanding: AtomicUsize::new(0),
            failed: AtomicBool::new(false),
            done: Mutex::new(Some(tx)),
            stats: opts.collect_stats.then(|| Mutex::new(Vec::new())),
            graph,
            step,
            env: self.env.clone(),
        });
        let root = Frame::root(&run.graph);
        let mut ready = ReadyQueue::default();
        root.activate_roots(&run.graph, &mut ready);
        if ready.is_empty() {
            run.finish(Ok(()));
        } else {
            run.outstanding.store(ready.len(), Ordering::Release);
            run.run_ready(ready, false);
        }
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
