//! Text from values: `AsString` (each element printed with a C format built from its attrs, as
//! `tf.strings.as_string` and `tf.as_string` do) and `StringFormat` (a template whose placeholders
//! are replaced by TF's `print_v2` summaries of its inputs: `tf.strings.format`, and `tf.print`
//! before `PrintV2`).
//!
//! Concurrency: kernels hold only their parsed attrs; safe to run concurrently.

use super::printf::{FloatStyle, Spec};
use crate::array::kernel;
use crate::tensor_text::summarize_value;
use bytes::Bytes;
use ferroflow_framework::{Cost, DType, Error, Kernel, KernelInit, OpRegistry, Result, Tensor};

pub(super) fn register(reg: &mut OpRegistry) {
    reg.op("AsString")
        .input("input: T")
        .output("output: string")
        .attr(
            "T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64, complex64, \
             complex128, bool, variant, string}",
        )
        .attr("precision: int = -1")
        .attr("scientific: bool = false")
        .attr("shortest: bool = false")
        .attr("width: int = -1")
        .attr("fill: string = ''")
        .cost(Cost::InputElements)
        .kernel(as_string);
    reg.op("StringFormat")
        .input("inputs: T")
        .output("output: string")
        .attr("T: list(type) >= 0")
        .attr("template: string = '%s'")
        .attr("placeholder: string = '%s'")
        .attr("summarize: int = 3")
        .cost(Cost::InputElements)
        .kernel(string_format);
}

/// How `AsString` writes the elements of one dtype.
enum Writer {
    Float(Spec, FloatStyle),
    Integer(Spec),
    Bool,
    /// Strings, padded to the width.
    Verbatim(Spec),
    Variant,
}

fn as_string(init: &KernelInit<'_>) -> Result<Kernel> {
    let dtype = init.attrs.get_type("T")?;
    let precision = init.attrs.get_int_or("precision", -1)?;
    let scientific = init.attrs.get_bool_or("scientific", false)?;
    let shortest = init.attrs.get_bool_or("shortest", false)?;
    let width = init.attrs.get_int_or("width", -1)?;
    let fill = init.attrs.get_string_or("fill", "")?;
    let is_float = matches!(dtype, DType::Float | DType::Double);
    if !is_float {
        if scientific || shortest {
            return Err(Error::invalid_argument(format!("scientific and shortest format not supported for datatype {dtype}")));
        }
        if precision >= 0 {
            return Err(Error::invalid_argument(format!("precision not supported for datatype {dtype}")));
        }
    }
    if fill.len() > 1 {
        return Err(Error::invalid_argument("Fill string must be one or fewer characters"));
    }
    if scientific && shortest {
        return Err(Error::invalid_argument("Cannot select both scientific and shortest notation"));
    }
    let fill = fill.bytes().next();
    if let Some(f) = fill.filter(|f| !b" +-0#".contains(f)) {
        return Err(Error::invalid_argument(format!("Fill argument not supported: \"{}\"", f as char)));
    }
    let spec = Spec::new(fill, usize::try_from(width).ok(), usize::try_from(precision).ok());
    let writer = match dtype {
        DType::Float | DType::Double => {
            let style = if shortest {
                FloatStyle::Shortest
            } else if scientific {
                FloatStyle::Scientific
            } else {
                FloatStyle::Fixed
            };
            Writer::Float(spec, style)
        }
        DType::Bool => Writer::Bool,
        DType::String => Writer::Verbatim(spec),
        DType::Variant => Writer::Variant,
        d if d.is_integer() => Writer::Integer(spec),
        d => return Err(Error::invalid_argument(format!("Type not supported: {d}"))),
    };
    Ok(kernel(1, move |ctx| {
        let input = ctx.input(0);
        let texts: Vec<Bytes> = match &writer {
            Writer::Float(spec, style) => match input.dtype() {
                DType::Float => input.values::<f32>()?.iter().map(|&x| spec.float(x as f64, *style).into()).collect(),
                _ => input.values::<f64>()?.iter().map(|&x| spec.float(x, *style).into()).collect(),
            },
            Writer::Integer(spec) => {
                ferroflow_framework::dispatch!(int, input.dtype(), T => input
                    .values::<T>()?
                    .iter()
                    .map(|&x| {
                        let v = x as i128;
                        spec.integer(v < 0, v.unsigned_abs()).into()
                    })
                    .collect(),
                    return Err(Error::invalid_argument(format!("Cannot encode input of type {}", input.dtype()))))
            }
            Writer::Bool => input.bools()?.iter().map(|&b| Bytes::from_static(if b { b"true" } else { b"false" })).collect(),
            Writer::Verbatim(spec) => input.strings()?.iter().map(|s| spec.string(s).into()).collect(),
            Writer::Variant => input.variants()?.iter().map(|v| v.0.debug_string().into()).collect(),
        };
        ctx.set_output(0, Tensor::from_strings(input.shape().clone(), texts)?);
        Ok(())
    }))
}

/// absl's `StrSplit(template, placeholder)`: an empty placeholder splits between every byte.
fn split_template(template: &[u8], placeholder: &[u8]) -> Vec<Vec<u8>> {
    if placeholder.is_empty() {
        if template.is_empty() {
            return vec![Vec::new()];
        }
        return template.iter().map(|&b| vec![b]).collect();
    }
    let mut parts = Vec::new();
    let mut rest = template;
    while let Some(at) = rest.windows(placeholder.len()).position(|w| w == placeholder) {
        parts.push(rest[..at].to_vec());
        rest = &rest[at + placeholder.len()..];
    }
    parts.push(rest.to_vec());
    parts
}

fn string_format(init: &KernelInit<'_>) -> Result<Kernel> {
    let template = init.attrs.get_string_or("template", "%s")?;
    let placeholder = init.attrs.get_string_or("placeholder", "%s")?;
    let summarize = init.attrs.get_int_or("summarize", 3)?;
    let num_inputs = init.attrs.get_list_type("T").map(|t| t.len()).unwrap_or(0);
    let parts = split_template(template.as_bytes(), placeholder.as_bytes());
    if parts.len() != num_inputs + 1 {
        return Err(Error::invalid_argument(format!(
            "num placeholders in template and num inputs must match: {} vs. {num_inputs}",
            parts.len() - 1
        )));
    }
    Ok(kernel(1, move |ctx| {
        let mut out = parts[0].clone();
        for (i, part) in parts[1..].iter().enumerate() {
            out.extend_from_slice(&summarize_value(ctx.input(i), summarize, true));
            out.extend_from_slice(part);
        }
        ctx.set_output(0, Tensor::from_strings(Vec::<i64>::new(), vec![Bytes::from(out)])?);
        Ok(())
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_split_as_absl_splits_them() {
        assert_eq!(split_template(b"x={} y={}", b"{}"), vec![b"x=".to_vec(), b" y=".to_vec(), vec![]]);
        assert_eq!(split_template(b"none", b"%s"), vec![b"none".to_vec()]);
        assert_eq!(split_template(b"ab", b""), vec![b"a".to_vec(), b"b".to_vec()]);
    }
}
