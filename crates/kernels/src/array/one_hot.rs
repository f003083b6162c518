//! OneHot, LowerBound and UpperBound. Stateless kernels. OneHot's output size comes from the
//! `depth` input's value, so it is allocated through the context. The bound searches are the C++
//! standard library's binary searches step for step, so unsorted or NaN-holding rows give TF's
//! answers too.

use super::elems::{Elem, Filler, fill_elements};
use super::kernel;
use crate::cwise::no_kernel;
use ferroflow_framework::{Cost, DType, Error, Kernel, KernelInit, OpRegistry, Result, Tensor, TensorElement, TensorShape, dispatch};

pub(super) fn register(reg: &mut OpRegistry) {
    reg.op("OneHot")
        .input("indices: TI")
        .input("depth: int32")
        .input("on_value: T")
        .input("off_value: T")
        .output("output: T")
        .attr("axis: int = -1")
        .attr("T: type")
        .attr("TI: {uint8, int8, int32, int64} = DT_INT64")
        .kernel(one_hot);
    reg.op("LowerBound")
        .input("sorted_inputs: T")
        .input("values: T")
        .output("output: out_type")
        .attr("T: type")
        .attr("out_type: {int32, int64} = DT_INT32")
        .cost(Cost::InputElements)
        .kernel(|init| bound(init, false));
    reg.op("UpperBound")
        .input("sorted_inputs: T")
        .input("values: T")
        .output("output: out_type")
        .attr("T: type")
        .attr("out_type: {int32, int64} = DT_INT32")
        .cost(Cost::InputElements)
        .kernel(|init| bound(init, true));
}

/// Output `[pre, d, suf]` is `on` where `indices[pre, suf] == d`, else `off` (inputs 0 and 1).
struct OneHotFill {
    indices: Vec<i64>,
    depth: usize,
    suffix: usize,
}

impl Filler for OneHotFill {
    fn fill<E: Elem>(&self, srcs: &[&[E]], out: &mut [E]) -> Result<()> {
        let (on, off) = (&srcs[0][0], &srcs[1][0]);
        let block = self.depth * self.suffix;
        for (p, chunk) in out.chunks_mut(block.max(1)).enumerate() {
            let idx = &self.indices[p * self.suffix..(p + 1) * self.suffix];
            for (k, o) in chunk.iter_mut().enumerate() {
                let (d, s) = (k / self.suffix, k % self.suffix);
                *o = if idx[s] == d as i64 { on.clone() } else { off.clone() };
            }
        }
        Ok(())
    }
}

fn one_hot(init: &KernelInit<'_>) -> Result<Kernel> {
    let axis = init.attrs.get_int_or("axis", -1)?;
    let dtype = init.attrs.get_type("T")?;
    Ok(kernel(1, move |ctx| {
        let (indices, depth_t, on, off) = (ctx.input(0), ctx.input(1), ctx.input(2), ctx.input(3));
        let rank = indices.rank() as i64;
        if axis != -1 && !(0..=rank).contains(&axis) {
            return Err(Error::invalid_argument(format!(
                "Expected axis to be -1 or between [0, {}).  But received: {axis}",
                rank + 1
            )));
        }
        for (t, what) in [(depth_t, "depth"), (on, "on_value"), (off, "off_value")] {
            if t.rank() != 0 {
                return Err(Error::invalid_argument(format!("{what} must be a scalar, but got: {}", t.shape())));
            }
        }
        let depth = depth_t.scalar_value::<i32>()?;
        if depth < 0 {
            return Err(Error::invalid_argument(format!("depth must be non-negative, got: {depth}")));
        }
        let axis = if axis == -1 { rank as usize } else { axis as usize };
        let mut dims = indices.dims().to_vec();
        dims.insert(axis, i64::from(depth));
        let shape = super::checked_shape(&dims).map_err(|_| {
            Error::invalid_argument(format!(
                "OneHot result would have shape {} + [{depth}], which exceeds 2**63 - 1 elements",
                indices.shape()
            ))
        })?;
        let idx = match indices.dtype() {
            DType::UInt8 => indices.values::<u8>()?.iter().map(|&v| i64::from(v)).collect(),
            DType::Int8 => indices.values::<i8>()?.iter().map(|&v| i64::from(v)).collect(),
            _ => indices.to_i64_vec()?,
        };
        let fill = OneHotFill { indices: idx, depth: depth as usize, suffix: super::prod(&indices.dims()[axis..]) };
        let out = fill_elements(ctx, dtype, &[on, off], shape, &fill)?;
        ctx.set_output(0, out);
        Ok(())
    }))
}

