//! TopKV2, TopK, ApproxTopK (whose CPU kernel in TF is exact) and InTopKV2. Stateless kernels.
//!
//! Results match TF's CPU kernel element for element, including the order of ties and of
//! `sorted=false` outputs: k = 1 is a max scan, k = n a full sort with ties by index, and other k
//! TF's `gtl::TopN` heap, reproduced here with the heap algorithms of the C++ standard library
//! TF is built with (libstdc++), so the unsorted order is the heap's own.

use super::kernel;
use crate::cwise::no_kernel;
use ferroflow_framework::{Cost, DType, Error, Kernel, KernelInit, OpKernelContext, OpRegistry, Result, Tensor, TensorElement, TensorShape, dispatch};

pub(super) fn register(reg: &mut OpRegistry) {
    reg.op("TopKV2")
        .input("input: T")
        .input("k: Tk")
        .output("values: T")
        .output("indices: index_type")
        .attr("sorted: bool = true")
        .attr("T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64}")
        .attr("Tk: {int16, int32, int64} = DT_INT32")
        .attr("index_type: {int16, int32, int64} = DT_INT32")
        .cost(Cost::InputElements)
        .kernel(top_k_v2);
    reg.op("TopK")
        .input("input: T")
        .output("values: T")
        .output("indices: int32")
        .attr("k: int >= 0")
        .attr("sorted: bool = true")
        .attr("T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64}")
        .cost(Cost::InputElements)
        .kernel(top_k_v1);
    reg.op("ApproxTopK")
        .input("input: T")
        .output("values: T")
        .output("indices: int32")
        .attr("k: int >= 0")
        .attr("reduction_dimension: int = -1")
        .attr("recall_target: float = 0.95")
        .attr("is_max_k: bool = true")
        .attr("reduction_input_size_override: int = -1")
        .attr("aggregate_to_topk: bool = true")
        .attr("T: {half, bfloat16, float}")
        .cost(Cost::InputElements)
        .kernel(approx_top_k);
    reg.op("InTopKV2")
        .input("predictions: float")
        .input("targets: T")
        .input("k: T")
        .output("precision: bool")
        .attr("T: {int32, int64} = DT_INT32")
        .cost(Cost::InputElements)
        .kernel(in_top_k);
}

/// The libstdc++ heap algorithms over a slice of column indices, `less` being the heap's order
/// (the front is a greatest element under it).
mod heap {
    pub fn push<F: Fn(i32, i32) -> bool>(h: &mut [i32], mut hole: usize, top: usize, value: i32, less: &F) {
        let mut parent = hole.wrapping_sub(1) / 2;
        while hole > top && less(h[parent], value) {
            h[hole] = h[parent];
            hole = parent;
            parent = hole.wrapping_sub(1) / 2;
        }
        h[hole] = value;
    }

    pub fn adjust<F: Fn(i32, i32) -> bool>(h: &mut [i32], mut hole: usize, len: usize, value: i32, less: &F) {
        let top = hole;
        let mut second = hole;
        while second < len.saturating_sub(1) / 2 {
            second = 2 * (second + 1);
            if less(h[second], h[second - 1]) {
                second -= 1;
            }
            h[hole] = h[second];
            hole = second;
        }
        if len & 1 == 0 && len >= 2 && second == (len - 2) / 2 {
            second = 2 * (second + 1);
            h[hole] = h[second - 1];
            hole = second - 1;
        }
        push(h, hole, top, value, less);
    }

    pub fn make<F: Fn(i32, i32) -> bool>(h: &mut [i32], less: &F) {
        let len = h.len();
        if len < 2 {
            return;
        }
        let mut parent = (len - 2) / 2;
        loop {
            let v = h[parent];
            adjust(h, parent, len, v, less);
            if parent == 0 {
                return;
            }
            parent -= 1;
        }
    }

