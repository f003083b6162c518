//! ferroflow-client: a pure-Rust TensorFlow client. No libtensorflow and no Python: graphs are
//! built in Rust with TF's own op definitions, names and attrs, differentiated symbolically with
//! TF's gradient formulas, trained with TF's v1 optimizers, and run on any
//! `tensorflow.MasterService` (ferroflow's or stock TF's) over gRPC.
//!
//! - [`graph`]: `Graph`, `Operation`, `Output`; [`scope`]: `Scope` (name, device, colocation and
//!   control-dependency contexts) and `OpBuilder`; [`shape`]: static shapes.
//! - [`ops`]: ops as typed functions; [`variables`]: resource variables and initializers.
//! - [`gradients`]: `gradients(ys, xs)`; [`optimizers`]: GradientDescent, Momentum, Adam.
//! - [`import`]: `GraphDef` / `MetaGraphDef` files exported by TF, with their collections.
//! - [`session`]: the async `Session`; [`blocking`]: the same, blocking.
//!
//! Errors are `ferroflow_framework::Error`, with TF's codes and messages.
//!
//! Concurrency: graphs are shared handles with an internal lock (see [`graph`]); sessions are
//! `Send + Sync` and may run steps concurrently.

// `Operation` and `Output` hash by (graph id, node index); the graph's lock is not part of the key.
#![allow(clippy::mutable_key_type)]

pub mod blocking;
pub mod gradients;
pub mod graph;
pub mod import;
pub mod op_defs;
pub mod ops;
pub mod optimizers;
pub mod scope;
pub mod session;
pub mod shape;
pub mod shape_inference;
pub mod variables;

pub use ferroflow_framework::{Code, DType, Error, Result, Tensor};
pub use graph::{Graph, Operation, Output};
pub use scope::{OpBuilder, Scope};
pub use session::{RunResult, Session, SessionOptions};
pub use shape::Shape;
pub use variables::{Initializer, Variable, VariableOptions, get_variable, global_variables_initializer};
