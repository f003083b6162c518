//! Transpose and InvertPermutation. Stateless kernels. A transpose is first simplified (size-1
//! dimensions dropped, input axes that stay adjacent merged), so it either keeps the element order
//! (the buffer is shared), swaps the last two axes of a batch of matrices (cache-blocked copy), or
//! falls back to a general strided walk.

use super::elems::{Elem, Mover, move_elements};
use super::{kernel, strides_of};
use ferroflow_framework::{Cost, DType, Error, Kernel, KernelInit, OpRegistry, Result, Tensor, TensorShape};

pub(super) fn register(reg: &mut OpRegistry) {
    reg.op("Transpose")
        .input("x: T")
        .input("perm: Tperm")
        .output("y: T")
        .attr("T: type")
        .attr("Tperm: {int32, int64} = DT_INT32")
        .cost(Cost::InputElements)
        .kernel(|_| {
        Ok(kernel(1, |ctx| {
            let out = transpose(ctx.input(0), ctx.input(1))?;
            ctx.set_output(0, out);
            Ok(())
        }))
    });
    reg.op("InvertPermutation")
        .input("x: T")
        .output("y: T")
        .attr("T: {int32, int64} = DT_INT32")
        .cost(Cost::Trivial)
        .kernel(invert_permutation);
}

/// Validated permutation of a transpose of a rank-`r` tensor (negative entries wrap).
fn permutation(perm_t: &Tensor, r: usize) -> Result<Vec<usize>> {
    if perm_t.rank() != 1 {
        return Err(Error::invalid_argument(format!("perm must be rank 1, got shape {}", perm_t.shape())));
    }
    let raw = perm_t.to_i64_vec()?;
    if raw.len() != r {
        return Err(Error::invalid_argument(format!(
            "transpose expects a vector of size {r}. But input(1) is a vector of size {}",
            raw.len()
        )));
    }
    let wrapped: Vec<i64> = raw.iter().map(|&p| if p < 0 { p + r as i64 } else { p }).collect();
    let mut seen = vec![false; r];
    for &p in &wrapped {
        if p < 0 || p >= r as i64 {
            return Err(Error::invalid_argument(format!("{p} is out of range [0 .. {r})")));
        }
        seen[p as usize] = true;
    }
    if let Some(missing) = seen.iter().position(|&s| !s) {
        let shown: Vec<String> = wrapped.iter().map(|p| p.to_string()).collect();
        return Err(Error::invalid_argument(format!("{missing} is missing from {{{}}}.", shown.join(","))));
    }
    Ok(wrapped.into_iter().map(|p| p as usize).collect())
}

/// Drops size-1 dimensions and merges input axes that stay adjacent; returns (dims, perm).
fn simplify(dims: &[usize], perm: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let mut renum = vec![usize::MAX; dims.len()];
    let mut kept = Vec::new();
    for (i, &d) in dims.iter().enumerate() {
        if d != 1 {
            renum[i] = kept.len();
            kept.push(d);
        }
    }
    let p: Vec<usize> = perm.iter().filter(|&&a| dims[a] != 1).map(|&a| renum[a]).collect();
    // Groups of consecutive input axes, in output order.
    let mut groups: Vec<(usize, usize)> = Vec::new(); // (first input axis, last input axis)
    for &a in &p {
        match groups.last_mut() {
            Some(g) if g.1 + 1 == a => g.1 = a,
            _ => groups.push((a, a)),
        }
    }
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by_key(|&g| groups[g].0);
    let merged_dims: Vec<usize> = order.iter().map(|&g| kept[groups[g].0..=groups[g].1].iter().product()).collect();
    let mut merged_perm = vec![0; groups.len()];
    for (pos, &g) in order.iter().enumerate() {
        merged_perm[g] = pos;
    }
    (merged_dims, merged_perm)
}

struct Transposer {
    dims: Vec<usize>,
    perm: Vec<usize>,
    n: usize,
}

const TILE: usize = 32;

/// Transposes a `[rows, cols]` matrix into `dst` (`[cols, rows]`), block by block; within a block
/// the writes are contiguous and the reads strided, which avoids the cache-set conflicts that
/// power-of-two row lengths cause with strided writes.
fn transpose_2d<E: Elem>(src: &[E], rows: usize, cols: usize, dst: &mut [E]) {
    for r0 in (0..rows).step_by(TILE) {
        let r1 = (r0 + TILE).min(rows);
        for c0 in (0..cols).step_by(TILE) {
            let c1 = (c0 + TILE).min(cols);
            for c in c0..c1 {
                let out = &mut dst[c * rows + r0..c * rows + r1];
                for (k, d) in out.iter_mut().enumerate() {
                    *d = src[(r0 + k) * cols + c].clone();
                }
            }
        }
    }
}

