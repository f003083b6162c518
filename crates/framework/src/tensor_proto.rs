//! Conversion between `Tensor` and the wire's `TensorProto`, both ways. Decoding keeps
//! `tensor_content` as a slice of the received buffer; typed `*_val` fields follow TF's rule that
//! fewer values than elements repeat the last one (none at all means zeros).

use crate::dtype::{DType, TensorElement};
use crate::error::{Error, Result};
use crate::resource::ResourceHandle;
use crate::shape::TensorShape;
use crate::tensor::Tensor;
use bytes::Bytes;
use ferroflow_proto::TensorProto;

fn describe(p: &TensorProto) -> String {
    let dtype = ferroflow_proto::DataType::try_from(p.dtype).map(|d| d.as_str_name().to_string()).unwrap_or(p.dtype.to_string());
    let dims: Vec<String> = p.tensor_shape.iter().flat_map(|s| s.dim.iter().map(|d| d.size.to_string())).collect();
    format!("dtype: {dtype} tensor_shape: [{}] tensor_content: {} bytes", dims.join(","), p.tensor_content.len())
}

fn parse_error(p: &TensorProto, why: &str) -> Error {
    Error::invalid_argument(format!("Cannot parse tensor from proto: {} ({why})", describe(p)))
}

/// Fills `n` elements from typed values: repeats the last value, zeros when there are none.
fn fill<T: Copy + Default>(values: &[T], n: usize) -> Option<Vec<T>> {
    if values.len() > n {
        return None;
    }
    let mut out = Vec::with_capacity(n);
    out.extend_from_slice(values);
    let last = values.last().copied().unwrap_or_default();
    out.resize(n, last);
    Some(out)
}

fn typed<S: Copy + Default, T: TensorElement>(p: &TensorProto, values: &[S], n: usize, shape: TensorShape, conv: impl Fn(S) -> T) -> Result<Tensor> {
    let filled = fill(values, n).ok_or_else(|| parse_error(p, "more values than elements"))?;
    Tensor::from_vec(shape, filled.into_iter().map(conv).collect())
}

/// Decodes a tensor. Errors are INVALID_ARGUMENT (`Cannot parse tensor from proto: ...`).
pub fn tensor_from_proto(p: &TensorProto) -> Result<Tensor> {
    let dtype = DType::from_proto(p.dtype).map_err(|e| parse_error(p, &e.message))?;
    let shape = match &p.tensor_shape {
        Some(s) => TensorShape::from_proto(s).map_err(|e| parse_error(p, &e.message))?,
        None => TensorShape::scalar(),
    };
    let n = shape.dims().iter().try_fold(1usize, |acc, &d| acc.checked_mul(d as usize)).ok_or_else(|| parse_error(p, "too many elements"))?;
    if let Some(size) = dtype.size()
        && (!p.tensor_content.is_empty() || (n == 0 && dtype != DType::String))
    {
        if n.checked_mul(size) != Some(p.tensor_content.len()) {
            return Err(parse_error(p, "content length does not match shape"));
        }
        return Tensor::from_bytes(dtype, shape, p.tensor_content.clone());
    }
    match dtype {
        DType::Float => typed(p, &p.float_val, n, shape, |v| v),
        DType::Double => typed(p, &p.double_val, n, shape, |v| v),
        DType::Int32 => typed(p, &p.int_val, n, shape, |v| v),
        DType::Int16 => typed(p, &p.int_val, n, shape, |v| v as i16),
        DType::Int8 => typed(p, &p.int_val, n, shape, |v| v as i8),
        DType::UInt8 => typed(p, &p.int_val, n, shape, |v| v as u8),
        DType::UInt16 => typed(p, &p.int_val, n, shape, |v| v as u16),
        DType::Int64 => typed(p, &p.int64_val, n, shape, |v| v),
        DType::UInt32 => typed(p, &p.uint32_val, n, shape, |v| v),
        DType::UInt64 => typed(p, &p.uint64_val, n, shape, |v| v),
        DType::Bool => {
            let filled = fill(&p.bool_val, n).ok_or_else(|| parse_error(p, "more values than elements"))?;
            Tensor::from_bools(shape, filled)
        }
        DType::String => {
            if p.string_val.len() > n {
                return Err(parse_error(p, "more values than elements"));
            }
            let mut out: Vec<Bytes> = p.string_val.clone();
            let last = out.last().cloned().unwrap_or_default();
            out.resize(n, last);
            Tensor::from_strings(shape, out)
        }
        DType::Resource => {
            if p.resource_handle_val.len() != n {
                return Err(parse_error(p, "resource handle count does not match shape"));
            }
            Tensor::from_resources(shape, p.resource_handle_val.iter().map(ResourceHandle::from_proto).collect())
        }
        DType::Variant => {
            if p.variant_val.len() != n {
                return Err(parse_error(p, "variant count does not match shape"));
            }
            Tensor::from_variants(shape, p.variant_val.iter().map(crate::variant::decode).collect::<Result<_>>()?)
        }
    }
}

