//! Bincount, DenseBincount and HistogramFixedWidth: counts of values per bin. Stateless kernels;
//! the number of bins comes from an input's value, so outputs are allocated through the context.
//! Bins are filled in input order on one thread, so float weight sums round as TF's single-shard
//! CPU kernel rounds them.

use super::kernel;
use crate::cwise::no_kernel;
use ferroflow_framework::{Cost, DType, Error, Kernel, KernelInit, OpKernelContext, OpRegistry, Result, Tensor, TensorElement, dispatch};

pub(super) fn register(reg: &mut OpRegistry) {
    reg.op("Bincount")
        .input("arr: int32")
        .input("size: int32")
        .input("weights: T")
        .output("bins: T")
        .attr("T: {int32, int64, float, double}")
        .kernel(bincount);
    reg.op("DenseBincount")
        .input("input: Tidx")
        .input("size: Tidx")
        .input("weights: T")
        .output("output: T")
        .attr("Tidx: {int32, int64}")
        .attr("T: {int32, int64, float, double}")
        .attr("binary_output: bool = false")
        .kernel(dense_bincount);
    reg.op("HistogramFixedWidth")
        .input("values: T")
        .input("value_range: T")
        .input("nbins: int32")
        .output("out: dtype")
        .attr("T: {int32, int64, float, double}")
        .attr("dtype: {int32, int64} = DT_INT32")
        .cost(Cost::InputElements)
        .kernel(histogram);
}

/// The weight arithmetic of the counting ops.
trait Weight: TensorElement + Copy {
    const ONE: Self;
    fn plus(self, o: Self) -> Self;
}
impl Weight for i32 {
    const ONE: Self = 1;
    fn plus(self, o: Self) -> Self { self.wrapping_add(o) }
}
impl Weight for i64 {
    const ONE: Self = 1;
    fn plus(self, o: Self) -> Self { self.wrapping_add(o) }
}
impl Weight for f32 {
    const ONE: Self = 1.0;
    fn plus(self, o: Self) -> Self { self + o }
}
impl Weight for f64 {
    const ONE: Self = 1.0;
    fn plus(self, o: Self) -> Self { self + o }
}

fn weight_type(init: &KernelInit<'_>) -> Result<DType> {
    let t = init.attrs.get_type("T")?;
    if !matches!(t, DType::Int32 | DType::Int64 | DType::Float | DType::Double) {
        return Err(no_kernel(init, &format!("T={}", crate::cwise::dt_name(t))));
    }
    Ok(t)
}

/// The size input: a scalar (`Shape must be rank 0 but is rank 1`) that is not negative.
fn size_input(t: &Tensor) -> Result<i64> {
    if t.rank() != 0 {
        return Err(Error::invalid_argument(format!("Shape must be rank 0 but is rank {}", t.rank())));
    }
    let size = t.to_i64_vec()?[0];
    if size < 0 {
        return Err(Error::invalid_argument(format!("size ({size}) must be non-negative")));
    }
    Ok(size)
}

/// Counts `arr` (rows of `cols` values) into `rows` rows of `size` bins: the weight of each value,
/// 1 without weights, or 1 for any count when `binary`. Values at or past `size` are dropped.
fn count<W: Weight>(
    ctx: &OpKernelContext<'_>,
    arr: &[i64],
    cols: usize,
    out_dims: Vec<i64>,
    size: usize,
    weights: Option<&Tensor>,
    binary: bool,
) -> Result<Tensor> {
    let mut bins = ctx.allocate::<W>(out_dims)?;
    let w = weights.map(|t| t.values::<W>()).transpose()?;
    for (i, &v) in arr.iter().enumerate() {
        let v = v as usize;
        if v >= size {
            continue;
        }
        let slot = (i / cols.max(1)) * size + v;
        bins[slot] = if binary {
            W::ONE
        } else {
            bins[slot].plus(w.as_ref().map_or(W::ONE, |w| w[i]))
        };
    }
    Ok(bins.into_tensor())
}

fn bincount(init: &KernelInit<'_>) -> Result<Kernel> {
    let dtype = weight_type(init)?;
    Ok(kernel(1, move |ctx| {
        let (arr_t, size_t, weights) = (ctx.input(0), ctx.input(1), ctx.input(2));
        let size = size_input(size_t)?;
        let arr = arr_t.to_i64_vec()?;
        if arr.iter().any(|&v| v < 0) {
            return Err(Error::invalid_argument("Input arr must be non-negative!"));
        }
        let w = if weights.num_elements() == 0 {
            None
        } else if weights.num_elements() == arr.len() {
            Some(weights)
        } else {
            return Err(Error::invalid_argument("Input indices and weights must have the same size."));
        };
        let n = arr.len();
        let out = dispatch!(real, dtype, W => count_as::<W>(ctx, &arr, n, vec![size], size as usize, w, false)?,
            unreachable!("checked at build time"));
        ctx.set_output(0, out);
        Ok(())
    }))
}

/// `count` for the weight dtypes (the others never reach it).
fn count_as<T: TensorElement>(
    ctx: &OpKernelContext<'_>,
    arr: &[i64],
    cols: usize,
    out_dims: Vec<i64>,
    size: usize,
    weights: Option<&Tensor>,
    binary: bool,
) -> Result<Tensor> {
    match T::DTYPE {
        DType::Int32 => count::<i32>(ctx, arr, cols, out_dims, size, weights, binary),
        DType::Int64 => count::<i64>(ctx, arr, cols, out_dims, size, weights, binary),
        DType::Float => count::<f32>(ctx, arr, cols, out_dims, size, weights, binary),
        DType::Double => count::<f64>(ctx, arr, cols, out_dims, size, weights, binary),
        other => Err(Error::internal(format!("bincount of {other}"))),
    }
}

