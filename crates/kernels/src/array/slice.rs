//! Slice, and the strided-box walker that Slice, StridedSlice and StridedSliceGrad share.
//! Stateless kernels. A box is walked as maximal contiguous runs (trailing whole dimensions are
//! merged into one run), so copying a block of rows is a handful of `memcpy`s; a slice that is one
//! contiguous run of the input shares the input's buffer.

use super::elems::{Elem, Mover, move_elements, share_range};
use super::{kernel, strides_of};
use ferroflow_framework::{Cost, Error, OpRegistry, Result, Tensor, TensorShape};

pub(super) fn register(reg: &mut OpRegistry) {
    reg.op("Slice")
        .input("input: T")
        .input("begin: Index")
        .input("size: Index")
        .output("output: T")
        .attr("T: type")
        .attr("Index: {int32, int64}")
        .cost(Cost::InputElements)
        .kernel(|_| {
        Ok(kernel(1, |ctx| {
            let out = slice(ctx.input(0), ctx.input(1), ctx.input(2))?;
            ctx.set_output(0, out);
            Ok(())
        }))
    });
    super::strided::register(reg);
}

/// A strided box of a row-major array: per dimension a start, a non-zero step and a count; every
/// start and every `start + (count - 1) * step` is a valid index when the count is non-zero.
pub(crate) struct StridedBox {
    pub dims: Vec<usize>,
    pub begin: Vec<i64>,
    pub stride: Vec<i64>,
    pub size: Vec<usize>,
}

impl StridedBox {
    pub(crate) fn num_elements(&self) -> usize {
        self.size.iter().product()
    }

    /// Calls `f(offset, len, step)` for each run of the box, in row-major order of the box.
    pub(crate) fn for_each_run(&self, mut f: impl FnMut(usize, usize, isize)) {
        let r = self.dims.len();
        if self.size.contains(&0) {
            return;
        }
        if r == 0 {
            f(0, 1, 1);
            return;
        }
        let in_stride = strides_of(&self.dims);
        let full = |d: usize| self.begin[d] == 0 && self.stride[d] == 1 && self.size[d] == self.dims[d];
        let mut t = 0; // trailing whole dimensions
        while t < r && full(r - 1 - t) {
            t += 1;
        }
        let inner_full: usize = self.dims[r - t..].iter().product();
        if t == r {
            f(0, inner_full, 1);
            return;
        }
        let j = r - t - 1;
        // The run and the dimensions walked outside it.
        let (outer, len, step, run_start) = if self.stride[j] == 1 {
            (j, self.size[j] * inner_full, 1isize, self.begin[j] as usize * in_stride[j])
        } else if t == 0 {
            (j, self.size[j], self.stride[j] as isize, self.begin[j] as usize)
        } else {
            (j + 1, inner_full, 1, 0)
        };
        let mut idx = vec![0usize; outer];
        let start = |d: usize| self.begin[d] * in_stride[d] as i64;
        let mut offset: i64 = (0..outer).map(start).sum::<i64>() + run_start as i64;
        loop {
            f(offset as usize, len, step);
            // Advance the odometer over the outer dimensions.
            let mut d = outer;
            loop {
                if d == 0 {
                    return;
                }
                d -= 1;
                idx[d] += 1;
                let step_d = self.stride[d] * in_stride[d] as i64;
                if idx[d] < self.size[d] {
                    offset += step_d;
                    break;
                }
                offset -= step_d * (idx[d] as i64 - 1);
                idx[d] = 0;
            }
        }
    }

    /// The one contiguous run covering the box, if it is one (start offset).
    pub(crate) fn single_run(&self) -> Option<usize> {
        let n = self.num_elements();
        let mut found = None;
        let mut runs = 0;
        self.for_each_run(|off, len, step| {
            runs += 1;
            if len == n && (step == 1 || len == 1) {
                found = Some(off);
            }
        });
        if runs == 1 { found } else { None }
    }
}

/// Copies the box out of the input, in order.
pub(crate) struct BoxCopy<'a>(pub &'a StridedBox);

impl Mover for BoxCopy<'_> {
    fn fill<E: Elem>(&self, srcs: &[&[E]], out: &mut Vec<E>) -> Result<()> {
        let src = srcs[0];
        self.0.for_each_run(|off, len, step| {
            if step == 1 {
                out.extend_from_slice(&src[off..off + len]);
            } else {
                out.extend((0..len).map(|k| src[(off as isize + k as isize * step) as usize].clone()));
            }
        });
        Ok(())
    }
}

/// Writes its first input's elements into the box of an otherwise zero output of `n` elements.
pub(crate) struct BoxScatter<'a>(pub &'a StridedBox, pub usize);

