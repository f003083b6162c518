//! Whole-tensor helpers shared by the kernels whose values hold tensors (TensorLists, optionals,
//! TensorArrays), after TF's `tensor_ops_util`: the zero of a tensor of any dtype (variants by
//! their own `zeros_like`), the sum of two tensors (variants by their own `add`, with TF's
//! messages), zeros of a shape, and dtype-generic joining and slicing along the first dimension
//! (the data movement of stacking, gathering, concatenating, splitting and scattering).
//!
//! Outputs whose size comes from inputs are reserved against the process's memory budget (TF's
//! OOM error) before they are allocated. Stateless functions; safe from any thread.

use crate::cwise::num::Num;
use bytes::Bytes;
use ferroflow_framework::memory::{Reservation, reserve_tensor};
use ferroflow_framework::variant::Variant;
use ferroflow_framework::{DType, Error, Result, Tensor, TensorShape, dispatch};

/// A byte buffer that keeps its memory reservation until the last tensor sharing it is gone.
struct Accounted {
    data: Vec<u8>,
    _reservation: Reservation,
}

impl AsRef<[u8]> for Accounted {
    fn as_ref(&self) -> &[u8] {
        &self.data
    }
}

/// A fixed-size `dtype` tensor of `shape` whose bytes `fill` writes (into a zeroed buffer).
fn pod_tensor(dtype: DType, shape: TensorShape, device: &str, fill: impl FnOnce(&mut [u8])) -> Result<Tensor> {
    let size = dtype.size().ok_or_else(|| Error::internal(format!("{dtype} has no fixed size")))?;
    let reservation = reserve_tensor(&shape, dtype, 0, device)?;
    let n = shape.num_elements().checked_mul(size).ok_or_else(|| ferroflow_framework::memory::oom_error(shape.dims(), dtype, device))?;
    let mut data = Vec::new();
    data.try_reserve_exact(n).map_err(|_| ferroflow_framework::memory::oom_error(shape.dims(), dtype, device))?;
    data.resize(n, 0);
    fill(&mut data);
    Tensor::from_bytes(dtype, shape, Bytes::from_owner(Accounted { data, _reservation: reservation }))
}

/// A vector of `n` elements, reserved fallibly (the count may come from a request).
fn try_vec<T>(n: usize, shape: &TensorShape, dtype: DType, device: &str) -> Result<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| ferroflow_framework::memory::oom_error(shape.dims(), dtype, device))?;
    Ok(v)
}

/// The value a variant tensor's elements hold before anything is stored in them (TF's
/// default-constructed `Variant`), as zero-filled variant tensors carry it.
#[derive(Debug)]
pub(crate) struct EmptyVariant;

