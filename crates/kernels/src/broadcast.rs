//! TensorFlow's broadcasting rules (numpy-style) and fast element-wise application over broadcast
//! operands, for every kernel that combines tensors element by element.
//!
//! Shapes are aligned at their trailing dimensions; two sizes are compatible when they are equal or
//! one of them is 1, and the output takes the larger (a 0 against a 1 gives 0). Incompatible shapes
//! are INVALID_ARGUMENT with TF's wording, `Incompatible shapes: [2,3] vs. [4]`.
//!
//! A [`BroadcastPlan`] is computed once per kernel execution: it drops size-1 output dimensions and
//! merges adjacent dimensions in which every operand is either fully present or fully broadcast, so
//! "same shape", "scalar on either side", "row vector" and "column vector" all become one or two
//! collapsed dimensions with contiguous inner loops. [`BroadcastPlan::apply`] then writes the output
//! row by row with inner loops specialized by operand stride (both contiguous, one side a repeated
//! value), which the compiler vectorizes for simple closures. Outputs of at least
//! [`PARALLEL_THRESHOLD`] elements are split into chunks computed on rayon's global pool.
//!
//! Concurrency: plans are immutable values; the closures given to `apply`/`map` must be `Sync`
//! because large outputs are computed by several threads at once. Nothing here keeps state.

use ferroflow_framework::{Error, Result, Tensor, TensorElement, TensorShape};
use rayon::prelude::*;

/// Outputs with at least this many elements are computed in parallel chunks.
pub const PARALLEL_THRESHOLD: usize = 1 << 16;

/// Smallest chunk of output elements handed to one rayon task.
const MIN_CHUNK: usize = 1 << 14;

/// The broadcast output dimensions of `a` and `b`, or `None` when they are incompatible.
pub fn broadcast_dims(a: &[i64], b: &[i64]) -> Option<Vec<i64>> {
    let rank = a.len().max(b.len());
    let mut out = vec![0i64; rank];
    for (i, o) in out.iter_mut().enumerate() {
        // Dimension i counted from the front of the output; operands are right-aligned.
        let da = if i + a.len() >= rank { a[i + a.len() - rank] } else { 1 };
        let db = if i + b.len() >= rank { b[i + b.len() - rank] } else { 1 };
        *o = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return None;
        };
    }
    Some(out)
}

/// The number of elements of a shape with dimensions `dims`, or `None` when it does not fit a
/// `usize` (possible for shapes with a zero dimension, whose other dimensions are unbounded).
pub fn checked_num_elements(dims: &[i64]) -> Option<usize> {
    dims.iter().try_fold(1usize, |n, &d| n.checked_mul(usize::try_from(d).ok()?))
}

/// The INVALID_ARGUMENT error TF gives for two shapes that do not broadcast.
pub fn incompatible_shapes(a: &TensorShape, b: &TensorShape) -> Error {
    Error::invalid_argument(format!("Incompatible shapes: {a} vs. {b}"))
}

/// The broadcast shape of `a` and `b`, or TF's `Incompatible shapes: [2,3] vs. [4]` error.
pub fn broadcast_shapes(a: &TensorShape, b: &TensorShape) -> Result<TensorShape> {
    broadcast_dims(a.dims(), b.dims()).map(TensorShape::new).ok_or_else(|| incompatible_shapes(a, b))
}

/// How `N` operands map onto one broadcast output: collapsed output dimensions and, per operand,
/// its element stride along each of them (0 where it is broadcast).
#[derive(Debug, Clone)]
pub struct BroadcastPlan<const N: usize> {
    out_shape: TensorShape,
    num_elements: usize,
    /// Element counts of the operands, to check the slices given to `apply`.
    in_lens: [usize; N],
    /// Collapsed output dimensions, outermost first; none is 1 (empty for a one-element output).
    dims: Vec<usize>,
    /// `strides[k][d]`: elements of operand `k` skipped per step along collapsed dimension `d`.
    strides: [Vec<usize>; N],
}

impl BroadcastPlan<2> {
    /// The plan for a binary operation, or TF's `Incompatible shapes` error.
    pub fn binary(a: &TensorShape, b: &TensorShape) -> Result<Self> {
        match broadcast_dims(a.dims(), b.dims()) {
            None => Err(incompatible_shapes(a, b)),
            Some(out) if checked_num_elements(&out).is_none() => {
                Err(Error::invalid_argument(format!("Broadcasting {a} and {b} gives a shape with too many elements")))
            }
            Some(_) => Self::new([a, b]).ok_or_else(|| incompatible_shapes(a, b)),
        }
    }