/// Encodes a tensor: `tensor_content` for fixed-size types (sharing the buffer), typed fields
/// otherwise. Fails only for variants that cannot leave their task.
pub fn tensor_to_proto(t: &Tensor) -> Result<TensorProto> {
    let mut p = TensorProto {
        dtype: t.dtype().to_proto(),
        tensor_shape: Some(t.shape().to_proto()),
        ..Default::default()
    };
    match t.dtype() {
        DType::String => p.string_val = t.strings().map(|s| s.to_vec()).unwrap_or_default(),
        DType::Resource => {
            p.resource_handle_val = t.resource_handles().map(|r| r.iter().map(|h| h.to_proto()).collect()).unwrap_or_default()
        }
        DType::Variant => p.variant_val = t.variants()?.iter().map(|v| v.0.encode()).collect::<Result<_>>()?,
        _ => p.tensor_content = t.raw_bytes().cloned().unwrap_or_default(),
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message as _;

    fn shape(dims: &[i64]) -> Option<ferroflow_proto::TensorShapeProto> {
        Some(TensorShape::new(dims.to_vec()).to_proto())
    }

    #[test]
    fn typed_values_repeat_the_last_one() {
        let p = TensorProto { dtype: 1, tensor_shape: shape(&[2, 3]), float_val: vec![1.0, 2.0], ..Default::default() };
        let t = tensor_from_proto(&p).unwrap();
        assert_eq!(t.values::<f32>().unwrap().as_ref(), &[1.0, 2.0, 2.0, 2.0, 2.0, 2.0]);
        let zeros = TensorProto { dtype: 9, tensor_shape: shape(&[3]), ..Default::default() };
        assert_eq!(tensor_from_proto(&zeros).unwrap().values::<i64>().unwrap().as_ref(), &[0, 0, 0]);
    }

    #[test]
    fn content_round_trips_without_copy() {
        let t = Tensor::from_vec(vec![2], vec![3.5f64, -1.0]).unwrap();
        let p = tensor_to_proto(&t).unwrap();
        assert_eq!(p.tensor_content.as_ptr(), t.raw_bytes().unwrap().as_ptr());
        let encoded = Bytes::from(p.encode_to_vec());
        let decoded = TensorProto::decode(encoded.clone()).unwrap();
        let back = tensor_from_proto(&decoded).unwrap();
        assert!(back.same_contents(&t));
        let start = encoded.as_ptr() as usize;
        let at = back.raw_bytes().unwrap().as_ptr() as usize;
        assert!(at >= start && at < start + encoded.len(), "decoded tensor should slice the message buffer");
    }

    #[test]
    fn short_content_is_invalid_argument() {
        let p = TensorProto { dtype: 1, tensor_shape: shape(&[2, 2]), tensor_content: Bytes::from_static(&[0; 12]), ..Default::default() };
        let e = tensor_from_proto(&p).unwrap_err();
        assert_eq!(e.code, crate::Code::InvalidArgument);
        assert!(e.message.starts_with("Cannot parse tensor from proto"), "{}", e.message);
    }

    #[test]
    fn strings_bools_and_resources_round_trip() {
        let s = Tensor::from_strings(vec![2], vec![Bytes::from_static(b"a"), Bytes::from_static(b"bc")]).unwrap();
        assert!(tensor_from_proto(&tensor_to_proto(&s).unwrap()).unwrap().same_contents(&s));
        let b = Tensor::from_bools(vec![3], vec![true, false, true]).unwrap();
        assert!(tensor_from_proto(&tensor_to_proto(&b).unwrap()).unwrap().same_contents(&b));
        let h = ResourceHandle { name: "v".into(), container: "localhost".into(), ..Default::default() };
        let r = Tensor::from_resources(TensorShape::scalar(), vec![h]).unwrap();
        assert!(tensor_from_proto(&tensor_to_proto(&r).unwrap()).unwrap().same_contents(&r));
    }
}
