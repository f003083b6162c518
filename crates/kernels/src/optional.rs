//! Optionals: TF's `tensorflow::data::Optional` variant (a tuple of tensors, or none) — what
//! `tf.data` iterators' `get_next_as_optional` and control flow v2 (`tf.cond` outputs whose branch
//! did not run, in gradients) pass around — and the ops `OptionalNone`, `OptionalFromValue`,
//! `OptionalHasValue`, `OptionalGetValue`, with TF's semantics and messages. Optionals cross tasks
//! in TF's wire form (a one-byte `has_value` metadata and the component tensors).
//!
//! Concurrency: kernels are stateless; optionals are immutable and shared.

use crate::array::kernel;
use crate::tensor_ops::{add_tensors, zeros_like_tensor};
use crate::tensor_text::tensor_debug_string;
use ferroflow_framework::variant::{Variant, VariantValue};
use ferroflow_framework::{
    Cost, Error, Kernel, KernelInit, OpRegistry, PartialTensorShape, Result, Tensor, tensor_from_proto, tensor_to_proto,
};
use ferroflow_proto::VariantTensorDataProto;

/// TF's type name of optionals in variant tensors.
pub const TYPE_NAME: &str = "tensorflow::data::Optional";

/// An optional tuple of tensors (TF's `OptionalVariant`).
#[derive(Debug, Clone)]
pub struct OptionalValue(pub Option<Vec<Tensor>>);

impl OptionalValue {
    /// TF's `Decode`: a one-byte `has_value` flag, then the components.
    pub fn decode(p: &VariantTensorDataProto) -> Result<OptionalValue> {
        match p.metadata.as_slice() {
            [0] => Ok(OptionalValue(None)),
            [1] => Ok(OptionalValue(Some(p.tensors.iter().map(tensor_from_proto).collect::<Result<_>>()?))),
            _ => Err(Error::invalid_argument("Could not decode an Optional: bad has_value metadata")),
        }
    }
}

impl VariantValue for OptionalValue {
    fn type_name(&self) -> &str {
        TYPE_NAME
    }

    fn encode(&self) -> Result<VariantTensorDataProto> {
        let tensors = match &self.0 {
            Some(v) => v.iter().map(tensor_to_proto).collect::<Result<_>>()?,
            None => Vec::new(),
        };
        Ok(VariantTensorDataProto { type_name: TYPE_NAME.to_string(), metadata: vec![self.0.is_some() as u8], tensors })
    }

    /// TF's `OptionalZerosLike`: none stays none; a value gets the zeros of each component.
    fn zeros_like(&self) -> Result<Variant> {
        let zs = match &self.0 {
            None => None,
            Some(v) => Some(v.iter().map(|t| zeros_like_tensor(t, "/device:CPU:0")).collect::<Result<_>>()?),
        };
        Ok(Variant::new(OptionalValue(zs)))
    }

    /// TF's `OptionalBinaryAdd`.
    fn add(&self, other: &Variant) -> Result<Variant> {
        let b = other.downcast::<OptionalValue>().ok_or_else(|| Error::internal("adding an Optional to another type"))?;
        match (&self.0, &b.0) {
            (None, None) => Ok(Variant::new(OptionalValue(None))),
            (Some(x), Some(y)) => {
                if x.len() != y.len() {
                    return Err(Error::invalid_argument(format!(
                        "Cannot add optionals because they have different numbers of components ({} vs. {}).",
                        x.len(),
                        y.len()
                    )));
                }
                let sums = x.iter().zip(y).map(|(a, b)| add_tensors(a, b, "/device:CPU:0")).collect::<Result<_>>()?;
                Ok(Variant::new(OptionalValue(Some(sums))))
            }
            _ => Err(Error::invalid_argument("Cannot add optionals because one has a value and the other doesn't.")),
        }
    }

