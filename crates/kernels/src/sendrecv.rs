//! (to be written)

use ferroflow_framework::KernelRegistry;

pub(crate) fn register(_reg: &mut KernelRegistry) {}
