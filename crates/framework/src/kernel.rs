//! The kernel interface: how an op's kernel is built from its `NodeDef` and run within a step.
//! (Which factory builds which op is the op's definition: `op_def`.)
//!
//! Kernels are built once per registered graph and shared by all its steps, so they are
//! `Send + Sync` and keep no per-step state; per-step state lives in `StepContext`. Synchronous
//! kernels run on the compute pool; asynchronous ones (receives) return a future and occupy no thread
//! while they wait.

use crate::attrs::Attrs;
use crate::op_def::{Cost, OpDef};
use crate::error::{Error, Result};
use crate::rendezvous::Rendezvous;
use crate::resource::ResourceMgr;
use crate::dtype::TensorElement;
use crate::shape::TensorShape;
use crate::tensor::{Tensor, TensorBuf};
use crate::tensor_ref::Entry;
use crate::resource::Var;
use ferroflow_proto::{NameAttrList, NodeDef};
use futures::future::BoxFuture;
use parking_lot::Mutex;
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

/// Runs the library functions of a graph for kernels that call them (dataset map functions,
/// `RemoteCall`, ...), on the graph's device. Implemented by the runtime; instantiations are cached.
pub trait FunctionRuntime: Send + Sync {
    /// Checks that `f` can be instantiated (so a kernel fails when its graph is built, not later).
    fn prepare(&self, f: &NameAttrList) -> Result<()>;
    /// Runs `f` on `args` with `resources`; resolves with its results. Independent of any step, so a
    /// dataset may keep calling it after the step that created it is over.
    fn call(&self, f: &NameAttrList, args: Vec<Tensor>, resources: Arc<ResourceMgr>) -> BoxFuture<'static, Result<Vec<Tensor>>>;
}

/// What one step gives every kernel: its id, device, rendezvous and resources.
#[derive(Clone)]
pub struct StepContext {
    pub step_id: i64,
    /// Full name of the device the graph runs on.
    pub device_name: String,
    pub device_incarnation: u64,
    pub rendezvous: Arc<dyn Rendezvous>,
    /// Resources that outlive the step (variables), shared by the session's steps.
    pub resources: Arc<ResourceMgr>,
    /// TF's per-step container (`ScopedStepContainer`): resources that live for this step only
    /// (TensorArrays, stacks), gone with the step whether it succeeds or fails.
    pub step_resources: Arc<ResourceMgr>,
    pub call_frame: Option<Arc<CallFrame>>,
    /// The functions of the running graph's library, where it has one.
    pub functions: Option<Arc<dyn FunctionRuntime>>,
}

impl StepContext {
    /// A step's context on a device, with no call frame and no function library.
    pub fn new(step_id: i64, device_name: &str, device_incarnation: u64, rendezvous: Arc<dyn Rendezvous>, resources: Arc<ResourceMgr>) -> StepContext {
        StepContext {
            step_id,
            device_name: device_name.to_string(),
            device_incarnation,
            rendezvous,
            resources,
            step_resources: Arc::new(ResourceMgr::default()),
            call_frame: None,
            functions: None,
        }
    }

    /// The container name TF gives the step's own resources (`__per_step_<id>`), as their handles
    /// carry it.
    pub fn step_container_name(&self) -> String {
        format!("__per_step_{}", self.step_id)
    }

    /// The step runs a graph as a function with this frame's arguments and results.
    pub fn with_call_frame(mut self, frame: Arc<CallFrame>) -> StepContext {
        self.call_frame = Some(frame);
        self
    }

    pub fn with_functions(mut self, functions: Option<Arc<dyn FunctionRuntime>>) -> StepContext {
        self.functions = functions;
        self
    }

    /// The function runtime, or FAILED_PRECONDITION naming what needed it.
    pub fn function_runtime(&self, needed_by: &str) -> Result<&Arc<dyn FunctionRuntime>> {
        self.functions
            .as_ref()
            .ok_or_else(|| Error::failed_precondition(format!("{needed_by} calls a function, but its graph has no function library")))
    }
}

impl StepContext {
    /// The same step seen with other resources (how a kernel runs another op's kernel on
    /// variables it holds by reference rather than by name).
    pub fn with_resources(&self, resources: Arc<ResourceMgr>) -> StepContext {
        StepContext { resources, ..self.clone() }
    }
}

/// Where in a step's control flow a node runs: TF's frame id (0 for the root frame, a hash of the
/// frame's ancestry in a loop) and iteration; rendezvous keys of transfers inside loops carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FrameIter {
    pub frame_id: u64,
    pub iter: i64,
}

impl FrameIter {
    pub const ROOT: FrameIter = FrameIter { frame_id: 0, iter: 0 };
}