fn dense_bincount(init: &KernelInit<'_>) -> Result<Kernel> {
    let dtype = weight_type(init)?;
    let binary = init.attrs.get_bool_or("binary_output", false)?;
    Ok(kernel(1, move |ctx| {
        let (data, size_t, weights) = (ctx.input(0), ctx.input(1), ctx.input(2));
        if data.rank() > 2 {
            return Err(Error::invalid_argument(format!("Shape must be at most rank 2 but is rank {}", data.rank())));
        }
        if size_t.rank() != 0 {
            return Err(Error::invalid_argument(format!("Shape must be rank 0 but is rank {}", size_t.rank())));
        }
        if weights.shape() != data.shape() && weights.num_elements() != 0 {
            return Err(Error::invalid_argument(format!(
                "`weights` must be the same shape as `arr` or a length-0 `Tensor`, in which case it acts as all weights equal to 1. Received {}",
                weights.shape()
            )));
        }
        let size = size_input(size_t)?;
        let arr = data.to_i64_vec()?;
        if arr.iter().any(|&v| v < 0) {
            return Err(Error::invalid_argument("Input arr must be non-negative!"));
        }
        let w = (weights.num_elements() != 0).then_some(weights);
        let (cols, out_dims) = if data.rank() == 2 {
            (data.dims()[1] as usize, vec![data.dims()[0], size])
        } else {
            (arr.len(), vec![size])
        };
        let out = dispatch!(real, dtype, W => count_as::<W>(ctx, &arr, cols, out_dims, size as usize, w, binary)?,
            unreachable!("checked at build time"));
        ctx.set_output(0, out);
        Ok(())
    }))
}

/// Histogram values in T's own arithmetic, as TF computes `(max(v, lo) - lo)` before converting.
trait HistValue: TensorElement + Copy + PartialOrd + std::fmt::Display {
    fn offset(self, lo: Self) -> f64;
    fn is_nan(self) -> bool;
}
impl HistValue for f32 {
    fn offset(self, lo: Self) -> f64 { f64::from(self.max(lo) - lo) }
    fn is_nan(self) -> bool { f32::is_nan(self) }
}
impl HistValue for f64 {
    fn offset(self, lo: Self) -> f64 { self.max(lo) - lo }
    fn is_nan(self) -> bool { f64::is_nan(self) }
}
impl HistValue for i32 {
    fn offset(self, lo: Self) -> f64 { self.max(lo).wrapping_sub(lo) as f64 }
    fn is_nan(self) -> bool { false }
}
impl HistValue for i64 {
    fn offset(self, lo: Self) -> f64 { self.max(lo).wrapping_sub(lo) as f64 }
    fn is_nan(self) -> bool { false }
}

fn histogram_typed<T: HistValue>(ctx: &OpKernelContext<'_>, values: &Tensor, range: &Tensor, nbins: i32, out: DType) -> Result<Tensor> {
    let r = range.values::<T>()?;
    let (lo, hi) = (r[0], r[1]);
    if !(lo < hi) {
        return Err(Error::invalid_argument(format!(
            "value_range should satisfy value_range[0] < value_range[1], but got '[{lo}, {hi}]'"
        )));
    }
    let v = values.values::<T>()?;
    if v.iter().any(|x| x.is_nan()) {
        return Err(Error::invalid_argument("Histogram values must not contain NaN"));
    }
    let step = hi.offset(lo) / f64::from(nbins);
    let last = f64::from(nbins - 1);
    let mut counts = ctx.allocate::<i64>(vec![i64::from(nbins)])?;
    for &x in v.iter() {
        let bin = (x.offset(lo) / step).min(last) as i32;
        counts[bin.max(0) as usize] += 1;
    }
    if out == DType::Int64 {
        return Ok(counts.into_tensor());
    }
    Ok(ctx.allocate_with::<i32>(vec![i64::from(nbins)], |i| counts[i] as i32)?.into_tensor())
}

fn histogram(init: &KernelInit<'_>) -> Result<Kernel> {
    weight_type(init)?;
    let out = init.attrs.get_type_or("dtype", DType::Int32)?;
    Ok(kernel(1, move |ctx| {
        let (values, range, nbins_t) = (ctx.input(0), ctx.input(1), ctx.input(2));
        if range.rank() != 1 {
            return Err(Error::invalid_argument("value_range should be a vector."));
        }
        if range.num_elements() != 2 {
            return Err(Error::invalid_argument("value_range should be a vector of 2 elements."));
        }
        if nbins_t.rank() != 0 {
            return Err(Error::invalid_argument("nbins should be a scalar."));
        }
        let nbins = nbins_t.scalar_value::<i32>()?;
        if nbins <= 0 {
            return Err(Error::invalid_argument(format!("nbins should be a positive number, but got '{nbins}'")));
        }
        let t = match values.dtype() {
            DType::Float => histogram_typed::<f32>(ctx, values, range, nbins, out)?,
            DType::Double => histogram_typed::<f64>(ctx, values, range, nbins, out)?,
            DType::Int32 => histogram_typed::<i32>(ctx, values, range, nbins, out)?,
            DType::Int64 => histogram_typed::<i64>(ctx, values, range, nbins, out)?,
            other => return Err(Error::invalid_argument(format!("HistogramFixedWidth of {other}"))),
        };
        ctx.set_output(0, t);
        Ok(())
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn oracle_cases() {
        crate::array::oracle::run_cases("array2.json", &["Bincount", "DenseBincount", "HistogramFixedWidth"], 1e-6);
    }
}
