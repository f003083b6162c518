//! `DT_VARIANT` tensor elements: values of other types carried in tensors — TensorLists, optionals,
//! dataset and iterator handles. Each is a [`VariantValue`]; the element is a shared, immutable
//! [`Variant`] (ops that "modify" one make a new one). On the wire a variant is TF's
//! `VariantTensorDataProto`; decoders registered by TF type name (`tensorflow::TensorList`) turn
//! those back into values, as TF's `UnaryVariantOpRegistry` does.
//!
//! Concurrency: variants are `Send + Sync` and immutable; the decoder table is behind a read-write
//! lock, written at start-up by the kernel families that own variant types.

use crate::error::{Error, Result};
use ferroflow_proto::VariantTensorDataProto;
use parking_lot::RwLock;
use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// A value that can be a variant tensor element.
pub trait VariantValue: Any + Send + Sync + std::panic::RefUnwindSafe + std::fmt::Debug {
    /// TF's type name of the value (`tensorflow::TensorList`), as in `VariantTensorDataProto`.
    fn type_name(&self) -> &str;
    /// The wire form, as TF's `Encode`; UNIMPLEMENTED for values that cannot leave their task.
    fn encode(&self) -> Result<VariantTensorDataProto> {
        Err(Error::unimplemented(format!("A {} cannot be sent to another task", self.type_name())))
    }
    /// The value's zero (TF's `ZerosLike` of a variant), for gradient accumulation.
    fn zeros_like(&self) -> Result<Variant> {
        Err(Error::internal(format!(
            "No unary variant unary_op function found for op ZEROS_LIKE Variant type_name: {} for device type: CPU",
            self.type_name()
        )))
    }
    /// The sum of two values of this type (TF's `AddN` of variants), for gradient accumulation;
    /// `other` has the same type name.
    fn add(&self, _other: &Variant) -> Result<Variant> {
        Err(Error::internal(format!(
            "No unary variant binary_op function found for op ADD Variant type_name: {} for device type: CPU",
            self.type_name()
        )))
    }
    /// TF's `DebugString` of the value, as error messages show it.
    fn debug_string(&self) -> String {
        self.type_name().to_string()
    }
    fn as_any(&self) -> &dyn Any;
}

/// One variant tensor element.
#[derive(Clone, Debug)]
pub struct Variant(pub Arc<dyn VariantValue>);

impl Variant {
    pub fn new(v: impl VariantValue) -> Variant {
        Variant(Arc::new(v))
    }

    pub fn type_name(&self) -> &str {
        self.0.type_name()
    }

    /// TF's `Variant::DebugString` (`Variant<type: tensorflow::TensorList value: ...>`).
    pub fn debug_string(&self) -> String {
        format!("Variant<type: {} value: {}>", self.type_name(), self.0.debug_string())
    }

    /// The value as a `T`, if it is one.
    pub fn downcast<T: VariantValue>(&self) -> Option<&T> {
        self.0.as_any().downcast_ref::<T>()
    }
}

impl PartialEq for Variant {
    /// Variants compare by identity (the same shared value).
    fn eq(&self, other: &Variant) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// Turns a variant's wire form back into a value.
pub type VariantDecoder = fn(&VariantTensorDataProto) -> Result<Variant>;

fn decoders() -> &'static RwLock<HashMap<String, VariantDecoder>> {
    static DECODERS: OnceLock<RwLock<HashMap<String, VariantDecoder>>> = OnceLock::new();
    DECODERS.get_or_init(Default::default)
}

/// Registers the decoder of variants of TF type `type_name`.
pub fn register_decoder(type_name: &str, decoder: VariantDecoder) {
    decoders().write().insert(type_name.to_string(), decoder);
}

/// Decodes a variant from its wire form; INVALID_ARGUMENT for a type no kernel family decodes.
pub fn decode(p: &VariantTensorDataProto) -> Result<Variant> {
    let decoder = decoders().read().get(&p.type_name).copied();
    match decoder {
        Some(d) => d(p),
        None => Err(Error::invalid_argument(format!(
            "Could not decode variant with type_name: \"{}\".  Perhaps you forgot to register a decoder via REGISTER_UNARY_VARIANT_DECODE_FUNCTION?",
            p.type_name
        ))),
    }
}
