//! ferroflow's CPU kernels, one op family per module, registered by op name.
//!
//! [`registry`] returns the process-wide registry holding every kernel here. Kernels are stateless
//! between steps (state lives in resources and the step context) and run on whatever compute thread
//! the executor gives them; the few that parallelize internally use rayon's global pool.
//!
//! Families: [`array`] (constants, shapes, gathers), [`cwise`] (element-wise math with broadcasting),
//! [`reduction`], [`matmul`], [`nn`], [`random`] (TF's Philox generator), [`variable`], [`training`],
//! [`sendrecv`] (`_Send`, `_Recv`, `_Arg`, `_Retval`).

pub mod array;
pub mod broadcast;
mod costs;
pub mod cwise;
mod defaults;
pub mod matmul;
pub mod nn;
pub mod philox;
pub mod random;
pub mod reduction;
pub mod segment;
pub mod sendrecv;
pub mod training;
pub mod variable;

#[cfg(test)]
pub(crate) mod testutil;

use ferroflow_framework::KernelRegistry;
use std::sync::{Arc, OnceLock};

/// Adds every kernel of this crate to `reg`.
pub fn register_all(reg: &mut KernelRegistry) {
    array::register(reg);
    cwise::register(reg);
    reduction::register(reg);
    segment::register(reg);
    matmul::register(reg);
    nn::register(reg);
    random::register(reg);
    variable::register(reg);
    training::register(reg);
    sendrecv::register(reg);
    defaults::register(reg);
    costs::register(reg);
}

/// The registry of all kernels, built once.
pub fn registry() -> Arc<KernelRegistry> {
    static REGISTRY: OnceLock<Arc<KernelRegistry>> = OnceLock::new();
    REGISTRY
        .get_or_init(|| {
            let mut reg = KernelRegistry::new();
            register_all(&mut reg);
            Arc::new(reg)
        })
        .clone()
}