/// A node's outputs as its kernel left them (`None`: unset, which is dead where the kernel may leave
/// it so).
pub type Outputs = Vec<Option<Entry>>;

/// A synchronous kernel's view of one execution of its node.
pub struct OpKernelContext<'a> {
    pub step: &'a Arc<StepContext>,
    pub node_name: &'a str,
    inputs: &'a [Tensor],
    /// Per input: true when it is dead (its tensor is then an empty placeholder). Empty when none is.
    dead_inputs: &'a [bool],
    /// Per input: the variable a `Ref(T)` input refers to (its tensor in `inputs` is then the
    /// variable's value, or an empty placeholder while it is uninitialized). Empty when no input is
    /// a reference.
    ref_inputs: &'a [Option<Arc<Var>>],
    outputs: Outputs,
    frame_iter: FrameIter,
}

impl<'a> OpKernelContext<'a> {
    pub fn new(step: &'a Arc<StepContext>, node_name: &'a str, inputs: &'a [Tensor], num_outputs: usize, dead_inputs: &'a [bool]) -> Self {
        OpKernelContext { step, node_name, inputs, dead_inputs, ref_inputs: &[], outputs: vec![None; num_outputs], frame_iter: FrameIter::ROOT }
    }

    /// The variables the node's `Ref(T)` inputs refer to (`None` for plain inputs).
    pub fn with_ref_inputs(mut self, ref_inputs: &'a [Option<Arc<Var>>]) -> Self {
        self.ref_inputs = ref_inputs;
        self
    }

    /// The frame and iteration this execution of the node belongs to.
    pub fn with_frame_iter(mut self, frame_iter: FrameIter) -> Self {
        self.frame_iter = frame_iter;
        self
    }

    pub fn frame_iter(&self) -> FrameIter {
        self.frame_iter
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

    /// True when an input was dead (only `_Send`, `Merge` and friends ever run with dead inputs).
    pub fn is_input_dead(&self) -> bool {
        self.dead_inputs.iter().any(|&d| d)
    }

    /// True when input `i` is dead.
    pub fn input_is_dead(&self, i: usize) -> bool {
        self.dead_inputs.get(i).copied().unwrap_or(false)
    }

    pub fn set_output(&mut self, i: usize, t: Tensor) {
        self.outputs[i] = Some(Entry::Tensor(t));
    }

    /// The variable input `i` refers to; INTERNAL unless the input is a `Ref(T)` one.
    pub fn input_ref(&self, i: usize) -> Result<&'a Arc<Var>> {
        self.ref_inputs.get(i).and_then(Option::as_ref).ok_or_else(|| {
            Error::internal(format!("Node {}: input {i} is not a reference", self.node_name))
        })
    }

    /// Input `i` as it arrived: the reference for a `Ref(T)` input, else the tensor.
    pub fn input_entry(&self, i: usize) -> Entry {
        match self.ref_inputs.get(i).and_then(Option::as_ref) {
            Some(var) => Entry::Ref(var.clone()),
            None => Entry::Tensor(self.inputs[i].clone()),
        }
    }

    /// Makes output `i` (a `Ref(T)` output) refer to `var`.
    pub fn set_output_ref(&mut self, i: usize, var: Arc<Var>) {
        self.outputs[i] = Some(Entry::Ref(var));
    }

    /// Sets output `i` to an entry as it is (how ops that forward references pass them on).
    pub fn set_output_entry(&mut self, i: usize, entry: Entry) {
        self.outputs[i] = Some(entry);
    }

    /// A zeroed buffer for an output of `shape`, reserved against the process's memory budget:
    /// RESOURCE_EXHAUSTED with TF's OOM message when it does not fit. How kernels allocate
    /// outputs whose size comes from their inputs.
    pub fn allocate<T: TensorElement>(&self, shape: impl Into<TensorShape>) -> Result<TensorBuf<T>> {
        TensorBuf::zeroed(shape, &self.step.device_name)
    }

    /// A buffer for an output of `shape` holding `f(i)` at flat index `i`, reserved like
    /// [`OpKernelContext::allocate`] and not zeroed first.
    pub fn allocate_with<T: TensorElement>(&self, shape: impl Into<TensorShape>, f: impl FnMut(usize) -> T) -> Result<TensorBuf<T>> {
        TensorBuf::from_fn(shape, &self.step.device_name, f)
    }

    pub fn num_outputs(&self) -> usize {
        self.outputs.len()
    }

