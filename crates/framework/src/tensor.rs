//! Tensors: a dtype, a shape and a reference-counted buffer. Cloning a tensor never copies its data;
//! buffers decoded from the wire are slices of the received message. Tensors are immutable values,
//! `Send + Sync`, shared freely between threads.

use crate::dtype::{DType, TensorElement};
use crate::error::{Error, Result};
use crate::memory::Reservation;
use crate::resource::ResourceHandle;
use crate::variant::Variant;
use crate::shape::TensorShape;
use bytes::Bytes;
use std::borrow::Cow;
use std::sync::Arc;

/// The storage behind a tensor.
#[derive(Clone)]
enum TensorData {
    /// Fixed-size elements in host byte order (little endian), possibly unaligned.
    Pod(Bytes),
    Strings(Arc<[Bytes]>),
    Resources(Arc<[ResourceHandle]>),
    Variants(Arc<[Variant]>),
}

/// An n-dimensional array of one element type.
#[derive(Clone)]
pub struct Tensor {
    dtype: DType,
    shape: TensorShape,
    data: TensorData,
}

/// Owns a `Vec<T>` and exposes it as bytes, so `Bytes` can wrap it without a copy; holds the
/// buffer's memory reservation, if it has one, until the last tensor sharing it is gone.
struct PodVec<T> {
    data: Vec<T>,
    _reservation: Option<Reservation>,
}

impl<T> PodVec<T> {
    fn unaccounted(data: Vec<T>) -> PodVec<T> {
        PodVec { data, _reservation: None }
    }
}

impl<T: bytemuck::Pod> AsRef<[u8]> for PodVec<T> {
    fn as_ref(&self) -> &[u8] {
        bytemuck::cast_slice(&self.data)
    }
}

/// A tensor's buffer being written by a kernel: elements reserved against the process's memory
/// budget ([`crate::memory`]) before they were allocated, zeroed, writable; `into_tensor` makes it
/// the tensor's buffer without a copy.
pub struct TensorBuf<T> {
    data: Vec<T>,
    shape: TensorShape,
    reservation: Reservation,
}

impl<T: TensorElement> TensorBuf<T> {
    /// A zeroed buffer for a tensor of `shape`; RESOURCE_EXHAUSTED (TF's OOM message, naming
    /// `device`) when it does not fit in the budget or in memory.
    pub fn zeroed(shape: impl Into<TensorShape>, device: &str) -> Result<TensorBuf<T>> {
        let shape = shape.into();
        let reservation = crate::memory::reserve_tensor(&shape, T::DTYPE, 0, device)?;
        let n = usize::try_from(shape.dims().iter().product::<i64>()).map_err(|_| crate::memory::oom_error(shape.dims(), T::DTYPE, device))?;
        let data = bytemuck::allocation::try_zeroed_vec::<T>(n).map_err(|_| crate::memory::oom_error(shape.dims(), T::DTYPE, device))?;
        Ok(TensorBuf { data, shape, reservation })
    }

    /// A buffer for a tensor of `shape` holding `f(i)` at each flat index `i` (not zeroed first).
    pub fn from_fn(shape: impl Into<TensorShape>, device: &str, f: impl FnMut(usize) -> T) -> Result<TensorBuf<T>> {
        let shape = shape.into();
        let reservation = crate::memory::reserve_tensor(&shape, T::DTYPE, 0, device)?;
        let n = usize::try_from(shape.dims().iter().product::<i64>()).map_err(|_| crate::memory::oom_error(shape.dims(), T::DTYPE, device))?;
        let mut data = Vec::new();
        data.try_reserve_exact(n).map_err(|_| crate::memory::oom_error(shape.dims(), T::DTYPE, device))?;
        data.extend((0..n).map(f));
        Ok(TensorBuf { data, shape, reservation })
    }

    pub fn shape(&self) -> &TensorShape {
        &self.shape
    }

    /// The tensor this buffer becomes (no copy).
    pub fn into_tensor(self) -> Tensor {
        let owner = PodVec { data: self.data, _reservation: Some(self.reservation) };
        Tensor { dtype: T::DTYPE, shape: self.shape, data: TensorData::Pod(Bytes::from_owner(owner)) }
    }
}

