//! ferroflow's framework layer: the types every other layer speaks.
//!
//! - [`error`]: the one error type (TF code + message) and `Result`.
//! - [`dtype`], [`shape`], [`tensor`], [`tensor_proto`]: tensors with shared buffers and their wire form.
//! - [`attrs`]: typed access to node attributes.
//! - [`device_name`]: parsing and matching of device and task names.
//! - [`resource`]: resource handles, variables and the resource manager.
//! - [`rendezvous`]: keys and the send/receive interface between kernels.
//! - [`kernel`]: the kernel interface, step context and the kernel registry.
//! - [`node_def`]: building `NodeDef`s in code.
//!
//! Nothing here owns threads or sockets; concurrency rules are stated per module.

pub mod attrs;
pub mod device_name;
pub mod dtype;
pub mod error;
pub mod kernel;
pub mod node_def;
pub mod rendezvous;
pub mod resource;
pub mod shape;
pub mod tensor;
pub mod tensor_proto;

pub use attrs::Attrs;
pub use dtype::{DType, TensorElement};
pub use error::{Code, Error, Result};
pub use kernel::{
    AsyncKernelContext, AsyncOpKernel, AsyncOutput, CallFrame, Kernel, KernelCost, KernelInit, KernelKind, KernelRegistry,
    OpKernel, OpKernelContext, StepContext,
};
pub use rendezvous::{ParsedKey, Rendezvous, RendezvousValue};
pub use resource::{ResourceHandle, ResourceMgr, Var};
pub use shape::TensorShape;
pub use tensor::Tensor;
pub use tensor_proto::{tensor_from_proto, tensor_to_proto};
