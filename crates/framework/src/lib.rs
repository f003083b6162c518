//! ferroflow's framework layer: the types every other layer speaks.
//!
//! - [`error`]: the one error type (TF code + message) and `Result`.
//! - [`dtype`], [`shape`], [`partial_shape`], [`tensor`], [`tensor_proto`]: tensors with shared buffers and their wire form.
//! - [`attrs`]: typed access to node attributes.
//! - [`device_name`]: parsing and matching of device and task names.
//! - [`resource`]: resource handles, variables and the resource manager.
//! - [`tensor_ref`]: reference edges (`Ref(T)`): entries that are a variable rather than a value.
//! - [`rendezvous`]: keys and the send/receive interface between kernels.
//! - [`op_def`]: op definitions (signature, defaults, cost, kernel factory) and the op registry.
//! - [`kernel`]: the kernel interface and the step context.
//! - [`memory`]: the process's tensor-memory budget (fallible, accounted allocation).
//! - [`graph_def`]: node names, input edges and frames of a `GraphDef`, shared by worker and master.
//! - [`function`]: library functions and their instantiation into graph nodes.
//! - [`node_def`]: building `NodeDef`s in code.
//!
//! Nothing here owns threads or sockets; concurrency rules are stated per module.

pub mod attrs;
pub mod device_name;
pub mod dtype;
pub mod error;
pub mod function;
pub mod graph_def;
pub mod kernel;
pub mod memory;
pub mod node_def;
pub mod op_def;
pub mod partial_shape;
pub mod rendezvous;
pub mod resource;
pub mod shape;
pub mod tensor;
pub mod tensor_proto;
pub mod tensor_ref;
pub mod variant;

pub use attrs::Attrs;
pub use dtype::{DType, TensorElement};
pub use error::{Code, Error, Result};
pub use kernel::{
    AsyncKernelContext, AsyncOpKernel, AsyncOutput, CallFrame, FrameIter, FunctionRuntime, Kernel, KernelFactory, KernelInit, KernelKind, OpKernel, Forwarding,
    OpKernelContext, Outputs, StepContext,
};
pub use op_def::{Cost, OpDef, OpRegistry};
pub use partial_shape::PartialTensorShape;
pub use rendezvous::{ParsedKey, Rendezvous, RendezvousValue};
pub use resource::{ResourceHandle, ResourceMgr, Var};
pub use shape::TensorShape;
pub use tensor::{Tensor, TensorBuf};
pub use tensor_proto::{tensor_from_proto, tensor_to_proto};
pub use tensor_ref::{Entry, LegacyVar};
pub use variant::{Variant, VariantValue};