impl Mover for Transposer {
    fn fill<E: Elem>(&self, srcs: &[&[E]], out: &mut Vec<E>) -> Result<()> {
        let src = srcs[0];
        if self.n == 0 {
            return Ok(());
        }
        let r = self.dims.len();
        let leading_identity = r >= 2 && (0..r - 2).all(|i| self.perm[i] == i);
        if leading_identity && self.perm[r - 2] == r - 1 && self.perm[r - 1] == r - 2 {
            let (rows, cols) = (self.dims[r - 2], self.dims[r - 1]);
            out.resize(self.n, E::default());
            for (s, d) in src.chunks_exact(rows * cols).zip(out.chunks_exact_mut(rows * cols)) {
                transpose_2d(s, rows, cols, d);
            }
            return Ok(());
        }
        // General walk in output order; the last output axis is the inner loop.
        let in_stride = strides_of(&self.dims);
        let od: Vec<usize> = self.perm.iter().map(|&a| self.dims[a]).collect();
        let os: Vec<usize> = self.perm.iter().map(|&a| in_stride[a]).collect();
        let (last_len, last_stride) = (od[r - 1], os[r - 1]);
        let mut idx = vec![0usize; r - 1];
        let mut base = 0usize;
        loop {
            if last_stride == 1 {
                out.extend_from_slice(&src[base..base + last_len]);
            } else {
                out.extend((0..last_len).map(|j| src[base + j * last_stride].clone()));
            }
            let mut d = r - 1;
            loop {
                if d == 0 {
                    return Ok(());
                }
                d -= 1;
                idx[d] += 1;
                if idx[d] < od[d] {
                    base += os[d];
                    break;
                }
                base -= os[d] * (od[d] - 1);
                idx[d] = 0;
            }
        }
    }
}

pub(crate) fn transpose(input: &Tensor, perm_t: &Tensor) -> Result<Tensor> {
    let perm = permutation(perm_t, input.rank())?;
    let out_dims: Vec<i64> = perm.iter().map(|&a| input.dims()[a]).collect();
    let shape = TensorShape::new(out_dims);
    let dims: Vec<usize> = input.dims().iter().map(|&d| d as usize).collect();
    let (mdims, mperm) = simplify(&dims, &perm);
    if mperm.iter().enumerate().all(|(i, &p)| i == p) || input.num_elements() == 0 {
        // The element order is unchanged (or there are no elements): share the buffer.
        return input.reshaped(shape);
    }
    let t = Transposer { dims: mdims, perm: mperm, n: input.num_elements() };
    move_elements(input.dtype(), &[input], shape, &t)
}

fn invert_permutation(init: &KernelInit<'_>) -> Result<Kernel> {
    let dtype = super::type_attr_or(init, "T", DType::Int32, &[DType::Int32, DType::Int64])?;
    Ok(kernel(1, move |ctx| {
        let x = ctx.input(0);
        if x.rank() != 1 {
            return Err(Error::invalid_argument("invert_permutation expects a 1D vector."));
        }
        let v = x.to_i64_vec()?;
        let n = v.len() as i64;
        if n > i32::MAX as i64 {
            return Err(Error::invalid_argument("permutation of nonnegative int32s must have <= int32 max elements"));
        }
        let mut inv = vec![-1i64; v.len()];
        for (i, &d) in v.iter().enumerate() {
            if d < 0 || d >= n {
                return Err(Error::invalid_argument(format!("{d} is not between 0 and {n}")));
            }
            if inv[d as usize] != -1 {
                return Err(Error::invalid_argument(format!("{d} is duplicated in the input.")));
            }
            inv[d as usize] = i as i64;
        }
        let out = if dtype == DType::Int32 {
            Tensor::from_vec(vec![n], inv.into_iter().map(|i| i as i32).collect::<Vec<_>>())?
        } else {
            Tensor::from_vec(vec![n], inv)?
        };
        ctx.set_output(0, out);
        Ok(())
    }))
}

#[cfg(test)]
mod tests {
    use super::simplify;
    use crate::testutil::{node, run};
    use ferroflow_framework::{DType, Tensor};

    #[test]
    fn oracle_cases() {
        crate::array::oracle::run_cases("array.json", &["Transpose", "InvertPermutation"], 1e-5);
    }

    #[test]
    fn simplification_merges_adjacent_axes() {
        // NHWC -> NCHW is a batch of [HW, C] matrix transposes.
        assert_eq!(simplify(&[2, 3, 4, 5], &[0, 3, 1, 2]), (vec![2, 12, 5], vec![0, 2, 1]));
        assert_eq!(simplify(&[1, 3, 1, 5], &[2, 0, 3, 1]), (vec![3, 5], vec![1, 0]));
        assert_eq!(simplify(&[1, 3, 1, 5], &[2, 1, 0, 3]), (vec![15], vec![0]));
    }

    #[test]
    fn general_and_blocked_paths_agree_with_indexing() {
        let dims = [3usize, 4, 5];
        let x: Vec<f32> = (0..60).map(|v| v as f32).collect();
        let t = Tensor::from_vec(vec![3, 4, 5], x.clone()).unwrap();
        for perm in [[2usize, 0, 1], [1, 2, 0], [0, 2, 1], [2, 1, 0], [1, 0, 2]] {
            let p = Tensor::from_vec(vec![3], perm.iter().map(|&a| a as i32).collect::<Vec<_>>()).unwrap();
            let out = run(node("Transpose").attr_type("T", DType::Float), vec![t.clone(), p]).unwrap();
            let got = out[0].to_vec::<f32>().unwrap();
            let od: Vec<usize> = perm.iter().map(|&a| dims[a]).collect();
            let mut k = 0;
            for i in 0..od[0] {
                for j in 0..od[1] {
                    for l in 0..od[2] {
                        let mut idx = [0usize; 3];
                        idx[perm[0]] = i;
                        idx[perm[1]] = j;
                        idx[perm[2]] = l;
                        assert_eq!(got[k], x[(idx[0] * 4 + idx[1]) * 5 + idx[2]], "perm {perm:?}");
                        k += 1;
                    }
                }
            }
        }
    }
}