    fn debug_string(&self) -> String {
        match &self.0 {
            None => "OptionalVariant<None>".to_string(),
            Some(v) => {
                let parts: Vec<String> = v.iter().map(tensor_debug_string).collect();
                format!("OptionalVariant<values: ({})>", parts.join(", "))
            }
        }
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

fn decode_variant(p: &VariantTensorDataProto) -> Result<Variant> {
    OptionalValue::decode(p).map(Variant::new)
}

pub(crate) fn register(reg: &mut OpRegistry) {
    ferroflow_framework::variant::register_decoder(TYPE_NAME, decode_variant);
    reg.op("OptionalNone")
        .output("optional: variant")
        .cost(Cost::Trivial)
        .kernel(|_| {
            Ok(kernel(1, |ctx| {
                ctx.set_output(0, Tensor::variant(Variant::new(OptionalValue(None))));
                Ok(())
            }))
        });
    reg.op("OptionalFromValue")
        .input("components: Toutput_types")
        .output("optional: variant")
        .attr("Toutput_types: list(type) >= 1")
        .cost(Cost::Trivial)
        .kernel(|_| {
            Ok(kernel(1, |ctx| {
                let values = ctx.inputs().to_vec();
                ctx.set_output(0, Tensor::variant(Variant::new(OptionalValue(Some(values)))));
                Ok(())
            }))
        });
    reg.op("OptionalHasValue")
        .input("optional: variant")
        .output("has_value: bool")
        .cost(Cost::Trivial)
        .kernel(|_| {
            Ok(kernel(1, |ctx| {
                let o = input_optional(ctx.input(0), "OptionalHasValue")?;
                ctx.set_output(0, Tensor::from_bools(vec![], vec![o.0.is_some()])?);
                Ok(())
            }))
        });
    reg.op("OptionalGetValue")
        .input("optional: variant")
        .output("components: output_types")
        .attr("output_types: list(type) >= 1")
        .attr("output_shapes: list(shape) >= 1")
        .cost(Cost::Trivial)
        .kernel(get_value);
}

fn input_optional<'a>(t: &'a Tensor, op: &str) -> Result<&'a OptionalValue> {
    if t.rank() != 0 {
        return Err(Error::invalid_argument(format!(
            "Input to {op} must be a scalar tensor containing an OptionalVariant object."
        )));
    }
    t.variants()?[0]
        .downcast::<OptionalValue>()
        .ok_or_else(|| Error::invalid_argument(format!("Input to {op} must be an OptionalVariant object.")))
}

/// A `list(shape)` attr (absent means empty).
fn list_shape_attr(init: &KernelInit<'_>, name: &str) -> Result<Vec<PartialTensorShape>> {
    if !init.attrs.has(name) {
        return Ok(Vec::new());
    }
    match &init.attrs.get(name)?.value {
        Some(ferroflow_proto::attr_value::Value::List(l)) => l.shape.iter().map(PartialTensorShape::from_proto).collect(),
        _ => Err(Error::invalid_argument(format!("Attr {name} of node {} is not a list of shapes", init.node.name))),
    }
}

fn get_value(init: &KernelInit<'_>) -> Result<Kernel> {
    let types = init.attrs.get_list_type("output_types")?;
    let shapes = list_shape_attr(init, "output_shapes")?;
    if types.len() != shapes.len() {
        return Err(Error::invalid_argument(format!(
            "output_types and output_shapes must be same length, got:\noutput_types: {}\noutput_shapes: {}",
            types.len(),
            shapes.len()
        )));
    }
    Ok(kernel(types.len(), move |ctx| {
        let o = input_optional(ctx.input(0), "OptionalGetValue")?;
        let values = o.0.as_ref().ok_or_else(|| Error::invalid_argument("The given optional does not have a value."))?;
        if values.len() != types.len() {
            return Err(Error::invalid_argument(format!(
                "The given optional has {} components, expected {}",
                values.len(),
                types.len()
            )));
        }
        for (i, v) in values.iter().enumerate() {
            if v.dtype() != types[i] {
                return Err(Error::invalid_argument(format!(
                    "The given optional does not match the expected type for component {i}. Expected: {}. Actual: {}.",
                    types[i],
                    v.dtype()
                )));
            }
            if !shapes[i].is_compatible_with_shape(v.shape()) {
                return Err(Error::invalid_argument(format!(
                    "The given optional does not match the expected shape for component {i}. Expected: {}. Actual: {}.",
                    shapes[i],
                    v.shape()
                )));
            }
        }
        for (i, v) in values.iter().enumerate() {
            ctx.set_output(i, v.clone());
        }
        Ok(())
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_strings_name_the_optional_values() {
        let t = Tensor::from_vec(vec![2], vec![0.5f32, 1.0]).unwrap();
        let o = OptionalValue(Some(vec![t]));
        assert_eq!(
            Variant::new(o).debug_string(),
            "Variant<type: tensorflow::data::Optional value: OptionalVariant<values: (Tensor<type: float shape: [2] values: 0.5 1>)>>"
        );
    }

    #[test]
    fn wire_form_round_trips() {
        let some = OptionalValue(Some(vec![Tensor::scalar(3i64), Tensor::from_vec(vec![2], vec![1.5f64, 2.5]).unwrap()]));
        let p = some.encode().unwrap();
        assert_eq!((p.type_name.as_str(), p.metadata.as_slice(), p.tensors.len()), (TYPE_NAME, &[1u8][..], 2));
        let back = OptionalValue::decode(&p).unwrap();
        assert!(back.0.unwrap()[1].same_contents(&some.0.as_ref().unwrap()[1]));
        let none = OptionalValue::decode(&OptionalValue(None).encode().unwrap()).unwrap();
        assert!(none.0.is_none());
        let bad = VariantTensorDataProto { type_name: TYPE_NAME.into(), metadata: vec![1, 0], tensors: vec![] };
        assert!(OptionalValue::decode(&bad).is_err());
    }
}