/// `std::lower_bound` (`upper` false: first position not less than `v`) or `std::upper_bound`
/// (first position greater than `v`) in `row`.
fn search<T: PartialOrd>(row: &[T], v: &T, upper: bool) -> usize {
    let (mut first, mut len) = (0usize, row.len());
    while len > 0 {
        let half = len >> 1;
        let mid = first + half;
        let go_right = if upper { !(*v < row[mid]) } else { row[mid] < *v };
        if go_right {
            first = mid + 1;
            len = len - half - 1;
        } else {
            len = half;
        }
    }
    first
}

fn bounds_typed<T: TensorElement + PartialOrd>(sorted: &Tensor, values: &Tensor, upper: bool) -> Result<Vec<i64>> {
    let (s, v) = (sorted.values::<T>()?, values.values::<T>()?);
    let (n, m) = (sorted.dims()[1] as usize, values.dims()[1] as usize);
    let mut out = Vec::with_capacity(v.len());
    for (i, x) in v.iter().enumerate() {
        let b = i / m.max(1);
        out.push(search(&s[b * n..(b + 1) * n], x, upper) as i64);
    }
    Ok(out)
}

fn bound(init: &KernelInit<'_>, upper: bool) -> Result<Kernel> {
    let dtype = init.attrs.get_type("T")?;
    if !DType::REAL.contains(&dtype) {
        return Err(no_kernel(init, &format!("T={}", crate::cwise::dt_name(dtype))));
    }
    let out_type = super::type_attr_or(init, "out_type", DType::Int32, &[DType::Int32, DType::Int64])?;
    Ok(kernel(1, move |ctx| {
        let (sorted, values) = (ctx.input(0), ctx.input(1));
        for (t, what) in [(sorted, "sorted_inputs"), (values, "values")] {
            if t.rank() != 2 {
                return Err(Error::invalid_argument(format!(
                    "Shape must be rank 2 but is rank {} for `{what}` argument",
                    t.rank()
                )));
            }
        }
        if sorted.dims()[0] != values.dims()[0] {
            return Err(Error::invalid_argument("Leading dim_size of both tensors must match."));
        }
        if values.num_elements() >= i32::MAX as usize {
            return Err(Error::invalid_argument("values tensor size must less than INT_MAX"));
        }
        let pos = dispatch!(real, dtype, T => bounds_typed::<T>(sorted, values, upper)?, unreachable!("checked at build time"));
        let shape = TensorShape::new(values.dims().to_vec());
        let out = if out_type == DType::Int32 {
            Tensor::from_vec(shape, pos.into_iter().map(|p| p as i32).collect::<Vec<_>>())?
        } else {
            Tensor::from_vec(shape, pos)?
        };
        ctx.set_output(0, out);
        Ok(())
    }))
}

#[cfg(test)]
mod tests {
    use crate::testutil::{node, run};
    use ferroflow_framework::{Code, DType, Tensor};

    #[test]
    fn oracle_cases() {
        crate::array::oracle::run_cases("array2.json", &["OneHot", "LowerBound", "UpperBound"], 0.0);
    }

    #[test]
    fn huge_one_hot_is_out_of_memory() {
        let n = node("OneHot").attr_type("T", DType::Double).attr_type("TI", DType::Int32);
        let idx = Tensor::from_vec(vec![1 << 20], vec![0i32; 1 << 20]).unwrap();
        let e = run(n, vec![idx, Tensor::scalar(i32::MAX), Tensor::scalar(1.0f64), Tensor::scalar(0.0f64)]).unwrap_err();
        assert_eq!(e.code, Code::ResourceExhausted, "{e}");
    }
}