    /// The outputs set (a reference output as its variable's value), or INTERNAL naming the first
    /// one left unset.
    pub fn take_outputs(self) -> Result<Vec<Tensor>> {
        let name = self.node_name;
        self.outputs
            .into_iter()
            .enumerate()
            .map(|(i, o)| {
                let entry = o.ok_or_else(|| Error::internal(format!("Node {name} did not set output {i}")))?;
                entry.read_for_input(&format!("{name}:{i}"))
            })
            .collect()
    }

    /// The outputs as set, unset ones `None` (dead, for kernels that may leave outputs unset).
    pub fn into_outputs(self) -> Outputs {
        self.outputs
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
    pub frame_iter: FrameIter,
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
    /// A kernel that only passes its inputs on; the executor moves them itself (no call, no copy).
    Forward(Forwarding),
}

/// How a forwarding kernel's inputs become its outputs. The control-flow primitives and the
/// identities are most of the nodes of a while loop: moving their values instead of running a
/// kernel that clones them keeps a loop iteration cheap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forwarding {
    /// Input 0 to output 0; a reference stays a reference (`Identity`, `Enter`, `Exit`, ...).
    Identity,
    /// Input 0 to output 0 or 1, as the scalar bool input 1 says; the other output is dead.
    Switch,
    /// The first live input to output 0, and its index to output 1.
    Merge,
}

impl Forwarding {
    /// The outputs made of a node's inputs: `tensors` one per input (the forwarded one moved out,
    /// the others left for the caller to drop), `dead` per input (empty when none is), `refs` the
    /// variable of a reference input (empty when none is one).
    pub fn forward(self, tensors: &mut Vec<Tensor>, dead: &[bool], refs: &[Option<Arc<Var>>]) -> Result<Outputs> {
        let mut outputs = Outputs::with_capacity(2);
        // Input `i` moved out (called once, the other inputs are dropped after).
        let take = |tensors: &mut Vec<Tensor>, i: usize| match refs.get(i).and_then(Option::as_ref) {
            Some(var) => Some(Entry::Ref(var.clone())),
            None if i < tensors.len() => Some(Entry::Tensor(tensors.swap_remove(i))),
            None => None,
        };
        match self {
            Forwarding::Identity => outputs.push(take(tensors, 0)),
            Forwarding::Switch => {
                let taken = match tensors.get(1).and_then(Tensor::bool_scalar) {
                    Some(v) => v,
                    None => {
                        let shape = tensors.get(1).map(|p| p.shape().to_string()).unwrap_or_default();
                        return Err(Error::invalid_argument(format!("The second input must be a scalar, but it has shape {shape}")));
                    }
                };
                let value = take(tensors, 0);
                if taken {
                    outputs.extend([None, value]);
                } else {
                    outputs.extend([value, None]);
                }
            }
            Forwarding::Merge => {
                // The executor runs a merge once an input is live; the first live one is the value.
                let Some(i) = (0..tensors.len()).find(|&i| !dead.get(i).copied().unwrap_or(false)) else {
                    return Err(Error::internal("Merge ran without a live input"));
                };
                outputs.extend([take(tensors, i), Some(Entry::Tensor(Tensor::scalar(i as i32)))]);
            }
        }
        Ok(outputs)
    }

    /// The rule on live tensors, outputs as values, an unset one INTERNAL as a kernel's would be
    /// (for tests and tools that run one node by hand, as `OpKernelContext::take_outputs`).
    pub fn forward_values(self, node_name: &str, inputs: Vec<Tensor>) -> Result<Vec<Tensor>> {
        let outputs = self.forward(&mut { inputs }, &[], &[])?;
        (outputs.into_iter().enumerate())
            .map(|(i, o)| {
                let entry = o.ok_or_else(|| Error::internal(format!("Node {node_name} did not set output {i}")))?;
                entry.read_for_input(&format!("{node_name}:{i}"))
            })
            .collect()
    }
}

/// A kernel built for one node.
pub struct Kernel {
    pub kind: KernelKind,
    pub num_outputs: usize,
    /// True for kernels that run dead inputs instead of skipping them (`_Send`, `_Recv`, `Merge`).
    pub runs_on_dead_input: bool,
    /// True for kernels whose outputs may be left unset, which makes them dead (`Switch`).
    pub may_leave_outputs_unset: bool,
    /// How much work the kernel does: set by a factory that knows better than its op's definition,
    /// else by the registry from the definition.
    pub cost: Option<Cost>,
}

impl Kernel {
    pub fn sync(k: impl OpKernel + 'static, num_outputs: usize) -> Kernel {
        Kernel { kind: KernelKind::Sync(Box::new(k)), num_outputs, runs_on_dead_input: false, may_leave_outputs_unset: false, cost: None }
    }