impl ferroflow_framework::VariantValue for EmptyVariant {
    fn type_name(&self) -> &str {
        ""
    }
    fn debug_string(&self) -> String {
        "[empty]".to_string()
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// A tensor of zeros of any dtype (empty strings, `false`, empty variants), as TF's
/// `SetZeroFunctor` fills uninitialized elements.
pub(crate) fn zeros(dtype: DType, shape: TensorShape, device: &str) -> Result<Tensor> {
    let n = shape.num_elements();
    match dtype {
        DType::String => {
            let mut v = try_vec(n, &shape, dtype, device)?;
            v.resize(n, Bytes::new());
            Tensor::from_strings(shape, v)
        }
        DType::Variant => {
            let mut v = try_vec(n, &shape, dtype, device)?;
            let empty = Variant::new(EmptyVariant);
            v.resize(n, empty);
            Tensor::from_variants(shape, v)
        }
        DType::Resource => Err(Error::invalid_argument("Trying to compute zeros for unsupported dtype resource")),
        _ => pod_tensor(dtype, shape, device, |_| {}),
    }
}

/// TF's `ZerosLikeTensor`: zeros of the tensor's dtype and shape; each variant element's own zero.
pub(crate) fn zeros_like_tensor(t: &Tensor, device: &str) -> Result<Tensor> {
    match t.dtype() {
        DType::Variant => {
            let zs: Vec<Variant> = t.variants()?.iter().map(|v| v.0.zeros_like()).collect::<Result<_>>()?;
            Tensor::from_variants(t.shape().clone(), zs)
        }
        DType::String | DType::Resource => {
            Err(Error::invalid_argument(format!("Trying to compute zeros_like for unsupported dtype {}", t.dtype())))
        }
        d => zeros(d, t.shape().clone(), device),
    }
}

/// TF's `BinaryAddTensors` for two elements that may be uninitialized (`None`, TF's `DT_INVALID`):
/// an uninitialized side gives the other.
pub(crate) fn add_elements(a: &Option<Tensor>, b: &Option<Tensor>, device: &str) -> Result<Option<Tensor>> {
    match (a, b) {
        (None, _) => Ok(b.clone()),
        (_, None) => Ok(a.clone()),
        (Some(a), Some(b)) => add_tensors(a, b, device).map(Some),
    }
}

/// The two variants' sum, when they hold values of one type (TF's `BinaryOpVariants`).
pub(crate) fn add_variants(a: &Variant, b: &Variant) -> Result<Variant> {
    if a.type_name() != b.type_name() || a.0.as_any().type_id() != b.0.as_any().type_id() {
        return Err(Error::internal(format!(
            "BinaryOpVariants: Variants a and b have different type ids.  Type names: '{}' vs. '{}'",
            a.type_name(),
            b.type_name()
        )));
    }
    a.0.add(b)
}

/// TF's `BinaryAddTensors`: the element-wise sum of two tensors of one dtype and shape.
pub(crate) fn add_tensors(a: &Tensor, b: &Tensor, device: &str) -> Result<Tensor> {
    if a.dtype() != b.dtype() {
        return Err(Error::invalid_argument(format!(
            "Trying to add two tensors with incompatible element types. One is {} and the other is {}",
            a.dtype(),
            b.dtype()
        )));
    }
    if a.shape() != b.shape() {
        return Err(Error::invalid_argument(format!(
            "Trying to add two tensors with incompatible element shapes. One is {} and the other is {}",
            a.shape(),
            b.shape()
        )));
    }
    if a.dtype() == DType::Variant {
        let sums: Vec<Variant> =
            a.variants()?.iter().zip(b.variants()?).map(|(x, y)| add_variants(x, y)).collect::<Result<_>>()?;
        return Tensor::from_variants(a.shape().clone(), sums);
    }
    dispatch!(real, a.dtype(), T => add_typed::<T>(a, b, device),
        Err(Error::invalid_argument(format!("Trying to add unsupported dtype {}", a.dtype().to_proto()))))
}

fn add_typed<T: Num>(a: &Tensor, b: &Tensor, device: &str) -> Result<Tensor> {
    let (x, y) = (a.values::<T>()?, b.values::<T>()?);
    let out = ferroflow_framework::TensorBuf::<T>::from_fn(a.shape().clone(), device, |i| x[i].add(y[i]))?;
    Ok(out.into_tensor())
}

/// Joins tensors of one dtype along their first dimension (`row_shape` is the shape of each piece
/// without it; pieces may have different first dimensions): the concatenation, with shape
/// `[sum of first dims] + row_shape`. With `stack`, each piece is one row (`row_shape` is the
/// whole piece) and the result is their stack.
pub(crate) fn join_rows(dtype: DType, pieces: &[&Tensor], out_shape: TensorShape, device: &str) -> Result<Tensor> {
    let n = out_shape.num_elements();
    let have: usize = pieces.iter().map(|p| p.num_elements()).sum();
    if have != n {
        return Err(Error::internal(format!("joining {have} elements into a tensor of shape {out_shape}")));
    }
    if let Some(p) = pieces.iter().find(|p| p.dtype() != dtype) {
        return Err(Error::internal(format!("joining a {} piece into a {dtype} tensor", p.dtype())));
    }
    match dtype {
        DType::String => {
            let mut v = try_vec(n, &out_shape, dtype, device)?;
            for p in pieces {
                v.extend_from_slice(p.strings()?);
            }
            Tensor::from_strings(out_shape, v)
        }
        DType::Variant => {
            let mut v = try_vec(n, &out_shape, dtype, device)?;
            for p in pieces {
                v.extend_from_slice(p.variants()?);
            }
            Tensor::from_variants(out_shape, v)
        }
        DType::Resource => {
            let mut v = try_vec(n, &out_shape, dtype, device)?;
            for p in pieces {
                v.extend_from_slice(p.resource_handles()?);
            }
            Tensor::from_resources(out_shape, v)
        }
        _ => pod_tensor(dtype, out_shape, device, |out| {
            let mut at = 0;
            for p in pieces {
                let bytes = p.raw_bytes().map(|b| b.as_ref()).unwrap_or(&[]);
                out[at..at + bytes.len()].copy_from_slice(bytes);
                at += bytes.len();
            }
        }),
    }
}

/// Rows `start..start + len` of `t` along its first dimension, as a tensor of shape
/// `[len] + t.shape[1:]` (or `row_shape` when given, which must hold the same elements). Fixed-size
/// dtypes share `t`'s buffer; strings, variants and handles are cloned.
pub(crate) fn rows(t: &Tensor, start: usize, len: usize, shape: TensorShape) -> Result<Tensor> {
    let row: usize = t.dims().iter().skip(1).map(|&d| d as usize).product();
    let (from, count) = (start * row, len * row);
    if from + count > t.num_elements() || shape.num_elements() != count {
        return Err(Error::internal(format!("rows {start}..{} of a tensor of shape {}", start + len, t.shape())));
    }
    match t.dtype() {
        DType::String => Tensor::from_strings(shape, t.strings()?[from..from + count].to_vec()),
        DType::Variant => Tensor::from_variants(shape, t.variants()?[from..from + count].to_vec()),
        DType::Resource => Tensor::from_resources(shape, t.resource_handles()?[from..from + count].to_vec()),
        d => {
            let size = d.size().unwrap_or(1);
            let bytes = t.raw_bytes().ok_or_else(|| Error::internal("fixed-size tensor without a buffer"))?;
            Tensor::from_bytes(d, shape, bytes.slice(from * size..(from + count) * size))
        }
    }
}

/// Row `i` of `t` along its first dimension, without that dimension.
pub(crate) fn row(t: &Tensor, i: usize) -> Result<Tensor> {
    rows(t, i, 1, TensorShape::new(t.dims()[1..].to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEV: &str = "/job:localhost/replica:0/task:0/device:CPU:0";

    #[test]
    fn sums_and_zeros_follow_tensorflow() {
        let a = Tensor::from_vec(vec![2], vec![1i32, 2]).unwrap();
        let b = Tensor::from_vec(vec![2], vec![10i32, i32::MAX]).unwrap();
        assert_eq!(add_tensors(&a, &b, DEV).unwrap().to_vec::<i32>().unwrap(), vec![11, i32::MIN + 1]);
        let c = Tensor::from_vec(vec![1], vec![1i32]).unwrap();
        assert_eq!(
            add_tensors(&a, &c, DEV).unwrap_err().message,
            "Trying to add two tensors with incompatible element shapes. One is [2] and the other is [1]"
        );
        let s = Tensor::from_strings(vec![1], vec![Bytes::from_static(b"x")]).unwrap();
        assert_eq!(add_tensors(&s, &s, DEV).unwrap_err().message, "Trying to add unsupported dtype 7");
        assert_eq!(zeros_like_tensor(&s, DEV).unwrap_err().message, "Trying to compute zeros_like for unsupported dtype string");
        let z = zeros_like_tensor(&Tensor::from_bools(vec![3], vec![true; 3]).unwrap(), DEV).unwrap();
        assert_eq!(z.bools().unwrap(), vec![false; 3]);
        assert_eq!(add_elements(&None, &Some(a.clone()), DEV).unwrap().unwrap().to_vec::<i32>().unwrap(), vec![1, 2]);
        assert!(add_elements(&None, &None, DEV).unwrap().is_none());
    }

    #[test]
    fn rows_share_buffers_and_join_back() {
        let t = Tensor::from_vec(vec![3, 2], vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        let r = row(&t, 1).unwrap();
        assert_eq!(r.to_vec::<f32>().unwrap(), vec![3.0, 4.0]);
        assert_eq!(r.raw_bytes().unwrap().as_ptr(), t.raw_bytes().unwrap()[8..].as_ptr());
        let tail = rows(&t, 1, 2, TensorShape::new(vec![2, 2])).unwrap();
        let joined = join_rows(DType::Float, &[&row(&t, 0).unwrap(), &tail], TensorShape::new(vec![3, 2]), DEV).unwrap();
        assert!(joined.same_contents(&t));
        let s = Tensor::from_strings(vec![2], vec![Bytes::from_static(b"a"), Bytes::from_static(b"b")]).unwrap();
        let j = join_rows(DType::String, &[&row(&s, 1).unwrap(), &row(&s, 0).unwrap()], TensorShape::new(vec![2]), DEV).unwrap();
        assert_eq!(j.strings().unwrap()[0], Bytes::from_static(b"b"));
        assert!(join_rows(DType::Float, &[&tail], TensorShape::new(vec![3, 2]), DEV).is_err());
    }
}