impl<T> std::ops::Deref for TensorBuf<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.data
    }
}

impl<T> std::ops::DerefMut for TensorBuf<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.data
    }
}

impl Tensor {
    /// A tensor holding `values` (row-major) with `shape`; the vector becomes the buffer, uncopied.
    pub fn from_vec<T: TensorElement>(shape: impl Into<TensorShape>, values: Vec<T>) -> Result<Tensor> {
        let shape = shape.into();
        if values.len() != shape.num_elements() {
            return Err(Error::invalid_argument(format!(
                "{} values cannot fill a tensor of shape {shape}",
                values.len()
            )));
        }
        Ok(Tensor { dtype: T::DTYPE, shape, data: TensorData::Pod(Bytes::from_owner(PodVec::unaccounted(values))) })
    }

    /// A scalar tensor.
    pub fn scalar<T: TensorElement>(value: T) -> Tensor {
        Tensor { dtype: T::DTYPE, shape: TensorShape::scalar(), data: TensorData::Pod(Bytes::from_owner(PodVec::unaccounted(vec![value]))) }
    }

    /// A tensor over raw little-endian bytes of a fixed-size dtype; the length must match the shape.
    pub fn from_bytes(dtype: DType, shape: TensorShape, bytes: Bytes) -> Result<Tensor> {
        let Some(size) = dtype.size() else {
            return Err(Error::invalid_argument(format!("{dtype} tensors have no flat byte form")));
        };
        let want = shape.num_elements().checked_mul(size);
        if want != Some(bytes.len()) {
            return Err(Error::invalid_argument(format!(
                "{} bytes do not hold a {dtype} tensor of shape {shape} ({} bytes)",
                bytes.len(),
                want.map(|w| w.to_string()).unwrap_or_else(|| "too many".into())
            )));
        }
        Ok(Tensor { dtype, shape, data: TensorData::Pod(bytes) })
    }

    pub fn from_bools(shape: impl Into<TensorShape>, values: Vec<bool>) -> Result<Tensor> {
        let shape = shape.into();
        let bytes: Vec<u8> = values.into_iter().map(u8::from).collect();
        Tensor::from_bytes(DType::Bool, shape, Bytes::from(bytes))
    }

    pub fn from_strings(shape: impl Into<TensorShape>, values: Vec<Bytes>) -> Result<Tensor> {
        let shape = shape.into();
        if values.len() != shape.num_elements() {
            return Err(Error::invalid_argument(format!("{} strings cannot fill shape {shape}", values.len())));
        }
        Ok(Tensor { dtype: DType::String, shape, data: TensorData::Strings(values.into()) })
    }

    pub fn from_resources(shape: impl Into<TensorShape>, values: Vec<ResourceHandle>) -> Result<Tensor> {
        let shape = shape.into();
        if values.len() != shape.num_elements() {
            return Err(Error::invalid_argument(format!("{} handles cannot fill shape {shape}", values.len())));
        }
        Ok(Tensor { dtype: DType::Resource, shape, data: TensorData::Resources(values.into()) })
    }

    pub fn from_variants(shape: impl Into<TensorShape>, values: Vec<Variant>) -> Result<Tensor> {
        let shape = shape.into();
        if values.len() != shape.num_elements() {
            return Err(Error::invalid_argument(format!("{} variants cannot fill shape {shape}", values.len())));
        }
        Ok(Tensor { dtype: DType::Variant, shape, data: TensorData::Variants(values.into()) })
    }

    /// A scalar variant tensor.
    pub fn variant(value: Variant) -> Tensor {
        Tensor { dtype: DType::Variant, shape: TensorShape::scalar(), data: TensorData::Variants(vec![value].into()) }
    }

