//! ferroflow's CPU kernels, one op family per module. Each family's `register` defines its ops
//! (signature in TF's syntax, cost, kernel factory) in one place per op.
//!
//! [`registry`] returns the process-wide registry holding every op here. Kernels are stateless
//! between steps (state lives in resources and the step context) and run on whatever compute thread
//! the executor gives them; the few that parallelize internally use rayon's global pool.
//!
//! Families: [`array`] (constants, shapes, gathers), [`cwise`] (element-wise math with broadcasting),
//! [`reduction`], [`matmul`], [`nn`], [`random`] (TF's Philox generator), [`variable`], [`training`],
//! [`ref_variable`] and [`ref_update`] (reference variables, TF 1's `VariableV2` and the ops on them),
//! [`sendrecv`] (`_Send`, `_Recv`, `_Arg`, `_Retval`), [`control_flow`] (`Switch`, `Merge`, `Enter`, ...),
//! [`logging`] (`Assert`), [`checkpoint`] (`SaveV2`, `RestoreV2`, ...), [`summary`] (TF 1 summaries
//! and TF 2's summary writers), [`strings`] (`StringJoin`, regular expressions).

pub mod array;
mod batch_matmul;
pub mod broadcast;
pub mod checkpoint;
pub mod control_flow;
pub mod logging;
pub mod cwise;
pub mod matmul;
pub mod nn;
pub mod optional;
pub mod philox;
pub mod random;
pub mod sparse;
pub mod stateless_random;
pub mod reduction;
pub mod ref_update;
pub mod ref_variable;
mod resource_sparse;
pub mod segment;
mod sparse_segment;
mod scan;
pub mod sendrecv;
pub mod stack;
pub mod strings;
pub mod summary;
pub(crate) mod tensor_text;
pub mod tensor_array;
pub mod tensor_list;
pub(crate) mod tensor_ops;
pub mod training;
pub mod variable;

#[cfg(test)]
pub(crate) mod testutil;

use ferroflow_framework::OpRegistry;
use std::sync::{Arc, OnceLock};

/// Adds every kernel of this crate to `reg`.
pub fn register_all(reg: &mut OpRegistry) {
    array::register(reg);
    control_flow::register(reg);
    cwise::register(reg);
    reduction::register(reg);
    segment::register(reg);
    sparse_segment::register(reg);
    scan::register(reg);
    matmul::register(reg);
    batch_matmul::register(reg);
    nn::register(reg);
    random::register(reg);
    stateless_random::register(reg);
    sparse::register(reg);
    variable::register(reg);
    training::register(reg);
    ref_variable::register(reg);
    ref_update::register(reg);
    resource_sparse::register(reg);
    sendrecv::register(reg);
    stack::register(reg);
    tensor_list::register(reg);
    tensor_array::register(reg);
    optional::register(reg);
    logging::register(reg);
    checkpoint::register(reg);
    summary::register(reg);
    strings::register(reg);
}

/// The registry of all kernels, built once.
pub fn registry() -> Arc<OpRegistry> {
    static REGISTRY: OnceLock<Arc<OpRegistry>> = OnceLock::new();
    REGISTRY
        .get_or_init(|| {
            let mut reg = OpRegistry::new();
            register_all(&mut reg);
            Arc::new(reg)
        })
        .clone()
}
