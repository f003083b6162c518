//! ReverseV2, Reverse, ReverseSequence and Roll: element rearrangements where each output
//! coordinate along an axis comes from one input coordinate along it. Stateless kernels; inputs
//! that need no rearranging (scalars, empty tensors, no axes) are forwarded, buffer shared.

use super::elems::{Elem, Mover, move_elements};
use super::{kernel, prod, strides_of};
use ferroflow_framework::{Cost, Error, Kernel, KernelInit, OpRegistry, Result, Tensor};

pub(super) fn register(reg: &mut OpRegistry) {
    reg.op("ReverseV2")
        .input("tensor: T")
        .input("axis: Tidx")
        .output("output: T")
        .attr("Tidx: {int32, int64} = DT_INT32")
        .attr("T: {uint8, int8, uint16, int16, int32, uint32, int64, uint64, bool, bfloat16, half, float, double, complex64, complex128, string}")
        .cost(Cost::InputElements)
        .kernel(reverse_v2);
    reg.op("Reverse")
        .input("tensor: T")
        .input("dims: bool")
        .output("output: T")
        .attr("T: {uint8, int8, uint16, int16, uint32, int32, uint64, int64, bool, bfloat16, half, float, double, complex64, complex128, string}")
        .cost(Cost::InputElements)
        .kernel(reverse_v1);
    reg.op("ReverseSequence")
        .input("input: T")
        .input("seq_lengths: Tlen")
        .output("output: T")
        .attr("seq_dim: int")
        .attr("batch_dim: int = 0")
        .attr("T: type")
        .attr("Tlen: {int32, int64} = DT_INT64")
        .cost(Cost::InputElements)
        .kernel(reverse_sequence);
    reg.op("Roll")
        .input("input: T")
        .input("shift: Tshift")
        .input("axis: Taxis")
        .output("output: T")
        .attr("T: type")
        .attr("Tshift: {int32, int64}")
        .attr("Taxis: {int32, int64}")
        .cost(Cost::InputElements)
        .kernel(roll);
}

/// Output coordinate `i` along axis `d` reads input coordinate `maps[d][i]`; `None` marks an axis
/// left as it is.
struct AxisMap {
    dims: Vec<usize>,
    maps: Vec<Option<Vec<usize>>>,
}

impl AxisMap {
    fn block<E: Elem>(&self, src: &[E], d: usize, base: usize, strides: &[usize], out: &mut Vec<E>) {
        let n = self.dims[d];
        let last = d + 1 == self.dims.len();
        match (&self.maps[d], last) {
            (None, true) => out.extend_from_slice(&src[base..base + n]),
            (Some(m), true) => out.extend(m.iter().map(|&j| src[base + j].clone())),
            (None, false) => (0..n).for_each(|j| self.block(src, d + 1, base + j * strides[d], strides, out)),
            (Some(m), false) => m.iter().for_each(|&j| self.block(src, d + 1, base + j * strides[d], strides, out)),
        }
    }
}

impl Mover for AxisMap {
    fn fill<E: Elem>(&self, srcs: &[&[E]], out: &mut Vec<E>) -> Result<()> {
        if self.dims.is_empty() || self.dims.contains(&0) {
            out.extend_from_slice(srcs[0]);
            return Ok(());
        }
        let strides = strides_of(&self.dims);
        self.block(srcs[0], 0, 0, &strides, out);
        Ok(())
    }
}

/// `x` with the axes flagged in `flip` reversed.
fn reverse_axes(x: &Tensor, flip: &[bool]) -> Result<Tensor> {
    if !flip.iter().any(|&f| f) {
        return Ok(x.clone());
    }
    let dims: Vec<usize> = x.dims().iter().map(|&d| d as usize).collect();
    let maps = dims.iter().zip(flip).map(|(&n, &f)| f.then(|| (0..n).rev().collect())).collect();
    move_elements(x.dtype(), &[x], x.shape().clone(), &AxisMap { dims, maps })
}

fn reverse_v2(_: &KernelInit<'_>) -> Result<Kernel> {
    Ok(kernel(1, |ctx| {
        let (x, axes) = (ctx.input(0), ctx.input(1));
        if x.rank() == 0 || x.num_elements() == 0 {
            ctx.set_output(0, x.clone());
            return Ok(());
        }
        if axes.rank() != 1 {
            return Err(Error::invalid_argument(format!("'dims' must be 1-dimension, not {}", axes.rank())));
        }
        let rank = x.rank() as i64;
        let mut flip = vec![false; x.rank()];
        for (k, &a) in axes.to_i64_vec()?.iter().enumerate() {
            let c = if a < 0 { a + rank } else { a };
            if !(0..rank).contains(&c) {
                return Err(Error::invalid_argument(format!("'axis'[{k}] = {a} is out of valid range [0, {}", rank - 1)));
            }
            if flip[c as usize] {
                return Err(Error::invalid_argument(format!("axis {c} specified more than once.")));
            }
            flip[c as usize] = true;
        }
        let out = reverse_axes(x, &flip)?;
        ctx.set_output(0, out);
        Ok(())
    }))
}

fn reverse_v1(_: &KernelInit<'_>) -> Result<Kernel> {
    Ok(kernel(1, |ctx| {
        let (x, dims) = (ctx.input(0), ctx.input(1));
        if x.rank() == 0 {
            ctx.set_output(0, x.clone());
            return Ok(());
        }
        if dims.rank() != 1 {
            return Err(Error::invalid_argument(format!("'dims' must be 1-dimension, not {}", dims.rank())));
        }
        if dims.dims()[0] != x.rank() as i64 {
            return Err(Error::invalid_argument(format!(
                "'dims' must have the same number of values as 'input' has dimensions. 'input' has {}'dims' has {} values",
                x.rank(),
                dims.dims()[0]
            )));
        }
        if x.rank() > 8 {
            return Err(Error::invalid_argument("reverse is not implemented for tensors of rank > 8."));
        }
        let out = reverse_axes(x, &dims.bools()?)?;
        ctx.set_output(0, out);
        Ok(())
    }))
}