    /// `std::pop_heap` on `h`: its front moves to the back, the rest stays a heap.
    pub fn pop<F: Fn(i32, i32) -> bool>(h: &mut [i32], less: &F) {
        let len = h.len();
        if len > 1 {
            let last = len - 1;
            let v = h[last];
            h[last] = h[0];
            adjust(&mut h[..last], 0, last, v, less);
        }
    }

    pub fn push_back<F: Fn(i32, i32) -> bool>(h: &mut [i32], less: &F) {
        let len = h.len();
        let v = h[len - 1];
        push(h, len - 1, 0, v, less);
    }

    pub fn sort<F: Fn(i32, i32) -> bool>(h: &mut [i32], less: &F) {
        let mut end = h.len();
        while end > 1 {
            pop(&mut h[..end], less);
            end -= 1;
        }
    }
}

/// The indices of the top `k` of `row` (0 < k < row.len()), TF's `gtl::TopN` with its stable
/// comparator: sorted descending, or in the heap's order.
fn top_n<T: PartialOrd + Copy>(row: &[T], k: usize, sorted: bool, out: &mut [i32]) {
    let greater = |a: i32, b: i32| {
        let (x, y) = (row[a as usize], row[b as usize]);
        if y < x {
            true
        } else if y > x {
            false
        } else {
            a < b
        }
    };
    let mut elems: Vec<i32> = Vec::with_capacity(k + 1);
    let mut heap_sorted = false;
    for c in 0..row.len() as i32 {
        if !heap_sorted {
            elems.push(c);
            if elems.len() == k + 1 {
                // TopN::PushInternal: heapify, drop the least, keep k.
                heap::make(&mut elems, &greater);
                heap::pop(&mut elems, &greater);
                elems.pop();
                heap_sorted = true;
            }
        } else if greater(c, elems[0]) {
            // Replace the least: pop it to the back, overwrite, sift the newcomer up.
            heap::pop(&mut elems, &greater);
            let last = elems.len() - 1;
            elems[last] = c;
            heap::push_back(&mut elems, &greater);
        }
    }
    if sorted {
        heap::sort(&mut elems, &greater);
    }
    out.copy_from_slice(&elems);
}

/// The top `k` column indices of every row of a `[rows, cols]` matrix, as TF's CPU functor.
fn top_k_indices<T: PartialOrd + Copy + Bounded>(x: &[T], cols: usize, k: usize, sorted: bool) -> Vec<i32> {
    let rows = x.len().checked_div(cols).unwrap_or(0);
    let mut out = vec![0i32; rows * k];
    if k == 0 {
        return out;
    }
    for (r, o) in out.chunks_mut(k).enumerate() {
        let row = &x[r * cols..(r + 1) * cols];
        if k == 1 {
            let mut m = T::LOWEST;
            for &v in row {
                if m < v {
                    m = v;
                }
            }
            o[0] = row.iter().position(|&v| v == m).unwrap_or(0) as i32;
        } else if k == cols {
            let mut idx: Vec<i32> = (0..cols as i32).collect();
            idx.sort_by(|&a, &b| {
                let (x, y) = (row[a as usize], row[b as usize]);
                y.partial_cmp(&x).unwrap_or(std::cmp::Ordering::Equal).then(a.cmp(&b))
            });
            o.copy_from_slice(&idx);
        } else {
            top_n(row, k, sorted, o);
        }
    }
    out
}

/// The smallest value of a type (Eigen's `lowest()`), where TF's max scan starts.
trait Bounded {
    const LOWEST: Self;
}
macro_rules! bounded {
    ($($t:ty),*) => {$(impl Bounded for $t { const LOWEST: Self = <$t>::MIN; })*};
}
bounded!(f32, f64, i8, i16, i32, i64, u8, u16, u32, u64);

