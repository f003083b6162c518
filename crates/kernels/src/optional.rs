//! Optionals: TF's `tensorflow::data::Optional` variant (a tuple of tensors, or none) — what
//! `tf.data` iterators' `get_next_as_optional` and control flow v2 (`tf.cond` outputs whose branch
//! did not run, in gradients) pass around — and the ops `OptionalNone`, `OptionalFromValue`,
//! `OptionalHasValue`, `OptionalGetValue`, with TF's semantics and messages. Optionals cross tasks
//! in TF's wire form (a one-byte `has_value` metadata and the component tensors).
//!
//! Also TF's `Tensor::DebugString`, which error messages about variants quote.
//!
//! Concurrency: kernels are stateless; optionals are immutable and shared.

use crate::array::kernel;
use crate::tensor_ops::{add_tensors, zeros_like_tensor};
use ferroflow_framework::variant::{Variant, VariantValue};
use ferroflow_framework::{
    Cost, DType, Error, Kernel, KernelInit, OpRegistry, PartialTensorShape, Result, Tensor, tensor_from_proto, tensor_to_proto,
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

// ---------------------------------------------------------------------------------------------
// TF's Tensor::DebugString

/// `Tensor<type: float shape: [2] values: 0.5 1>`, as TF's `Tensor::DebugString` (at most three
/// values, nested in brackets by dimension).
pub(crate) fn tensor_debug_string(t: &Tensor) -> String {
    format!("Tensor<type: {} shape: {} values: {}>", t.dtype(), t.shape(), summarize(t, 3))
}

/// `%g` with `precision` significant digits, as C's printf writes it.
fn fmt_g(x: f64, precision: usize) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    let sci = format!("{:.*e}", precision - 1, x);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let trim = |s: &str| if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s.to_string() };
    if exp < -4 || exp >= precision as i32 {
        format!("{}e{}{:02}", trim(mantissa), if exp < 0 { '-' } else { '+' }, exp.abs())
    } else {
        trim(&format!("{:.*}", (precision as i32 - 1 - exp).max(0) as usize, x))
    }
}

/// TF's `FloatToBuffer`/`DoubleToBuffer`: the shorter precision when it reads back exactly.
fn fmt_float(x: f64, is_f32: bool) -> String {
    let (short, long) = if is_f32 { (6, 9) } else { (15, 17) };
    let s = fmt_g(x, short);
    let exact = if is_f32 { s.parse::<f32>().ok() == Some(x as f32) } else { s.parse::<f64>().ok() == Some(x) };
    if exact || x.is_nan() || x.is_infinite() { s } else { fmt_g(x, long) }
}

fn element_strings(t: &Tensor, limit: usize) -> Vec<String> {
    let take = |v: Vec<String>| v.into_iter().take(limit).collect::<Vec<_>>();
    match t.dtype() {
        DType::Float => take(t.values::<f32>().map(|v| v.iter().take(limit).map(|&x| fmt_float(x as f64, true)).collect()).unwrap_or_default()),
        DType::Double => take(t.values::<f64>().map(|v| v.iter().take(limit).map(|&x| fmt_float(x, false)).collect()).unwrap_or_default()),
        DType::Bool => take(t.bools().map(|v| v.iter().take(limit).map(|&b| (b as u8).to_string()).collect()).unwrap_or_default()),
        DType::String => take(
            t.strings()
                .map(|v| v.iter().take(limit).map(|b| String::from_utf8_lossy(b).escape_default().to_string()).collect())
                .unwrap_or_default(),
        ),
        DType::Variant => take(t.variants().map(|v| v.iter().take(limit).map(|x| format!("<{}>", x.0.debug_string())).collect()).unwrap_or_default()),
        DType::Resource => vec!["?".to_string(); limit],
        d => ferroflow_framework::dispatch!(int, d, T => take(t.values::<T>().map(|v| v.iter().take(limit).map(|x| x.to_string()).collect()).unwrap_or_default()), Vec::new()),
    }
}

/// TF's `SummarizeValue(max_entries)` (not the `print_v2` form).
pub(crate) fn summarize(t: &Tensor, max_entries: usize) -> String {
    let n = t.num_elements();
    let limit = max_entries.min(n);
    let elems = element_strings(t, limit);
    let mut out = String::new();
    let dims = t.dims();
    let regular = !matches!(t.dtype(), DType::Variant | DType::Resource);
    if dims.is_empty() || !regular {
        out.push_str(&elems.join(" "));
    } else {
        let mut next = 0;
        print_dim(0, dims, limit, &elems, &mut next, &mut out);
    }
    if n > limit {
        out.push_str("...");
    }
    out
}

/// TF's `PrintOneDim`: nested brackets, one level per dimension, until `limit` elements are out.
fn print_dim(dim: usize, dims: &[i64], limit: usize, elems: &[String], next: &mut usize, out: &mut String) {
    if *next >= limit {
        return;
    }
    let count = dims[dim] as usize;
    if dim == dims.len() - 1 {
        for i in 0..count {
            if *next >= limit {
                if dim != 0 {
                    out.push_str("...");
                }
                return;
            }
            if i > 0 {
                out.push(' ');
            }
            out.push_str(&elems[*next]);
            *next += 1;
        }
        return;
    }
    for _ in 0..count {
        let opened = *next < limit;
        if opened {
            out.push('[');
        }
        print_dim(dim + 1, dims, limit, elems, next, out);
        if *next < limit || opened {
            out.push(']');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_strings_read_like_tensorflow() {
        let t = Tensor::from_vec(vec![2], vec![0.5f32, 1.0]).unwrap();
        assert_eq!(tensor_debug_string(&t), "Tensor<type: float shape: [2] values: 0.5 1>");
        let i = Tensor::from_vec(vec![1], vec![1i32]).unwrap();
        assert_eq!(tensor_debug_string(&i), "Tensor<type: int32 shape: [1] values: 1>");
        let m = Tensor::from_vec(vec![2, 2], vec![1i64, 2, 3, 4]).unwrap();
        assert_eq!(summarize(&m, 3), "[1 2][3...]...");
        assert_eq!(fmt_float(0.1f32 as f64, true), "0.1");
        assert_eq!(fmt_float(1e7, true), "1e+07");
        assert_eq!(fmt_float(1.0 / 3.0, false), "0.33333333333333331");
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