impl Mover for BoxScatter<'_> {
    fn fill<E: Elem>(&self, srcs: &[&[E]], out: &mut Vec<E>) -> Result<()> {
        let src = srcs[0];
        out.resize(self.1, E::default());
        let mut k = 0;
        self.0.for_each_run(|off, len, step| {
            if step == 1 {
                out[off..off + len].clone_from_slice(&src[k..k + len]);
            } else {
                for j in 0..len {
                    out[(off as isize + j as isize * step) as usize] = src[k + j].clone();
                }
            }
            k += len;
        });
        Ok(())
    }
}

/// Copies (or shares, when contiguous) the box of `input` as a tensor of `shape`.
pub(crate) fn extract(input: &Tensor, bx: &StridedBox, shape: TensorShape) -> Result<Tensor> {
    if bx.num_elements() > 0
        && let Some(off) = bx.single_run()
        && let Some(t) = share_range(input, off, shape.clone())
    {
        return t;
    }
    move_elements(input.dtype(), &[input], shape, &BoxCopy(bx))
}

fn slice(input: &Tensor, begin_t: &Tensor, size_t: &Tensor) -> Result<Tensor> {
    let r = input.rank();
    if begin_t.rank() != 1 || size_t.rank() != 1 || begin_t.num_elements() != r || size_t.num_elements() != r {
        return Err(Error::invalid_argument(format!(
            "Expected begin and size arguments to be 1-D tensors of size {r}, but got shapes {} and {} instead.",
            begin_t.shape(),
            size_t.shape()
        )));
    }
    let begin = begin_t.to_i64_vec()?;
    let mut size = size_t.to_i64_vec()?;
    for i in 0..r {
        let (d, b, s) = (input.dims()[i], begin[i], size[i]);
        if d == 0 {
            if b != 0 || (s != 0 && s != -1) {
                return Err(Error::invalid_argument(format!(
                    "Expected begin[{i}] == 0 (got {b}) and size[{i}] == 0 (got {s}) when input.dim_size({i}) == 0"
                )));
            }
            size[i] = 0;
            continue;
        }
        if b < 0 || b > d {
            return Err(Error::invalid_argument(format!("Expected begin[{i}] in [0, {d}], but got {b}")));
        }
        let s = if s == -1 { d - b } else { s };
        if s < 0 || s > d - b {
            return Err(Error::invalid_argument(format!("Expected size[{i}] in [0, {}], but got {s}", d - b)));
        }
        size[i] = s;
    }
    let shape = TensorShape::new(size.clone());
    if shape == *input.shape() {
        return Ok(input.clone());
    }
    let bx = StridedBox {
        dims: input.dims().iter().map(|&d| d as usize).collect(),
        begin,
        stride: vec![1; r],
        size: size.iter().map(|&s| s as usize).collect(),
    };
    extract(input, &bx, shape)
}

#[cfg(test)]
mod tests {
    use super::StridedBox;
    use crate::testutil::{node, run};
    use ferroflow_framework::{DType, Tensor};

    #[test]
    fn oracle_cases() {
        crate::array::oracle::run_cases("array.json", &["Slice"], 1e-5);
    }

    #[test]
    fn runs_merge_trailing_whole_dimensions() {
        let bx = StridedBox { dims: vec![4, 3, 5], begin: vec![1, 0, 0], stride: vec![1, 1, 1], size: vec![2, 3, 5] };
        let mut runs = Vec::new();
        bx.for_each_run(|o, l, s| runs.push((o, l, s)));
        assert_eq!(runs, vec![(15, 30, 1)]);
        let bx = StridedBox { dims: vec![4, 6], begin: vec![3, 5], stride: vec![-2, -2], size: vec![2, 3] };
        let mut runs = Vec::new();
        bx.for_each_run(|o, l, s| runs.push((o, l, s)));
        assert_eq!(runs, vec![(23, 3, -2), (11, 3, -2)]);
    }

    #[test]
    fn row_slices_share_the_buffer() {
        let x = Tensor::from_vec(vec![4, 2], (0..8).collect::<Vec<i32>>()).unwrap();
        let b = Tensor::from_vec(vec![2], vec![1i32, 0]).unwrap();
        let s = Tensor::from_vec(vec![2], vec![2i32, -1]).unwrap();
        let out = run(node("Slice").attr_type("T", DType::Int32).attr_type("Index", DType::Int32), vec![x.clone(), b, s]).unwrap();
        assert_eq!(out[0].to_vec::<i32>().unwrap(), vec![2, 3, 4, 5]);
        assert_eq!(out[0].raw_bytes().unwrap().as_ptr() as usize, x.raw_bytes().unwrap().as_ptr() as usize + 8);
    }
}