fn top_k_typed<T: TensorElement + PartialOrd + Bounded>(
    ctx: &mut OpKernelContext<'_>,
    x: &Tensor,
    k: usize,
    sorted: bool,
    index_type: DType,
) -> Result<()> {
    let cols = *x.dims().last().unwrap_or(&1) as usize;
    let mut dims = x.dims().to_vec();
    if let Some(l) = dims.last_mut() {
        *l = k as i64;
    }
    let vals = x.values::<T>()?;
    let idx = if cols == 0 { Vec::new() } else { top_k_indices(&vals, cols, k, sorted) };
    let rows_out: Vec<T> = idx.iter().enumerate().map(|(i, &c)| vals[(i / k.max(1)) * cols + c as usize]).collect();
    ctx.set_output(0, Tensor::from_vec(TensorShape::new(dims.clone()), rows_out)?);
    let indices = match index_type {
        DType::Int16 => Tensor::from_vec(dims, idx.iter().map(|&v| v as i16).collect::<Vec<_>>())?,
        DType::Int64 => Tensor::from_vec(dims, idx.iter().map(|&v| v as i64).collect::<Vec<_>>())?,
        _ => Tensor::from_vec(dims, idx)?,
    };
    ctx.set_output(1, indices);
    Ok(())
}

/// TF's checks and the top-k of `x` along its last axis.
fn compute_top_k(ctx: &mut OpKernelContext<'_>, x: &Tensor, k: i64, sorted: bool, index_type: DType) -> Result<()> {
    if k < 0 {
        return Err(Error::invalid_argument(format!("Need k >= 0, got {k}")));
    }
    if x.rank() == 0 {
        return Err(Error::invalid_argument(format!("input must be >= 1-D, got shape {}", x.shape())));
    }
    let cols = x.dims()[x.rank() - 1];
    if cols < k {
        return Err(Error::invalid_argument(format!("input must have at least k columns. Had {cols}, needed {k}")));
    }
    if cols > i32::MAX as i64 {
        return Err(Error::invalid_argument(format!("Second dimension of flattened input must be <= INT_MAX, got {cols}")));
    }
    let k = k as usize;
    dispatch!(real, x.dtype(), T => top_k_typed::<T>(ctx, x, k, sorted, index_type),
        Err(Error::invalid_argument(format!("TopK does not support {}", x.dtype()))))
}

fn check_value_type(init: &KernelInit<'_>) -> Result<()> {
    let t = init.attrs.get_type("T")?;
    if !DType::REAL.contains(&t) {
        return Err(no_kernel(init, &format!("T={}", crate::cwise::dt_name(t))));
    }
    Ok(())
}

fn top_k_v2(init: &KernelInit<'_>) -> Result<Kernel> {
    check_value_type(init)?;
    let sorted = init.attrs.get_bool_or("sorted", true)?;
    let index_type = init.attrs.get_type_or("index_type", DType::Int32)?;
    Ok(kernel(2, move |ctx| {
        let k_t = ctx.input(1);
        if k_t.rank() != 0 {
            return Err(Error::invalid_argument(format!("k must be scalar, got shape {}", k_t.shape())));
        }
        let k = super::gather_nd::index_values(k_t)?[0];
        let x = ctx.input(0);
        compute_top_k(ctx, x, k, sorted, index_type)
    }))
}

fn top_k_v1(init: &KernelInit<'_>) -> Result<Kernel> {
    check_value_type(init)?;
    let sorted = init.attrs.get_bool_or("sorted", true)?;
    let k = init.attrs.get_int("k")?;
    Ok(kernel(2, move |ctx| {
        let x = ctx.input(0);
        compute_top_k(ctx, x, k, sorted, DType::Int32)
    }))
}

fn approx_top_k(init: &KernelInit<'_>) -> Result<Kernel> {
    let t = init.attrs.get_type("T")?;
    let dim = init.attrs.get_int_or("reduction_dimension", -1)?;
    let max_k = init.attrs.get_bool_or("is_max_k", true)?;
    // TF's CPU kernel exists for the last dimension and max-k only: exact sorted top-k.
    if t != DType::Float || dim != -1 || !max_k {
        return Err(no_kernel(
            init,
            &format!("T={}, reduction_dimension={dim}, is_max_k={max_k}", crate::cwise::dt_name(t)),
        ));
    }
    let k = init.attrs.get_int("k")?;
    Ok(kernel(2, move |ctx| {
        let x = ctx.input(0);
        compute_top_k(ctx, x, k, true, DType::Int32)
    }))
}

