//! Dtype-generic element movement for the data-movement ops (tile, gather, concat, slice,
//! transpose, pad, ...). Fixed-size elements are handled as unsigned words of their width (bool and
//! uint8 as `u8`, float and int32 as `u32`, ...), strings as `Bytes` and resource handles by clone,
//! so one monomorphic copy loop per width serves every dtype. Stateless functions; safe to call
//! from any thread.

use bytes::Bytes;
use ferroflow_framework::{DType, Error, ResourceHandle, Result, Tensor, TensorShape};
use std::borrow::Cow;

/// An element as data-movement code sees it.
pub(crate) trait Elem: Clone + Default + Send + Sync + 'static {}

impl Elem for u8 {}
impl Elem for u16 {}
impl Elem for u32 {}
impl Elem for u64 {}
impl Elem for Bytes {}
impl Elem for ResourceHandle {}

/// A data-movement computation: appends the output's elements, in row-major order, to `out`
/// (whose capacity is already the output's element count) from the inputs' element slices.
pub(crate) trait Mover {
    fn fill<E: Elem>(&self, srcs: &[&[E]], out: &mut Vec<E>) -> Result<()>;
}

/// Owns a vector of words and exposes it as bytes, so a `Bytes` can wrap it without a copy.
struct WordVec<W>(Vec<W>);

impl<W: bytemuck::Pod> AsRef<[u8]> for WordVec<W> {
    fn as_ref(&self) -> &[u8] {
        bytemuck::cast_slice(&self.0)
    }
}

/// The elements of a fixed-size tensor as words of type `W` (borrowed when aligned).
fn words<W: bytemuck::Pod>(t: &Tensor) -> Result<Cow<'_, [W]>> {
    let bytes = t.raw_bytes().ok_or_else(|| Error::internal(format!("{} tensor has no flat buffer", t.dtype())))?;
    Ok(match bytemuck::try_cast_slice::<u8, W>(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(bytemuck::pod_collect_to_vec(bytes)),
    })
}

fn run<E: Elem, M: Mover>(m: &M, srcs: &[&[E]], n: usize, shape: &TensorShape) -> Result<Vec<E>> {
    let mut out = Vec::new();
    out.try_reserve_exact(n)
        .map_err(|_| Error::resource_exhausted(format!("OOM when allocating tensor with shape{shape} on the CPU")))?;
    m.fill(srcs, &mut out)?;
    if out.len() != n {
        return Err(Error::internal(format!("data movement produced {} of {n} elements for shape {shape}", out.len())));
    }
    Ok(out)
}

fn pod<W: bytemuck::Pod + Elem, M: Mover>(dtype: DType, srcs: &[&Tensor], shape: TensorShape, m: &M) -> Result<Tensor> {
    let views: Vec<Cow<'_, [W]>> = srcs.iter().map(|t| words::<W>(t)).collect::<Result<_>>()?;
    let slices: Vec<&[W]> = views.iter().map(|c| c.as_ref()).collect();
    let out = run(m, &slices, shape.num_elements(), &shape)?;
    Tensor::from_bytes(dtype, shape, Bytes::from_owner(WordVec(out)))
}

/// Builds a `dtype` tensor of `shape` by running `m` over the elements of `srcs` (all `dtype`).
pub(crate) fn move_elements<M: Mover>(dtype: DType, srcs: &[&Tensor], shape: TensorShape, m: &M) -> Result<Tensor> {
    if let Some(t) = srcs.iter().find(|t| t.dtype() != dtype) {
        return Err(Error::invalid_argument(format!(
            "Expected a {dtype} tensor, got {} with shape {}",
            t.dtype(),
            t.shape()
        )));
    }
    match dtype {
        DType::String => {
            let views: Vec<&[Bytes]> = srcs.iter().map(|t| t.strings()).collect::<Result<_>>()?;
            let out = run(m, &views, shape.num_elements(), &shape)?;
            Tensor::from_strings(shape, out)
        }
        DType::Resource => {
            let views: Vec<&[ResourceHandle]> = srcs.iter().map(|t| t.resource_handles()).collect::<Result<_>>()?;
            let out = run(m, &views, shape.num_elements(), &shape)?;
            Tensor::from_resources(shape, out)
        }
        _ => match dtype.size() {
            Some(1) => pod::<u8, M>(dtype, srcs, shape, m),
            Some(2) => pod::<u16, M>(dtype, srcs, shape, m),
            Some(4) => pod::<u32, M>(dtype, srcs, shape, m),
            Some(8) => pod::<u64, M>(dtype, srcs, shape, m),
            _ => Err(Error::unimplemented(format!("no element mover for {dtype}"))),
        },
    }
}

/// A `Mover` that repeats the first element of its first input `n` times.
pub(crate) struct Splat(pub usize);

