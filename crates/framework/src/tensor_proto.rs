//! Conversion between `Tensor` and the wire's `TensorProto`, both ways. Decoding keeps
//! `tensor_content` as a slice of the received buffer; typed `*_val` fields follow TF's rule that
//! fewer values than elements repeat the last one (none at all means zeros). String tensors come
//! either as `string_val` or, as TF clients send fed strings, packed in `tensor_content`. Sizes
//! taken from a request are reserved against the memory budget before anything is allocated.

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

/// Where decoded tensors are accounted in the OOM message: a request's tensors have no device yet.
const DECODE_DEVICE: &str = "/device:CPU:0";

/// Allocates room for `n` elements, refusing (RESOURCE_EXHAUSTED) what the memory budget or the
/// allocator cannot hold: `n` comes from a request's shape, so it is never trusted.
fn try_with_capacity<T>(n: usize, shape: &TensorShape, dtype: DType) -> Result<Vec<T>> {
    let _fits = crate::memory::reserve_tensor(shape, dtype, 0, DECODE_DEVICE)?;
    let mut out = Vec::new();
    out.try_reserve_exact(n).map_err(|_| crate::memory::oom_error(shape.dims(), dtype, DECODE_DEVICE))?;
    Ok(out)
}

/// Fills `n` elements from typed values: repeats the last value, zeros when there are none.
fn fill<T: Clone + Default>(p: &TensorProto, values: &[T], n: usize, shape: &TensorShape, dtype: DType) -> Result<Vec<T>> {
    if values.len() > n {
        return Err(parse_error(p, "more values than elements"));
    }
    let mut out = try_with_capacity(n, shape, dtype)?;
    out.extend_from_slice(values);
    let last = values.last().cloned().unwrap_or_default();
    out.resize(n, last);
    Ok(out)
}

fn typed<S: Copy + Default, T: TensorElement>(p: &TensorProto, values: &[S], n: usize, shape: TensorShape, conv: impl Fn(S) -> T) -> Result<Tensor> {
    let filled = fill(p, values, n, &shape, T::DTYPE)?;
    Tensor::from_vec(shape, filled.into_iter().map(conv).collect())
}

/// Reads a varint32 at the front of `buf`, returning it and the bytes it took.
fn read_varint32(buf: &[u8]) -> Option<(u32, usize)> {
    let mut value = 0u32;
    for (i, &b) in buf.iter().take(5).enumerate() {
        value |= u32::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// Decodes string elements packed in `tensor_content` as TF's `EncodeStringList` writes them (what a
/// TF client sends for a fed string tensor): the `n` lengths as varint32s, then the bytes of each
/// string back to back. The elements are slices of the received buffer.
fn decode_string_content(p: &TensorProto, n: usize, shape: &TensorShape) -> Result<Vec<Bytes>> {
    let content = &p.tensor_content;
    let truncated = || parse_error(p, "string content is truncated");
    // Every length takes at least one byte, so a shape with more elements than bytes is malformed;
    // checking first keeps a request's shape from sizing the allocation.
    if n > content.len() {
        return Err(truncated());
    }
    let mut lengths = try_with_capacity::<usize>(n, shape, DType::String)?;
    let mut at = 0usize;
    for _ in 0..n {
        let (len, used) = read_varint32(&content[at..]).ok_or_else(truncated)?;
        lengths.push(len as usize);
        at += used;
    }
    let mut out = try_with_capacity::<Bytes>(n, shape, DType::String)?;
    for len in lengths {
        let end = at.checked_add(len).filter(|&end| end <= content.len()).ok_or_else(truncated)?;
        out.push(content.slice(at..end));
        at = end;
    }
    if at != content.len() {
        return Err(parse_error(p, "string content is longer than its elements"));
    }
    Ok(out)
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
            let filled = fill(p, &p.bool_val, n, &shape, DType::Bool)?;
            Tensor::from_bools(shape, filled)
        }
        DType::String if !p.tensor_content.is_empty() => {
            let strings = decode_string_content(p, n, &shape)?;
            Tensor::from_strings(shape, strings)
        }
        DType::String => {
            let strings = fill(p, &p.string_val, n, &shape, DType::String)?;
            Tensor::from_strings(shape, strings)
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

    /// TF's `EncodeStringList`: varint32 lengths, then the bytes.
    fn encode_string_list(strings: &[&[u8]]) -> Bytes {
        let mut out = Vec::new();
        for s in strings {
            let mut len = s.len() as u32;
            while len >= 0x80 {
                out.push((len as u8) | 0x80);
                len >>= 7;
            }
            out.push(len as u8);
        }
        for s in strings {
            out.extend_from_slice(s);
        }
        Bytes::from(out)
    }

    #[test]
    fn strings_packed_in_content_decode_as_tf_clients_send_them() {
        let long = vec![b'x'; 300];
        let content = encode_string_list(&[b"/tmp/ckpt/model", b"", &long]);
        let p = TensorProto { dtype: 7, tensor_shape: shape(&[3]), tensor_content: content, ..Default::default() };
        let t = tensor_from_proto(&p).unwrap();
        let s = t.strings().unwrap();
        assert_eq!(s[0].as_ref(), b"/tmp/ckpt/model");
        assert_eq!(s[1].as_ref(), b"");
        assert_eq!(s[2].as_ref(), long.as_slice());
        let scalar = TensorProto { dtype: 7, tensor_content: encode_string_list(&[b"abc"]), ..Default::default() };
        assert_eq!(tensor_from_proto(&scalar).unwrap().strings().unwrap()[0].as_ref(), b"abc");
    }

    #[test]
    fn malformed_string_content_is_invalid_argument() {
        let cases = [
            (shape(&[2]), Bytes::from_static(&[3, b'a', b'b', b'c'])),
            (shape(&[1]), Bytes::from_static(&[5, b'a'])),
            (shape(&[1]), Bytes::from_static(&[1, b'a', b'b'])),
            (shape(&[1]), Bytes::from_static(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff])),
            (shape(&[1 << 40]), Bytes::from_static(&[0])),
        ];
        for (tensor_shape, content) in cases {
            let p = TensorProto { dtype: 7, tensor_shape, tensor_content: content, ..Default::default() };
            let e = tensor_from_proto(&p).unwrap_err();
            assert_eq!(e.code, crate::Code::InvalidArgument, "{}", e.message);
            assert!(e.message.starts_with("Cannot parse tensor from proto"), "{}", e.message);
        }
    }

    #[test]
    fn huge_shapes_with_few_values_are_resource_exhausted_not_an_abort() {
        for dtype in [1, 7, 10] {
            let p = TensorProto { dtype, tensor_shape: shape(&[1 << 40]), ..Default::default() };
            let e = tensor_from_proto(&p).unwrap_err();
            assert_eq!(e.code, crate::Code::ResourceExhausted, "{}", e.message);
            assert!(e.message.starts_with("OOM when allocating tensor with shape[1099511627776]"), "{}", e.message);
        }
    }
}