fn in_top_k(_: &KernelInit<'_>) -> Result<Kernel> {
    Ok(kernel(1, |ctx| {
        let (pred, targets, k_t) = (ctx.input(0), ctx.input(1), ctx.input(2));
        if pred.rank() != 2 {
            return Err(Error::invalid_argument("predictions must be 2-dimensional"));
        }
        if targets.rank() != 1 {
            return Err(Error::invalid_argument("targets must be 1-dimensional"));
        }
        if pred.dims()[0] != targets.dims()[0] {
            return Err(Error::invalid_argument(format!(
                "First dimension of predictions {} must match length of targets {}",
                pred.dims()[0],
                targets.dims()[0]
            )));
        }
        if k_t.rank() != 0 {
            return Err(Error::invalid_argument(format!("k must be 0-D, got shape {}", k_t.shape())));
        }
        let k = k_t.to_i64_vec()?[0];
        let p = pred.values::<f32>()?;
        let classes = pred.dims()[1] as usize;
        let out: Vec<bool> = targets
            .to_i64_vec()?
            .iter()
            .enumerate()
            .map(|(b, &t)| {
                if t < 0 || t as usize >= classes {
                    return false;
                }
                let row = &p[b * classes..(b + 1) * classes];
                let target = row[t as usize];
                if !target.is_finite() {
                    return false;
                }
                let mut more = 0i64;
                for &v in row {
                    if !v.is_finite() {
                        return false;
                    }
                    if v > target {
                        more += 1;
                        if more > k {
                            break;
                        }
                    }
                }
                more < k
            })
            .collect();
        ctx.set_output(0, Tensor::from_bools(vec![out.len() as i64], out)?);
        Ok(())
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{node, run};

    #[test]
    fn oracle_cases() {
        crate::array::oracle::run_cases("array2.json", &["TopKV2", "ApproxTopK", "InTopKV2"], 0.0);
    }

    #[test]
    fn top_k_v1_takes_k_from_its_attr() {
        let x = Tensor::from_vec(vec![2, 3], vec![1.0f32, 5.0, 3.0, 2.0, 2.0, 9.0]).unwrap();
        let n = node("TopK").attr_type("T", DType::Float).attr_int("k", 2);
        let out = run(n, vec![x]).unwrap();
        assert_eq!(out[0].to_vec::<f32>().unwrap(), vec![5.0, 3.0, 9.0, 2.0]);
        assert_eq!(out[1].to_vec::<i32>().unwrap(), vec![1, 2, 2, 0]);
    }

    #[test]
    fn approx_top_k_other_attrs_have_no_cpu_kernel() {
        let x = Tensor::from_vec(vec![1, 3], vec![1.0f32, 5.0, 3.0]).unwrap();
        let n = node("ApproxTopK").attr_type("T", DType::Float).attr_int("k", 1).attr_bool("is_max_k", false);
        let e = run(n, vec![x]).unwrap_err();
        assert_eq!(e.code, ferroflow_framework::Code::NotFound, "{e}");
    }

    #[test]
    fn heap_order_matches_a_sorted_reference_when_sorted() {
        let mut g = crate::testutil::Lcg(3);
        for _ in 0..200 {
            let n = 2 + (g.next() % 40) as usize;
            let row: Vec<i32> = (0..n).map(|_| (g.next() % 7) as i32).collect();
            let k = 1 + (g.next() as usize) % (n - 1);
            let mut got = vec![0i32; k];
            top_n(&row, k, true, &mut got);
            let mut want: Vec<i32> = (0..n as i32).collect();
            want.sort_by(|&a, &b| row[b as usize].cmp(&row[a as usize]).then(a.cmp(&b)));
            assert_eq!(got, want[..k], "row {row:?} k {k}");
        }
    }
}