fn roll(_: &KernelInit<'_>) -> Result<Kernel> {
    Ok(kernel(1, |ctx| {
        let (x, shift, axis) = (ctx.input(0), ctx.input(1), ctx.input(2));
        if x.rank() == 0 {
            return Err(Error::invalid_argument("input must be 1-D or higher"));
        }
        if shift.rank() > 1 {
            return Err(Error::invalid_argument(format!("shift must be a scalar or a 1-D vector. Found: {}", shift.shape())));
        }
        if axis.rank() > 1 {
            return Err(Error::invalid_argument(format!("axis must be a scalar or a 1-D vector. Found: {}", axis.shape())));
        }
        if shift.shape() != axis.shape() {
            return Err(Error::invalid_argument("shift and axis must have the same size"));
        }
        let rank = x.rank() as i64;
        let mut total = vec![0i128; x.rank()];
        for (&s, &a) in shift.to_i64_vec()?.iter().zip(&axis.to_i64_vec()?) {
            let c = if a < 0 { a + rank } else { a };
            if !(0..rank).contains(&c) {
                return Err(Error::invalid_argument(format!("axis {c} is out of range")));
            }
            total[c as usize] += s as i128;
        }
        let dims: Vec<usize> = x.dims().iter().map(|&d| d as usize).collect();
        let maps: Vec<Option<Vec<usize>>> = dims
            .iter()
            .zip(&total)
            .map(|(&n, &t)| {
                let k = if n == 0 { 0 } else { t.rem_euclid(n as i128) as usize };
                // Output coordinate i holds input coordinate i - shift (mod n).
                (k != 0).then(|| (0..n).map(|i| (i + n - k) % n).collect())
            })
            .collect();
        let out = if maps.iter().all(Option::is_none) {
            x.clone()
        } else {
            move_elements(x.dtype(), &[x], x.shape().clone(), &AxisMap { dims, maps })?
        };
        ctx.set_output(0, out);
        Ok(())
    }))
}

/// ReverseSequence: along `seq`, the first `lens[b]` elements of batch `b` reversed.
struct SeqReverse {
    dims: Vec<usize>,
    seq: usize,
    batch: usize,
    lens: Vec<usize>,
}

impl Mover for SeqReverse {
    fn fill<E: Elem>(&self, srcs: &[&[E]], out: &mut Vec<E>) -> Result<()> {
        let src = srcs[0];
        let strides = strides_of(&self.dims);
        let mut coord = vec![0usize; self.dims.len()];
        for _ in 0..src.len() {
            let (b, s) = (coord[self.batch], coord[self.seq]);
            let from_s = if s < self.lens[b] { self.lens[b] - 1 - s } else { s };
            let flat: usize = coord.iter().zip(&strides).map(|(c, st)| c * st).sum::<usize>() + from_s * strides[self.seq]
                - s * strides[self.seq];
            out.push(src[flat].clone());
            for d in (0..coord.len()).rev() {
                coord[d] += 1;
                if coord[d] < self.dims[d] {
                    break;
                }
                coord[d] = 0;
            }
        }
        Ok(())
    }
}

fn reverse_sequence(init: &KernelInit<'_>) -> Result<Kernel> {
    let seq_dim = init.attrs.get_int("seq_dim")?;
    let batch_dim = init.attrs.get_int_or("batch_dim", 0)?;
    Ok(kernel(1, move |ctx| {
        let (x, lens_t) = (ctx.input(0), ctx.input(1));
        if lens_t.rank() != 1 {
            return Err(Error::invalid_argument(format!("seq_lengths must be 1-dim, not {}", lens_t.rank())));
        }
        let rank = x.rank() as i64;
        if batch_dim == seq_dim {
            return Err(Error::invalid_argument(format!("batch_dim == seq_dim == {seq_dim}")));
        }
        if seq_dim < 0 || seq_dim >= rank {
            return Err(Error::invalid_argument(format!("seq_dim must be < input rank ( {seq_dim} vs. {rank})")));
        }
        if batch_dim < 0 || batch_dim >= rank {
            return Err(Error::invalid_argument(format!("batch_dim must be < input rank ( {batch_dim} vs. {rank})")));
        }
        let (sd, bd) = (seq_dim as usize, batch_dim as usize);
        let lens = lens_t.to_i64_vec()?;
        if lens.len() as i64 != x.dims()[bd] {
            return Err(Error::invalid_argument(format!(
                "Length of seq_lengths != input.dims({bd}), ({} vs. {})",
                lens.len(),
                x.dims()[bd]
            )));
        }
        for (d, &l) in lens.iter().enumerate() {
            if l < 0 {
                return Err(Error::invalid_argument(format!("seq_lens({d}) < 0")));
            }
            if l > x.dims()[sd] {
                return Err(Error::invalid_argument(format!("seq_lens({d}) > input.dims({sd})")));
            }
        }
        let dims: Vec<usize> = x.dims().iter().map(|&d| d as usize).collect();
        debug_assert_eq!(prod(x.dims()), x.num_elements());
        let m = SeqReverse { dims, seq: sd, batch: bd, lens: lens.iter().map(|&l| l as usize).collect() };
        let out = move_elements(x.dtype(), &[x], x.shape().clone(), &m)?;
        ctx.set_output(0, out);
        Ok(())
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn oracle_cases() {
        crate::array::oracle::run_cases("array2.json", &["ReverseV2", "Reverse", "ReverseSequence", "Roll"], 0.0);
    }
}