    /// Computes `f(a[i], b[j])` for every output element, `a` and `b` being the row-major elements of
    /// the two shapes the plan was made from. INTERNAL if a slice length does not match its shape.
    pub fn apply<A, B, O, F>(&self, a: &[A], b: &[B], f: F) -> Result<Vec<O>>
    where
        A: Sync,
        B: Sync,
        O: Clone + Default + Send + Sync,
        F: Fn(&A, &B) -> O + Sync,
    {
        self.check_lens([a.len(), b.len()])?;
        Ok(self.fill(|out, start| self.fill_binary(out, start, a, b, &f)))
    }

    fn fill_binary<A, B, O, F>(&self, out: &mut [O], start: usize, a: &[A], b: &[B], f: &F)
    where
        F: Fn(&A, &B) -> O,
    {
        self.for_each_run(start, out.len(), |pos, len, [oa, ob], [sa, sb]| {
            let dst = &mut out[pos..pos + len];
            match (sa, sb) {
                (1, 1) => {
                    for ((o, x), y) in dst.iter_mut().zip(&a[oa..oa + len]).zip(&b[ob..ob + len]) {
                        *o = f(x, y);
                    }
                }
                (1, 0) => {
                    let y = &b[ob];
                    for (o, x) in dst.iter_mut().zip(&a[oa..oa + len]) {
                        *o = f(x, y);
                    }
                }
                (0, 1) => {
                    let x = &a[oa];
                    for (o, y) in dst.iter_mut().zip(&b[ob..ob + len]) {
                        *o = f(x, y);
                    }
                }
                _ => {
                    for (j, o) in dst.iter_mut().enumerate() {
                        *o = f(&a[oa + j * sa], &b[ob + j * sb]);
                    }
                }
            }
        });
    }
}

impl BroadcastPlan<3> {
    /// The plan for a ternary operation; `None` when the three shapes do not broadcast together.
    pub fn ternary(a: &TensorShape, b: &TensorShape, c: &TensorShape) -> Option<Self> {
        Self::new([a, b, c])
    }

    /// Computes `f(a[i], b[j], c[k])` for every output element (see [`BroadcastPlan::apply`]).
    pub fn apply3<A, B, C, O, F>(&self, a: &[A], b: &[B], c: &[C], f: F) -> Result<Vec<O>>
    where
        A: Sync,
        B: Sync,
        C: Sync,
        O: Clone + Default + Send + Sync,
        F: Fn(&A, &B, &C) -> O + Sync,
    {
        self.check_lens([a.len(), b.len(), c.len()])?;
        Ok(self.fill(|out, start| {
            self.for_each_run(start, out.len(), |pos, len, [oa, ob, oc], [sa, sb, sc]| {
                let dst = &mut out[pos..pos + len];
                if (sa, sb, sc) == (1, 1, 1) {
                    let it = a[oa..oa + len].iter().zip(&b[ob..ob + len]).zip(&c[oc..oc + len]);
                    for (o, ((x, y), z)) in dst.iter_mut().zip(it) {
                        *o = f(x, y, z);
                    }
                } else {
                    for (j, o) in dst.iter_mut().enumerate() {
                        *o = f(&a[oa + j * sa], &b[ob + j * sb], &c[oc + j * sc]);
                    }
                }
            })
        }))
    }
}

