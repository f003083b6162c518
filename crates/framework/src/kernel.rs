//! The kernel interface: how an op is built from its `NodeDef` and run within a step, and the
//! registry that maps op names to kernel factories.
//!
//! Kernels are built once per registered graph and shared by all its steps, so they are
//! `Send + Sync` and keep no per-step state; per-step state lives in `StepContext`. Synchronous
//! kernels run on the compute pool; asynchronous ones (receives) return a future and occupy no thread
//! while they wait.

use crate::attrs::Attrs;
use crate::error::{Error, Result};
use crate::rendezvous::Rendezvous;
use crate::resource::ResourceMgr;
use crate::tensor::Tensor;
use ferroflow_proto::{AttrValue, NodeDef};
use futures::future::BoxFuture;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;

/// Arguments and return values of a graph run as a function (`_Arg` / `_Retval`).
#[derive(Default)]
pub struct CallFrame {
    pub args: Vec<Tensor>,
    pub retvals: Mutex<Vec<Option<Tensor>>>,
}

impl CallFrame {
    pub fn new(args: Vec<Tensor>, num_retvals: usize) -> CallFrame {
        CallFrame { args, retvals: Mutex::new(vec![None; num_retvals]) }
    }
}

/// What one step gives every kernel: its id, device, rendezvous and resources.
pub struct StepContext {
    pub step_id: i64,
    /// Full name of the device the graph runs on.
    pub device_name: String,
    pub device_incarnation: u64,
    pub rendezvous: Arc<dyn Rendezvous>,
    pub resources: Arc<ResourceMgr>,
    pub call_frame: Option<Arc<CallFrame>>,
}

/// A synchronous kernel's view of one execution of its node.
pub struct OpKernelContext<'a> {
    pub step: &'a Arc<StepContext>,
    pub node_name: &'a str,
    inputs: &'a [Tensor],
    outputs: Vec<Option<Tensor>>,
    is_input_dead: bool,
}

impl<'a> OpKernelContext<'a> {
    pub fn new(step: &'a Arc<StepContext>, node_name: &'a str, inputs: &'a [Tensor], num_outputs: usize, is_input_dead: bool) -> Self {
        OpKernelContext { step, node_name, inputs, outputs: vec![None; num_outputs], is_input_dead }
    }

    pub fn num_inputs(&self) -> usize {
        self.inputs.len()
    }

    pub fn input(&self, i: usize) -> &'a Tensor {
        &self.inputs[i]
    }

    pub fn inputs(&self) -> &'a [Tensor] {
        self.inputs
    }

    /// True when an input was dead (only `_Send` and friends ever run with dead inputs).
    pub fn is_input_dead(&self) -> bool {
        self.is_input_dead
    }

    pub fn set_output(&mut self, i: usize, t: Tensor) {
        self.outputs[i] = Some(t);
    }

    pub fn num_outputs(&self) -> usize {
        self.outputs.len()
    }

    /// The outputs set, or INTERNAL naming the first one left unset.
    pub fn take_outputs(self) -> Result<Vec<Tensor>> {
        let name = self.node_name;
        self.outputs
            .into_iter()
            .enumerate()
            .map(|(i, o)| o.ok_or_else(|| Error::internal(format!("Node {name} did not set output {i}"))))
            .collect()
    }
}

/// A kernel that computes its outputs on the calling thread.
pub trait OpKernel: Send + Sync {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()>;
}

/// What an asynchronous kernel is given: owned, so its future can outlive the call.
pub struct AsyncKernelContext {
    pub step: Arc<StepContext>,
    pub node_name: Arc<str>,
    pub inputs: Vec<Tensor>,
    pub is_input_dead: bool,
}

/// What an asynchronous kernel produces: its outputs, or the mark that they are dead.
pub struct AsyncOutput {
    pub outputs: Vec<Tensor>,
    pub is_dead: bool,
}

/// A kernel that waits for something outside the step (a tensor from another task).
pub trait AsyncOpKernel: Send + Sync {
    fn compute_async(&self, ctx: AsyncKernelContext) -> BoxFuture<'static, Result<AsyncOutput>>;
}

pub enum KernelKind {
    Sync(Box<dyn OpKernel>),
    Async(Box<dyn AsyncOpKernel>),
}

/// How much work a kernel does: the executor runs cheap kernels on whatever thread made them
/// ready (as TF runs inexpensive kernels inline) and sends the others to the compute pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KernelCost {
    /// Constant work whatever the inputs (metadata, buffer sharing, rendezvous hand-offs).
    Trivial,
    /// Work and output size bounded by the size of the inputs (element-wise math, reductions,
    /// small matrix products): cheap when the inputs are small.
    ProportionalToInputs,
    /// Anything else, including ops whose output size comes from an input's value (`Fill`, `Tile`).
    #[default]
    Expensive,
}