impl Mover for Splat {
    fn fill<E: Elem>(&self, srcs: &[&[E]], out: &mut Vec<E>) -> Result<()> {
        let v = srcs[0].first().cloned().ok_or_else(|| Error::internal("splat of an empty tensor"))?;
        out.resize(self.0, v);
        Ok(())
    }
}

/// Shares a contiguous range of a tensor's elements as a new tensor of `shape` when the dtype has
/// a flat buffer; `None` for strings and resources (callers copy those).
pub(crate) fn share_range(t: &Tensor, start: usize, shape: TensorShape) -> Option<Result<Tensor>> {
    let size = t.dtype().size()?;
    let bytes = t.raw_bytes()?;
    let len = shape.num_elements() * size;
    let from = start * size;
    if from + len > bytes.len() {
        return Some(Err(Error::internal("shared range exceeds the buffer")));
    }
    Some(Tensor::from_bytes(t.dtype(), shape, bytes.slice(from..from + len)))
}

/// A computation that writes every element of an output whose buffer is already allocated (and
/// holds default elements: zeros, empty strings) from the inputs' element slices.
pub(crate) trait Filler {
    fn fill<E: Elem>(&self, srcs: &[&[E]], out: &mut [E]) -> Result<()>;
}

fn fill_pod<W: bytemuck::Pod + Elem + ferroflow_framework::TensorElement, F: Filler>(
    ctx: &ferroflow_framework::OpKernelContext<'_>,
    dtype: DType,
    srcs: &[&Tensor],
    shape: TensorShape,
    f: &F,
) -> Result<Tensor> {
    let views: Vec<Cow<'_, [W]>> = srcs.iter().map(|t| words::<W>(t)).collect::<Result<_>>()?;
    let slices: Vec<&[W]> = views.iter().map(|c| c.as_ref()).collect();
    let mut buf = ctx.allocate::<W>(shape.clone())?;
    f.fill(&slices, &mut buf)?;
    let t = buf.into_tensor();
    let bytes = t.raw_bytes().cloned().ok_or_else(|| Error::internal("allocated tensor has no flat buffer"))?;
    Tensor::from_bytes(dtype, shape, bytes)
}

/// A vector of `n` default elements for an output of `shape`, reserved against the memory budget
/// first (TF's OOM error when it does not fit) and allocated fallibly.
pub(crate) fn budgeted_vec<E: Elem>(ctx: &ferroflow_framework::OpKernelContext<'_>, dtype: DType, shape: &TensorShape) -> Result<Vec<E>> {
    let device = ctx.step.device_name.as_str();
    let _check = ferroflow_framework::memory::reserve_tensor(shape, dtype, 0, device)?;
    let n = shape.num_elements();
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| ferroflow_framework::memory::oom_error(shape.dims(), dtype, device))?;
    v.resize(n, E::default());
    Ok(v)
}

/// Builds a `dtype` tensor of `shape` (allocated through the context, so a size taken from input
/// values is checked against the memory budget) by running `f` over the elements of `srcs`.
pub(crate) fn fill_elements<F: Filler>(
    ctx: &ferroflow_framework::OpKernelContext<'_>,
    dtype: DType,
    srcs: &[&Tensor],
    shape: TensorShape,
    f: &F,
) -> Result<Tensor> {
    if let Some(t) = srcs.iter().find(|t| t.dtype() != dtype) {
        return Err(Error::invalid_argument(format!("Expected a {dtype} tensor, got {} with shape {}", t.dtype(), t.shape())));
    }
    match dtype {
        DType::String => {
            let views: Vec<&[Bytes]> = srcs.iter().map(|t| t.strings()).collect::<Result<_>>()?;
            let mut out = budgeted_vec::<Bytes>(ctx, dtype, &shape)?;
            f.fill(&views, &mut out)?;
            Tensor::from_strings(shape, out)
        }
        DType::Resource => {
            let views: Vec<&[ResourceHandle]> = srcs.iter().map(|t| t.resource_handles()).collect::<Result<_>>()?;
            let mut out = budgeted_vec::<ResourceHandle>(ctx, dtype, &shape)?;
            f.fill(&views, &mut out)?;
            Tensor::from_resources(shape, out)
        }
        _ => match dtype.size() {
            Some(1) => fill_pod::<u8, F>(ctx, dtype, srcs, shape, f),
            Some(2) => fill_pod::<u16, F>(ctx, dtype, srcs, shape, f),
            Some(4) => fill_pod::<u32, F>(ctx, dtype, srcs, shape, f),
            Some(8) => fill_pod::<u64, F>(ctx, dtype, srcs, shape, f),
            _ => Err(Error::unimplemented(format!("no element filler for {dtype}"))),
        },
    }
}