impl<const N: usize> BroadcastPlan<N> {
    /// The plan for `N` operand shapes; `None` when they do not broadcast together (or their
    /// element counts do not fit a `usize`).
    pub fn new(shapes: [&TensorShape; N]) -> Option<Self> {
        let mut out: Vec<i64> = Vec::new();
        for s in shapes {
            out = broadcast_dims(&out, s.dims())?;
        }
        let num_elements = checked_num_elements(&out)?;
        let mut in_lens = [0usize; N];
        for (len, s) in in_lens.iter_mut().zip(shapes) {
            *len = checked_num_elements(s.dims())?;
        }
        let out_shape = TensorShape::new(out.clone());
        if num_elements == 0 {
            // Nothing is ever computed; skip collapsing (sizes could overflow when multiplied).
            let strides = std::array::from_fn(|_| Vec::new());
            return Some(BroadcastPlan { out_shape, num_elements, in_lens, dims: Vec::new(), strides });
        }
        let rank = out.len();
        // Per kept output dimension: its size and which operands are present (not broadcast) in it.
        let mut dims: Vec<usize> = Vec::with_capacity(rank);
        let mut present: Vec<[bool; N]> = Vec::with_capacity(rank);
        for (i, &d) in out.iter().enumerate() {
            if d == 1 {
                continue;
            }
            let mut p = [false; N];
            for (k, s) in shapes.iter().enumerate() {
                let sd = s.dims();
                p[k] = i + sd.len() >= rank && sd[i + sd.len() - rank] != 1;
            }
            match (dims.last_mut(), present.last()) {
                (Some(last), Some(lp)) if *lp == p => *last *= d as usize,
                _ => {
                    dims.push(d as usize);
                    present.push(p);
                }
            }
        }
        let mut strides: [Vec<usize>; N] = std::array::from_fn(|_| vec![0; dims.len()]);
        for (k, st) in strides.iter_mut().enumerate() {
            let mut step = 1usize;
            for d in (0..dims.len()).rev() {
                if present[d][k] {
                    st[d] = step;
                    step = step.saturating_mul(dims[d]);
                }
            }
        }
        Some(BroadcastPlan { out_shape, num_elements, in_lens, dims, strides })
    }

    /// The broadcast output shape.
    pub fn out_shape(&self) -> &TensorShape {
        &self.out_shape
    }

    /// Number of output elements.
    pub fn num_elements(&self) -> usize {
        self.num_elements
    }

    /// True when no operand is broadcast: every operand has the output's element count.
    pub fn is_elementwise(&self) -> bool {
        self.in_lens.iter().all(|&n| n == self.num_elements)
    }

    fn check_lens(&self, lens: [usize; N]) -> Result<()> {
        if lens != self.in_lens {
            return Err(Error::internal(format!(
                "broadcast operands hold {lens:?} elements, their shapes {:?}",
                self.in_lens
            )));
        }
        Ok(())
    }

    /// Allocates the output and fills it with `fill_range(chunk, first_flat_index)`, in parallel
    /// chunks for large outputs.
    fn fill<O, G>(&self, fill_range: G) -> Vec<O>
    where
        O: Clone + Default + Send + Sync,
        G: Fn(&mut [O], usize) + Sync,
    {
        let n = self.num_elements;
        let mut out = vec![O::default(); n];
        if n >= PARALLEL_THRESHOLD {
            let chunk = chunk_len(n);
            out.par_chunks_mut(chunk).enumerate().for_each(|(i, c)| fill_range(c, i * chunk));
        } else if n > 0 {
            fill_range(&mut out, 0);
        }
        out
    }

    /// Walks output elements `start..start + len` as runs along the innermost collapsed dimension,
    /// calling `run(pos, len, offsets, inner_strides)` with `pos` relative to `start` and the
    /// operands' element offsets at the run's first element.
    fn for_each_run(&self, start: usize, len: usize, mut run: impl FnMut(usize, usize, [usize; N], [usize; N])) {
        let end = start + len;
        if self.dims.is_empty() {
            if len > 0 {
                run(0, 1, [0; N], [0; N]);
            }
            return;
        }
        let last = self.dims.len() - 1;
        let inner = self.dims[last];
        let inner_strides: [usize; N] = std::array::from_fn(|k| self.strides[k][last]);
        // Multi-index of `start` and the operands' offsets there.
        let mut idx = vec![0usize; self.dims.len()];
        let mut rem = start;
        for d in (0..self.dims.len()).rev() {
            idx[d] = rem % self.dims[d];
            rem /= self.dims[d];
        }
        let mut off: [usize; N] = std::array::from_fn(|k| idx.iter().zip(&self.strides[k]).map(|(i, s)| i * s).sum());
        let mut pos = start;
        while pos < end {
            let n = (inner - idx[last]).min(end - pos);
            run(pos - start, n, off, inner_strides);
            pos += n;
            if pos >= end {
                break;
            }
            // Move to the start of the next row: rewind the inner dimension, carry outwards.
            for (o, s) in off.iter_mut().zip(inner_strides) {
                *o -= idx[last] * s;
            }
            idx[last] = 0;
            let mut d = last;
            while d > 0 {
                d -= 1;
                idx[d] += 1;
                if idx[d] < self.dims[d] {
                    for (o, s) in off.iter_mut().zip(&self.strides) {
                        *o += s[d];
                    }
                    break;
                }
                for (o, s) in off.iter_mut().zip(&self.strides) {
                    *o -= (self.dims[d] - 1) * s[d];
                }
                idx[d] = 0;
            }
        }
    }
}

