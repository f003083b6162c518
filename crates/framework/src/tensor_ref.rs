//! Reference edges (TF's `Ref(T)` types): what flows out of `VariableV2`, `TemporaryVariable` and
//! the ops that pass a reference on (`Assign`, `RefIdentity`, `RefSwitch`, `RefEnter`, ...). A
//! reference is the variable itself, not a value: an op taking a `Ref(T)` input updates the
//! variable everyone else sees, and a consumer taking a plain `T` input reads the variable's value
//! when it runs (the executor dereferences it, as TF's `PrepareInputs` does for `HAS_REF_TENSOR`
//! entries), so a read ordered after an update by a control edge sees the update.
//!
//! Tensors stay immutable: "mutating the buffer" is replacing the variable's tensor under its
//! update lock, so a value read before an update keeps its old buffer.
//!
//! Concurrency: an `Entry` is a plain value; what it refers to is a `Var`, whose own locks rule.

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::resource::{Resource, Var};
use crate::tensor::Tensor;
use std::any::Any;
use std::sync::Arc;

/// A value on a graph edge: a tensor, or a reference to the variable holding one.
#[derive(Clone)]
pub enum Entry {
    Tensor(Tensor),
    Ref(Arc<Var>),
}

impl Entry {
    /// The tensor, or the referenced variable's current value (`None` while it is uninitialized).
    pub fn value(&self) -> Option<Tensor> {
        match self {
            Entry::Tensor(t) => Some(t.clone()),
            Entry::Ref(var) => var.value(),
        }
    }

    pub fn is_ref(&self) -> bool {
        matches!(self, Entry::Ref(_))
    }

    /// The element type: the tensor's, or the variable's (`Ref(T)` carries `T`).
    pub fn dtype(&self) -> DType {
        match self {
            Entry::Tensor(t) => t.dtype(),
            Entry::Ref(var) => var.dtype(),
        }
    }

    /// The value a plain input of a node reads from this entry: TF's FAILED_PRECONDITION
    /// ("Attempting to use uninitialized value <input>") for an uninitialized variable, where
    /// `input` is the node's input as the graph writes it.
    pub fn read_for_input(&self, input: &str) -> Result<Tensor> {
        self.value().ok_or_else(|| uninitialized_value(input))
    }
}

/// TF's FAILED_PRECONDITION for a node reading (or updating) an uninitialized variable through
/// its input `input` (as the graph writes it).
pub fn uninitialized_value(input: &str) -> Error {
    Error::failed_precondition(format!("Attempting to use uninitialized value {input}"))
}

impl From<Tensor> for Entry {
    fn from(t: Tensor) -> Entry {
        Entry::Tensor(t)
    }
}

/// How TF (Linux build) names the type of reference variables in its resource manager.
pub const LEGACY_VAR_TYPE_NAME: &str = "N10tensorflow9LegacyVarE";

/// A reference variable as a `ResourceMgr` keeps it (TF's `LegacyVar`): a type of its own, so a
/// resource-variable handle of the same name does not find it, nor it a resource variable.
pub struct LegacyVar(pub Arc<Var>);

impl Resource for LegacyVar {
    fn debug_string(&self) -> String {
        self.0.debug_string()
    }
    fn as_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_reads_the_variable_as_it_is_now() {
        let var = Arc::new(Var::new(DType::Float));
        let entry = Entry::Ref(var.clone());
        assert!(entry.value().is_none());
        let e = entry.read_for_input("v").unwrap_err();
        assert_eq!(e.code, crate::Code::FailedPrecondition);
        assert_eq!(e.message, "Attempting to use uninitialized value v");
        var.set(Tensor::scalar(1.0f32));
        let before = entry.read_for_input("v").unwrap();
        var.set(Tensor::scalar(2.0f32));
        assert_eq!(entry.value().unwrap().scalar_value::<f32>().unwrap(), 2.0);
        // A value read earlier keeps its own buffer.
        assert_eq!(before.scalar_value::<f32>().unwrap(), 1.0);
        assert_eq!(entry.dtype(), DType::Float);
        assert!(!Entry::from(before).is_ref());
    }
}