    /// A tensor of zeros (empty strings, `false`) of any dtype but resource and variant.
    pub fn zeros(dtype: DType, shape: impl Into<TensorShape>) -> Result<Tensor> {
        let shape = shape.into();
        let n = shape.num_elements();
        match dtype {
            DType::String => Tensor::from_strings(shape, vec![Bytes::new(); n]),
            DType::Resource | DType::Variant => Err(Error::invalid_argument(format!("{dtype} tensors have no zero value"))),
            _ => {
                let size = dtype.size().unwrap_or(1);
                Tensor::from_bytes(dtype, shape, Bytes::from(vec![0u8; n * size]))
            }
        }
    }

    /// A tensor with the same buffer and a new shape of the same element count.
    pub fn reshaped(&self, shape: TensorShape) -> Result<Tensor> {
        if shape.num_elements() != self.num_elements() {
            return Err(Error::invalid_argument(format!(
                "Cannot reshape a tensor with {} elements to shape {shape} ({} elements)",
                self.num_elements(),
                shape.num_elements()
            )));
        }
        Ok(Tensor { dtype: self.dtype, shape, data: self.data.clone() })
    }

    pub fn dtype(&self) -> DType {
        self.dtype
    }

    pub fn shape(&self) -> &TensorShape {
        &self.shape
    }

    pub fn dims(&self) -> &[i64] {
        self.shape.dims()
    }

    pub fn rank(&self) -> usize {
        self.shape.rank()
    }

    pub fn num_elements(&self) -> usize {
        self.shape.num_elements()
    }

    /// The raw buffer of a fixed-size dtype tensor.
    pub fn raw_bytes(&self) -> Option<&Bytes> {
        match &self.data {
            TensorData::Pod(b) => Some(b),
            _ => None,
        }
    }

    /// Total bytes of element data (strings counted by their lengths).
    pub fn byte_size(&self) -> usize {
        match &self.data {
            TensorData::Pod(b) => b.len(),
            TensorData::Strings(s) => s.iter().map(|b| b.len()).sum(),
            TensorData::Resources(r) => r.len() * std::mem::size_of::<ResourceHandle>(),
            TensorData::Variants(v) => v.len() * std::mem::size_of::<Variant>(),
        }
    }

    fn type_error(&self, wanted: DType) -> Error {
        Error::invalid_argument(format!("Expected a {wanted} tensor, got {} with shape {}", self.dtype, self.shape))
    }

    /// The elements as a slice of `T`: borrowed when the buffer is aligned for `T`, else an aligned copy.
    pub fn values<T: TensorElement>(&self) -> Result<Cow<'_, [T]>> {
        match &self.data {
            TensorData::Pod(b) if self.dtype == T::DTYPE => Ok(match bytemuck::try_cast_slice::<u8, T>(b) {
                Ok(s) => Cow::Borrowed(s),
                Err(_) => Cow::Owned(bytemuck::pod_collect_to_vec(b)),
            }),
            _ => Err(self.type_error(T::DTYPE)),
        }
    }

    /// The elements as an owned vector (one copy).
    pub fn to_vec<T: TensorElement>(&self) -> Result<Vec<T>> {
        Ok(self.values::<T>()?.into_owned())
    }

    /// The one element of a tensor with exactly one element.
    pub fn scalar_value<T: TensorElement>(&self) -> Result<T> {
        let v = self.values::<T>()?;
        if v.len() != 1 {
            return Err(Error::invalid_argument(format!("Expected a scalar, got shape {}", self.shape)));
        }
        Ok(v[0])
    }

    /// The value of a bool tensor of rank 0, without copying it out (`None` for any other tensor).
    pub fn bool_scalar(&self) -> Option<bool> {
        match &self.data {
            TensorData::Pod(b) if self.dtype == DType::Bool && self.shape.rank() == 0 && b.len() == 1 => Some(b[0] != 0),
            _ => None,
        }
    }

    pub fn bools(&self) -> Result<Vec<bool>> {
        match &self.data {
            TensorData::Pod(b) if self.dtype == DType::Bool => Ok(b.iter().map(|&x| x != 0).collect()),
            _ => Err(self.type_error(DType::Bool)),
        }
    }

    pub fn strings(&self) -> Result<&[Bytes]> {
        match &self.data {
            TensorData::Strings(s) => Ok(s),
            _ => Err(self.type_error(DType::String)),
        }
    }

    pub fn resource_handles(&self) -> Result<&[ResourceHandle]> {
        match &self.data {
            TensorData::Resources(r) => Ok(r),
            _ => Err(self.type_error(DType::Resource)),
        }
    }

    pub fn variants(&self) -> Result<&[Variant]> {
        match &self.data {
            TensorData::Variants(v) => Ok(v),
            _ => Err(self.type_error(DType::Variant)),
        }
    }

    /// Values as `i64` for any integer tensor (int32 or int64), as shape-like inputs are given.
    pub fn to_i64_vec(&self) -> Result<Vec<i64>> {
        match self.dtype {
            DType::Int32 => Ok(self.values::<i32>()?.iter().map(|&v| v as i64).collect()),
            DType::Int64 => Ok(self.values::<i64>()?.into_owned()),
            other => Err(Error::invalid_argument(format!("Expected an int32 or int64 tensor, got {other}"))),
        }
    }

    /// True when both tensors have the same dtype, shape and elements (bitwise for floats).
    pub fn same_contents(&self, other: &Tensor) -> bool {
        if self.dtype != other.dtype || self.shape != other.shape {
            return false;
        }
        match (&self.data, &other.data) {
            (TensorData::Pod(a), TensorData::Pod(b)) => a == b,
            (TensorData::Strings(a), TensorData::Strings(b)) => a == b,
            (TensorData::Resources(a), TensorData::Resources(b)) => a == b,
            (TensorData::Variants(a), TensorData::Variants(b)) => a == b,
            _ => false,
        }
    }
}