    /// A kernel the executor runs by moving inputs to outputs (see [`Forwarding`]).
    pub fn forwarding(rule: Forwarding) -> Kernel {
        let num_outputs = if rule == Forwarding::Identity { 1 } else { 2 };
        let kernel = Kernel { kind: KernelKind::Forward(rule), num_outputs, runs_on_dead_input: false, may_leave_outputs_unset: false, cost: None };
        // A merge with every input dead is skipped like any node; one with a live input runs.
        if rule == Forwarding::Switch { kernel.with_optional_outputs() } else { kernel }
    }

    pub fn asynchronous(k: impl AsyncOpKernel + 'static, num_outputs: usize) -> Kernel {
        Kernel { kind: KernelKind::Async(Box::new(k)), num_outputs, runs_on_dead_input: false, may_leave_outputs_unset: false, cost: None }
    }

    /// Overrides the cost its op's definition declares (a factory that knows the attrs can tell).
    pub fn with_cost(mut self, cost: Cost) -> Kernel {
        self.cost = Some(cost);
        self
    }

    /// The kernel's cost (its op's, unless the factory set one).
    pub fn cost(&self) -> &Cost {
        self.cost.as_ref().unwrap_or(&Cost::Expensive)
    }

    pub fn on_dead_input(mut self) -> Kernel {
        self.runs_on_dead_input = true;
        self
    }

    /// The kernel may leave outputs unset; they are dead (`Switch` sets only the taken branch).
    pub fn with_optional_outputs(mut self) -> Kernel {
        self.may_leave_outputs_unset = true;
        self
    }
}

/// What a factory sees of the node it builds a kernel for (its attrs with defaults filled in,
/// already validated against the op's definition).
pub struct KernelInit<'a> {
    pub node: &'a NodeDef,
    pub attrs: Attrs<'a>,
    /// Number of data inputs (control inputs excluded).
    pub num_inputs: usize,
    pub op_def: &'a OpDef,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;

    fn value(o: &Option<Entry>) -> &Tensor {
        match o {
            Some(Entry::Tensor(t)) => t,
            _ => panic!("expected a tensor, got {}", if o.is_some() { "a reference" } else { "nothing" }),
        }
    }

    #[test]
    fn identity_moves_its_input_without_a_copy() {
        let x = Tensor::from_vec(vec![3], vec![1.0f32, 2.0, 3.0]).unwrap();
        let out = Forwarding::Identity.forward(&mut vec![x.clone()], &[], &[]).unwrap();
        assert_eq!(value(&out[0]).raw_bytes().unwrap().as_ptr(), x.raw_bytes().unwrap().as_ptr());
    }

    #[test]
    fn a_reference_input_stays_a_reference() {
        let var = Arc::new(Var::new(crate::dtype::DType::Int32));
        let out = Forwarding::Identity.forward(&mut vec![Tensor::scalar(0i32)], &[], &[Some(var.clone())]).unwrap();
        assert!(matches!(&out[0], Some(Entry::Ref(v)) if Arc::ptr_eq(v, &var)));
    }

    #[test]
    fn switch_sets_the_output_its_predicate_picks() {
        for (pred, live) in [(false, 0), (true, 1)] {
            let inputs = vec![Tensor::scalar(7i32), Tensor::from_bools(Vec::<i64>::new(), vec![pred]).unwrap()];
            let out = Forwarding::Switch.forward(&mut { inputs }, &[], &[]).unwrap();
            assert_eq!(value(&out[live]).scalar_value::<i32>().unwrap(), 7);
            assert!(out[1 - live].is_none(), "the untaken output is dead");
        }
        let not_scalar = vec![Tensor::scalar(7i32), Tensor::from_bools(vec![2], vec![true, false]).unwrap()];
        let e = Forwarding::Switch.forward(&mut { not_scalar }, &[], &[]).err().expect("a vector predicate is refused");
        assert_eq!(e.code, Code::InvalidArgument);
        assert!(e.message.contains("must be a scalar, but it has shape [2]"), "{}", e.message);
    }

    #[test]
    fn merge_forwards_its_first_live_input_and_its_index() {
        let inputs = vec![Tensor::scalar(0i32), Tensor::scalar(5i32), Tensor::scalar(9i32)];
        let out = Forwarding::Merge.forward(&mut { inputs }, &[true, false, false], &[]).unwrap();
        assert_eq!(value(&out[0]).scalar_value::<i32>().unwrap(), 5);
        assert_eq!(value(&out[1]).scalar_value::<i32>().unwrap(), 1);
        let e = Forwarding::Merge.forward(&mut vec![Tensor::scalar(0i32)], &[true], &[]).err().expect("no live input is an error");
        assert_eq!(e.code, Code::Internal);
    }
}