/// A kernel built for one node.
pub struct Kernel {
    pub kind: KernelKind,
    pub num_outputs: usize,
    /// True for kernels that run dead inputs instead of skipping them (`_Send`, `_Retval`).
    pub runs_on_dead_input: bool,
    /// Set by the registry from the op's declared cost.
    pub cost: KernelCost,
}

impl Kernel {
    pub fn sync(k: impl OpKernel + 'static, num_outputs: usize) -> Kernel {
        Kernel { kind: KernelKind::Sync(Box::new(k)), num_outputs, runs_on_dead_input: false, cost: KernelCost::Expensive }
    }

    pub fn asynchronous(k: impl AsyncOpKernel + 'static, num_outputs: usize) -> Kernel {
        Kernel { kind: KernelKind::Async(Box::new(k)), num_outputs, runs_on_dead_input: false, cost: KernelCost::Expensive }
    }

    pub fn on_dead_input(mut self) -> Kernel {
        self.runs_on_dead_input = true;
        self
    }
}

/// What a factory sees of the node it builds a kernel for.
pub struct KernelInit<'a> {
    pub node: &'a NodeDef,
    pub attrs: Attrs<'a>,
    /// Number of data inputs (control inputs excluded).
    pub num_inputs: usize,
}

impl KernelInit<'_> {
    /// INVALID_ARGUMENT unless the node has exactly `n` data inputs.
    pub fn expect_inputs(&self, n: usize) -> Result<()> {
        if self.num_inputs != n {
            return Err(Error::invalid_argument(format!(
                "NodeDef expected inputs '{n}' do not match {} inputs specified; Op<name={}>; NodeDef: {{{{node {}}}}}",
                self.num_inputs, self.node.op, self.node.name
            )));
        }
        Ok(())
    }
}

pub type KernelFactory = fn(&KernelInit<'_>) -> Result<Kernel>;

/// Op name -> kernel factory, plus the attrs TF's op definitions give default values.
#[derive(Default, Clone)]
pub struct KernelRegistry {
    factories: HashMap<&'static str, KernelFactory>,
    defaults: HashMap<&'static str, Vec<(&'static str, AttrValue)>>,
    costs: HashMap<&'static str, KernelCost>,
}

impl KernelRegistry {
    pub fn new() -> KernelRegistry {
        KernelRegistry::default()
    }

    pub fn register(&mut self, op: &'static str, factory: KernelFactory) {
        self.factories.insert(op, factory);
    }

    /// Declares an attr's default value for an op: a node that omits it gets it, as TF's
    /// `AddDefaultsToNodeDef` does before a kernel is built.
    pub fn set_default(&mut self, op: &'static str, attr: &'static str, value: AttrValue) {
        let list = self.defaults.entry(op).or_default();
        list.retain(|(a, _)| *a != attr);
        list.push((attr, value));
    }

    /// Declares how much work an op's kernel does (ops never declared are `Expensive`).
    pub fn set_cost(&mut self, op: &'static str, cost: KernelCost) {
        self.costs.insert(op, cost);
    }

    pub fn cost(&self, op: &str) -> KernelCost {
        self.costs.get(op).copied().unwrap_or_default()
    }

    pub fn contains(&self, op: &str) -> bool {
        self.factories.contains_key(op)
    }

    /// Every registered op name, sorted.
    pub fn op_names(&self) -> Vec<&'static str> {
        let mut v: Vec<_> = self.factories.keys().copied().collect();
        v.sort_unstable();
        v
    }

    /// Builds the kernel of a node: NOT_FOUND for an unregistered op (TF's wording), the factory's
    /// error (with the node named) otherwise.
    pub fn build(&self, node: &NodeDef, num_inputs: usize) -> Result<Kernel> {
        let factory = self.factories.get(node.op.as_str()).ok_or_else(|| {
            Error::not_found(format!(
                "Op type not registered '{}' in binary running on ferroflow. Make sure the Op and Kernel are registered in the binary running in this process.",
                node.op
            ))
        })?;
        let missing: Vec<&(&'static str, AttrValue)> = self
            .defaults
            .get(node.op.as_str())
            .map(|d| d.iter().filter(|(a, _)| !node.attr.contains_key(*a)).collect())
            .unwrap_or_default();
        let completed;
        let node = if missing.is_empty() {
            node
        } else {
            let mut n = node.clone();
            for (attr, value) in missing {
                n.attr.insert(attr.to_string(), value.clone());
            }
            completed = n;
            &completed
        };
        let init = KernelInit { node, attrs: Attrs::new(node), num_inputs };
        let mut kernel = factory(&init).map_err(|e| if e.message.contains("{{node ") { e } else { e.with_node(&node.name) })?;
        kernel.cost = self.cost(&node.op);
        Ok(kernel)
    }
}