impl std::fmt::Debug for Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tensor<{}, {}>", self.dtype, self.shape)?;
        const SHOW: usize = 8;
        let body = crate::dispatch!(real, self.dtype, T => {
            self.values::<T>().map(|v| format!("{:?}", &v[..v.len().min(SHOW)])).unwrap_or_default()
        }, match self.dtype {
            DType::Bool => self.bools().map(|v| format!("{:?}", &v[..v.len().min(SHOW)])).unwrap_or_default(),
            DType::String => self.strings().map(|v| format!("{:?}", &v[..v.len().min(SHOW)])).unwrap_or_default(),
            DType::Variant => self.variants().map(|v| format!("{:?}", &v[..v.len().min(SHOW)])).unwrap_or_default(),
            _ => self.resource_handles().map(|v| format!("{:?}", &v[..v.len().min(SHOW)])).unwrap_or_default(),
        });
        write!(f, "{body}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_become_buffers_and_read_back() {
        let t = Tensor::from_vec(vec![2, 2], vec![1.0f32, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!(t.values::<f32>().unwrap().as_ref(), &[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(t.raw_bytes().unwrap().len(), 16);
        assert!(t.values::<i32>().is_err());
        assert!(Tensor::from_vec(vec![3], vec![1i32]).is_err());
    }

    #[test]
    fn unaligned_buffers_are_read_through_a_copy() {
        let mut raw = vec![0u8; 9];
        raw[1..5].copy_from_slice(&7i32.to_le_bytes());
        raw[5..9].copy_from_slice(&9i32.to_le_bytes());
        let bytes = Bytes::from(raw).slice(1..);
        let t = Tensor::from_bytes(DType::Int32, TensorShape::vector(2), bytes).unwrap();
        assert_eq!(t.values::<i32>().unwrap().as_ref(), &[7, 9]);
    }

    #[test]
    fn byte_length_must_match_shape() {
        let e = Tensor::from_bytes(DType::Float, TensorShape::vector(2), Bytes::from_static(&[0; 7])).unwrap_err();
        assert_eq!(e.code, crate::Code::InvalidArgument);
    }

    #[test]
    fn reshape_shares_the_buffer() {
        let t = Tensor::from_vec(vec![4], vec![1i64, 2, 3, 4]).unwrap();
        let r = t.reshaped(TensorShape::new(vec![2, 2])).unwrap();
        assert_eq!(r.raw_bytes().unwrap().as_ptr(), t.raw_bytes().unwrap().as_ptr());
        assert!(t.reshaped(TensorShape::new(vec![3])).is_err());
    }
}