/// Output elements per parallel task for an output of `n` elements.
fn chunk_len(n: usize) -> usize {
    let tasks = rayon::current_num_threads().max(1) * 4;
    n.div_ceil(tasks).max(MIN_CHUNK)
}

/// Applies `f` to every element of `a` (no broadcasting), in parallel chunks for large inputs.
pub fn map<A, O, F>(a: &[A], f: F) -> Vec<O>
where
    A: Sync,
    O: Clone + Default + Send + Sync,
    F: Fn(&A) -> O + Sync,
{
    let n = a.len();
    let mut out = vec![O::default(); n];
    let fill = |dst: &mut [O], src: &[A]| {
        for (o, x) in dst.iter_mut().zip(src) {
            *o = f(x);
        }
    };
    if n >= PARALLEL_THRESHOLD {
        let chunk = chunk_len(n);
        out.par_chunks_mut(chunk).zip(a.par_chunks(chunk)).for_each(|(o, x)| fill(o, x));
    } else {
        fill(&mut out, a);
    }
    out
}

/// Broadcasts two tensors of element types `A` and `B` and returns the tensor of `f` applied to
/// each pair of elements. Errors: wrong element types, incompatible shapes (TF's message).
pub fn binary_op<A, B, O, F>(x: &Tensor, y: &Tensor, f: F) -> Result<Tensor>
where
    A: TensorElement + Copy,
    B: TensorElement + Copy,
    O: TensorElement,
    F: Fn(A, B) -> O + Sync,
{
    let plan = BroadcastPlan::binary(x.shape(), y.shape())?;
    let (a, b) = (x.values::<A>()?, y.values::<B>()?);
    let out = plan.apply(&a, &b, |&p, &q| f(p, q))?;
    Tensor::from_vec(plan.out_shape().clone(), out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(d: &[i64]) -> TensorShape {
        TensorShape::new(d.to_vec())
    }

    /// Reference: computes each output element's operand indices from scratch.
    fn naive(a: &[i64], b: &[i64], av: &[i64], bv: &[i64]) -> Vec<i64> {
        let out = broadcast_dims(a, b).unwrap();
        let n: i64 = out.iter().product();
        let index_of = |dims: &[i64], oi: &[i64]| -> usize {
            let off = oi.len() - dims.len();
            let mut i = 0i64;
            for (d, &sz) in dims.iter().enumerate() {
                i = i * sz + if sz == 1 { 0 } else { oi[off + d] };
            }
            i as usize
        };
        (0..n)
            .map(|flat| {
                let mut oi = vec![0i64; out.len()];
                let mut r = flat;
                for d in (0..out.len()).rev() {
                    oi[d] = r % out[d];
                    r /= out[d];
                }
                av[index_of(a, &oi)] * 1000 + bv[index_of(b, &oi)]
            })
            .collect()
    }

    #[test]
    fn output_shapes_follow_numpy_rules() {
        assert_eq!(broadcast_dims(&[2, 3], &[3]), Some(vec![2, 3]));
        assert_eq!(broadcast_dims(&[4, 1, 3], &[2, 1]), Some(vec![4, 2, 3]));
        assert_eq!(broadcast_dims(&[], &[5]), Some(vec![5]));
        assert_eq!(broadcast_dims(&[0, 3], &[1, 3]), Some(vec![0, 3]));
        assert_eq!(broadcast_dims(&[0], &[2]), None);
        let e = broadcast_shapes(&shape(&[2, 3]), &shape(&[4])).unwrap_err();
        assert_eq!(e.code, ferroflow_framework::Code::InvalidArgument);
        assert_eq!(e.message, "Incompatible shapes: [2,3] vs. [4]");
    }

    #[test]
    fn plans_collapse_dimensions() {
        let p = BroadcastPlan::binary(&shape(&[2, 3, 4]), &shape(&[2, 3, 4])).unwrap();
        assert_eq!(p.dims, vec![24]);
        assert!(p.is_elementwise());
        let p = BroadcastPlan::binary(&shape(&[5, 1, 3, 4]), &shape(&[3, 4])).unwrap();
        assert_eq!((p.dims.clone(), p.strides.clone()), (vec![5, 12], [vec![12, 1], vec![0, 1]]));
        let p = BroadcastPlan::binary(&shape(&[]), &shape(&[7])).unwrap();
        assert_eq!((p.dims.clone(), p.strides.clone()), (vec![7], [vec![0], vec![1]]));
        let p = BroadcastPlan::binary(&shape(&[1, 1]), &shape(&[1])).unwrap();
        assert!(p.dims.is_empty());
        assert_eq!(p.out_shape(), &shape(&[1, 1]));
    }

    #[test]
    fn apply_matches_a_naive_reference() {
        let pairs: &[(&[i64], &[i64])] = &[
            (&[], &[]),
            (&[3], &[]),
            (&[], &[3]),
            (&[2, 3], &[3]),
            (&[2, 3], &[2, 1]),
            (&[2, 1], &[1, 3]),
            (&[4, 1, 3], &[2, 1]),
            (&[3, 1, 2, 1], &[1, 4, 1, 5]),
            (&[2, 3, 4], &[2, 3, 4]),
            (&[1, 5], &[5, 1]),
            (&[0, 3], &[3]),
            (&[2, 0], &[2, 1]),
        ];
        for &(a, b) in pairs {
            let na: i64 = a.iter().product();
            let nb: i64 = b.iter().product();
            let av: Vec<i64> = (0..na).collect();
            let bv: Vec<i64> = (0..nb).map(|x| x + 500).collect();
            let plan = BroadcastPlan::binary(&shape(a), &shape(b)).unwrap();
            let got = plan.apply(&av, &bv, |&x, &y| x * 1000 + y).unwrap();
            assert_eq!(got, naive(a, b, &av, &bv), "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn large_outputs_are_computed_in_parallel_chunks_correctly() {
        // Odd sizes so chunk boundaries fall inside rows.
        for (a, b) in [(vec![257i64, 1, 263], vec![1i64, 3, 263]), (vec![70001], vec![1]), (vec![401, 1], vec![1, 389])]
        {
            let na: i64 = a.iter().product();
            let nb: i64 = b.iter().product();
            let av: Vec<i64> = (0..na).collect();
            let bv: Vec<i64> = (0..nb).collect();
            let plan = BroadcastPlan::binary(&shape(&a), &shape(&b)).unwrap();
            assert!(plan.num_elements() >= PARALLEL_THRESHOLD);
            let got = plan.apply(&av, &bv, |&x, &y| x * 1000 + y).unwrap();
            assert_eq!(got, naive(&a, &b, &av, &bv), "{a:?} vs {b:?}");
        }
        let big: Vec<f32> = (0..100_000).map(|i| i as f32).collect();
        assert_eq!(map(&big, |&x| x * 2.0)[99_999], 199_998.0);
    }

    #[test]
    fn ternary_plans_broadcast_all_three() {
        let plan = BroadcastPlan::ternary(&shape(&[2, 1]), &shape(&[3]), &shape(&[])).unwrap();
        assert_eq!(plan.out_shape(), &shape(&[2, 3]));
        let got = plan.apply3(&[true, false], &[1, 2, 3], &[9], |&c, &t, &e| if c { t } else { e }).unwrap();
        assert_eq!(got, vec![1, 2, 3, 9, 9, 9]);
        assert!(BroadcastPlan::ternary(&shape(&[2]), &shape(&[3]), &shape(&[])).is_none());
    }

    #[test]
    fn mismatched_slices_and_tensor_level_helper() {
        let plan = BroadcastPlan::binary(&shape(&[2]), &shape(&[2])).unwrap();
        assert!(plan.apply(&[1, 2, 3], &[1, 2], |a: &i32, b: &i32| a + b).is_err());
        let x = Tensor::from_vec(vec![2, 1], vec![1.0f32, 2.0]).unwrap();
        let y = Tensor::from_vec(vec![3], vec![10.0f32, 20.0, 30.0]).unwrap();
        let z = binary_op(&x, &y, |a: f32, b: f32| a + b).unwrap();
        assert_eq!(z.dims(), &[2, 3]);
        assert_eq!(z.values::<f32>().unwrap().as_ref(), &[11.0, 21.0, 31.0, 12.0, 22.0, 32.0]);
        let w = Tensor::from_vec(vec![3, 4], vec![0f32; 12]).unwrap();
        assert!(binary_op(&x, &w, |a: f32, b: f32| a + b).is_err());
    }
}
