//! MatMul and _FusedMatMul (MatMul + BiasAdd + optional activation), for 2-D operands.
//!
//! Float and double products run on the `gemm` crate, addressed through strides so transposed
//! operands are never copied; products of at least [`PAR_FLOPS`] multiply-adds use rayon's global
//! pool, smaller ones stay on the calling thread to keep latency low. Integer products use plain
//! loops with wrapping arithmetic (TF's int kernels wrap too).
//!
//! Concurrency: kernels are stateless (`Send + Sync`; transposes, fused ops and alpha are fixed at
//! build time) and may run concurrently; each call allocates its own output.

use crate::array::kernel;
use crate::nn::{Activation, Num, Real};
use ferroflow_framework::{Cost, DType, Error, Kernel, KernelInit, OpRegistry, Result, Tensor};
use rayon::prelude::*;

pub(crate) fn register(reg: &mut OpRegistry) {
    reg.op("MatMul")
        .input("a: T")
        .input("b: T")
        .output("product: T")
        .attr("transpose_a: bool = false")
        .attr("transpose_b: bool = false")
        .attr("T: {bfloat16, half, float, double, int32, int64, uint8, uint16, uint32, uint64, complex64, complex128}")
        .attr("grad_a: bool = false")
        .attr("grad_b: bool = false")
        .cost(Cost::MatMul)
        .kernel(matmul);
    reg.op("_FusedMatMul")
        .input("a: T")
        .input("b: T")
        .input("args: num_args * T")
        .output("product: T")
        .attr("transpose_a: bool = false")
        .attr("transpose_b: bool = false")
        .attr("T: {bfloat16, half, float}")
        .attr("num_args: int >= 0")
        .attr("fused_ops: list(string) = []")
        .attr("epsilon: float = 0.0001")
        .attr("leakyrelu_alpha: float = 0.2")
        .cost(Cost::MatMul)
        .kernel(fused_matmul);
}

/// Multiply-adds (m * n * k) from which a product is split over the thread pool.
const PAR_FLOPS: usize = 1 << 18;

/// Sizes of a product: `[m, k] x [k, n]` after the transposes.
#[derive(Clone, Copy)]
struct Mnk {
    m: usize,
    k: usize,
    n: usize,
    ta: bool,
    tb: bool,
}

/// Validates the operands as TF 2.21's CPU MatMul does, with its messages.
fn check_shapes(a: &Tensor, b: &Tensor, ta: bool, tb: bool) -> Result<Mnk> {
    if a.rank() != b.rank() {
        return Err(Error::invalid_argument(format!(
            "In[0] and In[1] has different ndims: {} vs. {}",
            a.shape(),
            b.shape()
        )));
    }
    if a.rank() != 2 {
        return Err(Error::invalid_argument(format!("In[0] and In[1] ndims must be == 2: {}", a.rank())));
    }
    let (a0, a1, b0, b1) = (a.dims()[0] as usize, a.dims()[1] as usize, b.dims()[0] as usize, b.dims()[1] as usize);
    let (m, k) = if ta { (a1, a0) } else { (a0, a1) };
    let (k2, n) = if tb { (b1, b0) } else { (b0, b1) };
    if k != k2 {
        return Err(Error::invalid_argument(format!(
            "Matrix size-incompatible: In[0]: {}, In[1]: {}",
            a.shape(),
            b.shape()
        )));
    }
    Ok(Mnk { m, k, n, ta, tb })
}

fn parallel(d: Mnk) -> bool {
    d.m.saturating_mul(d.n).saturating_mul(d.k) >= PAR_FLOPS && rayon::current_num_threads() > 1
}

/// `op(a) x op(b)` for float and double through `gemm`, strided over the stored operands.
fn gemm_real<T: Real>(a: &[T], b: &[T], d: Mnk) -> Result<Vec<T>> {
    let Mnk { m, k, n, ta, tb } = d;
    if a.len() != m * k || b.len() != k * n {
        return Err(Error::internal("matmul operand sizes do not match their shapes"));
    }
    let mut out = zeroed(m, n)?;
    if m == 0 || n == 0 || k == 0 {
        return Ok(out);
    }
    // Logical element (i, p) of op(a) lives at i * rs + p * cs of the stored matrix.
    let (a_rs, a_cs) = if ta { (1, m as isize) } else { (k as isize, 1) };
    let (b_rs, b_cs) = if tb { (1, k as isize) } else { (n as isize, 1) };
    let par = if parallel(d) { gemm::Parallelism::Rayon(0) } else { gemm::Parallelism::None };
    // SAFETY: `a` holds the m x k operand and `b` the k x n one under the strides above (sizes
    // checked), `out` is an exclusively borrowed m x n row-major buffer, and T is f32 or f64
    // (the only `Real` types), both supported by gemm. With read_dst false, dst = beta * a * b.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            1,
            n as isize,
            false,
            a.as_ptr(),
            a_cs,
            a_rs,
            b.as_ptr(),
            b_cs,
            b_rs,
            T::ZERO,
            T::ONE,
            false,
            false,
            false,
            par,
        );
    }
    Ok(out)
}

/// A matrix operand addressed through strides: element (i, j) is `data[i * rows + j * cols]`.
#[derive(Clone, Copy)]
pub(crate) struct Strided<'a, T> {
    pub data: &'a [T],
    pub rows: usize,
    pub cols: usize,
}

impl<T> Strided<'_, T> {
    /// Whether every element of an `r x c` matrix lies inside `data`.
    fn covers(&self, r: usize, c: usize) -> bool {
        r == 0 || c == 0 || (r - 1) * self.rows + (c - 1) * self.cols < self.data.len()
    }
}

/// `dst (+)= a x b` for an `m x k` operand `a` and a `k x n` operand `b`, both strided, into the
/// `m x n` matrix at the start of `dst` whose rows are `dst_rows` apart. With `accumulate` the
/// product is added to `dst`, else it replaces it. `parallel` lets gemm split the product over
/// rayon's pool (callers that already run one product per pool thread pass false).
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm_strided<T: Real>(
    (m, n, k): (usize, usize, usize),
    dst: &mut [T],
    dst_rows: usize,
    a: Strided<'_, T>,
    b: Strided<'_, T>,
    accumulate: bool,
    parallel: bool,
) -> Result<()> {
    if m == 0 || n == 0 {
        return Ok(());
    }
    if !a.covers(m, k) || !b.covers(k, n) || n > dst_rows || (m - 1) * dst_rows + n > dst.len() {
        return Err(Error::internal("gemm operands do not fit their buffers"));
    }
    if k == 0 {
        if !accumulate {
            dst.chunks_mut(dst_rows).take(m).for_each(|r| r[..n].fill(T::ZERO));
        }
        return Ok(());
    }
    let par = if parallel && m.saturating_mul(n).saturating_mul(k) >= PAR_FLOPS && rayon::current_num_threads() > 1 {
        gemm::Parallelism::Rayon(0)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: the bounds of all three matrices under their strides were checked above, `dst` is
    // borrowed exclusively, and T is f32 or f64 (the only `Real` types). dst = alpha * dst + beta
    // * a * b, reading dst only when accumulating.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            dst_rows as isize,
            accumulate,
            a.data.as_ptr(),
            a.cols as isize,
            a.rows as isize,
            b.data.as_ptr(),
            b.cols as isize,
            b.rows as isize,
            T::ONE,
            T::ONE,
            false,
            false,
            false,
            par,
        );
    }
    Ok(())
}

/// A zeroed `m x n` output, RESOURCE_EXHAUSTED when it cannot be allocated.
pub(crate) fn zeroed<T: Num>(m: usize, n: usize) -> Result<Vec<T>> {
    let len = m.checked_mul(n).filter(|&l| l <= isize::MAX as usize / std::mem::size_of::<T>().max(1));
    let mut out = Vec::new();
    len.and_then(|l| out.try_reserve_exact(l).ok()).ok_or_else(|| {
        Error::resource_exhausted(format!("OOM when allocating tensor with shape[{m},{n}] on the CPU"))
    })?;
    out.resize(m * n, T::ZERO);
    Ok(out)
}

/// Row-major copy of the transpose of a `[rows, cols]` matrix.
fn transposed<T: Copy + Default>(x: &[T], rows: usize, cols: usize) -> Vec<T> {
    let mut t = vec![T::default(); x.len()];
    for r in 0..rows {
        for c in 0..cols {
            t[c * rows + r] = x[r * cols + c];
        }
    }
    t
}

/// `op(a) x op(b)` for integers: i-p-j loops over row-major operands, wrapping on overflow.
fn matmul_int<T: Num + Send + Sync>(a: &[T], b: &[T], d: Mnk) -> Result<Vec<T>> {
    let Mnk { m, k, n, ta, tb } = d;
    let a_t;
    let a = if ta {
        a_t = transposed(a, k, m);
        &a_t[..]
    } else {
        a
    };
    let b_t;
    let b = if tb {
        b_t = transposed(b, n, k);
        &b_t[..]
    } else {
        b
    };
    let mut out = zeroed(m, n)?;
    if n == 0 {
        return Ok(out);
    }
    let row = |i: usize, o: &mut [T]| {
        for p in 0..k {
            let av = a[i * k + p];
            for (o, &bv) in o.iter_mut().zip(&b[p * n..(p + 1) * n]) {
                *o = o.add(av.mul(bv));
            }
        }
    };
    if parallel(d) {
        out.par_chunks_mut(n).enumerate().for_each(|(i, o)| row(i, o));
    } else {
        out.chunks_mut(n).enumerate().for_each(|(i, o)| row(i, o));
    }
    Ok(out)
}

fn product(a: &Tensor, b: &Tensor, d: Mnk, dtype: DType) -> Result<Tensor> {
    let shape = vec![d.m as i64, d.n as i64];
    match dtype {
        DType::Float => Tensor::from_vec(shape, gemm_real(&a.values::<f32>()?, &b.values::<f32>()?, d)?),
        DType::Double => Tensor::from_vec(shape, gemm_real(&a.values::<f64>()?, &b.values::<f64>()?, d)?),
        DType::Int32 => Tensor::from_vec(shape, matmul_int(&a.values::<i32>()?, &b.values::<i32>()?, d)?),
        DType::Int64 => Tensor::from_vec(shape, matmul_int(&a.values::<i64>()?, &b.values::<i64>()?, d)?),
        other => Err(Error::unimplemented(format!("MatMul is not implemented for {other}"))),
    }
}

fn matmul(init: &KernelInit<'_>) -> Result<Kernel> {
    let dtype = init.attrs.get_type_in("T", &[DType::Float, DType::Double, DType::Int32, DType::Int64])?;
    let ta = init.attrs.get_bool_or("transpose_a", false)?;
    let tb = init.attrs.get_bool_or("transpose_b", false)?;
    Ok(kernel(1, move |ctx| {
        let (a, b) = (ctx.input(0), ctx.input(1));
        let d = check_shapes(a, b, ta, tb)?;
        let out = product(a, b, d, dtype)?;
        ctx.set_output(0, out);
        Ok(())
    }))
}

const BIAS_ARGS: &str = "Fused MatMul with BiasAdd must have one extra argument: bias or 4 extra arguments: bias, side_input, conv_input_scale and side_input_scale";

fn fused_matmul(init: &KernelInit<'_>) -> Result<Kernel> {
    init.attrs.get_type_in("T", &[DType::Float])?;
    let ta = init.attrs.get_bool_or("transpose_a", false)?;
    let tb = init.attrs.get_bool_or("transpose_b", false)?;
    let ops = init.attrs.get_list_string("fused_ops")?;
    let alpha = init.attrs.get_float_or("leakyrelu_alpha", 0.2)?;
    let num_args = init.attrs.get_int_or("num_args", 0)?;
    let unfused = || Error::unimplemented(format!("Fusion is not implemented: [{}]", ops.join(",")));
    let act = match ops.as_slice() {
        [bias] if bias == "BiasAdd" => Activation::Identity,
        [bias, act] if bias == "BiasAdd" => Activation::from_name(act, alpha).ok_or_else(unfused)?,
        _ => return Err(unfused()),
    };
    if num_args != 1 {
        return Err(Error::invalid_argument(BIAS_ARGS));
    }
    Ok(kernel(1, move |ctx| {
        if ctx.num_inputs() != 3 {
            return Err(Error::invalid_argument(BIAS_ARGS));
        }
        let (a, b, bias) = (ctx.input(0), ctx.input(1), ctx.input(2));
        let d = check_shapes(a, b, ta, tb)?;
        if bias.rank() != 1 {
            return Err(Error::invalid_argument(format!("bias must be 1-dimensional{}", bias.shape())));
        }
        if bias.dims()[0] as usize != d.n {
            return Err(Error::invalid_argument(format!(
                "Must provide as many biases as the last dimension of the input tensor: {} vs. [{},{}]",
                bias.shape(),
                d.m,
                d.n
            )));
        }
        let bias = bias.values::<f32>()?;
        let mut out = gemm_real(&a.values::<f32>()?, &b.values::<f32>()?, d)?;
        crate::nn::for_rows(&mut out, d.n, |_, row| act.apply_row(row, &bias));
        ctx.set_output(0, Tensor::from_vec(vec![d.m as i64, d.n as i64], out)?);
        Ok(())
    }))
}

#[cfg(test)]
mod tests {
    use crate::testutil::{assert_tensor_close, node, run};
    use ferroflow_framework::{Code, DType, Tensor};

    #[test]
    fn oracle_cases() {
        crate::array::oracle::run_cases("matmul_nn.json", &["MatMul", "_FusedMatMul"], 1e-4);
    }

    /// A deterministic matrix with entries in [-1, 1).
    fn matrix(rows: usize, cols: usize, seed: u64) -> Vec<f64> {
        let mut s = seed;
        (0..rows * cols)
            .map(|_| {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((s >> 40) as f64 / (1u64 << 24) as f64) * 2.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn large_products_match_a_reference_in_every_layout() {
        // Big enough to take the threaded path, odd sizes to hit every edge of gemm's blocking.
        let (m, k, n) = (131, 257, 69);
        let a = matrix(m, k, 1);
        let b = matrix(k, n, 2);
        let mut want = vec![0.0f64; m * n];
        for i in 0..m {
            for p in 0..k {
                for j in 0..n {
                    want[i * n + j] += a[i * k + p] * b[p * n + j];
                }
            }
        }
        let want =
            Tensor::from_vec(vec![m as i64, n as i64], want.iter().map(|&v| v as f32).collect::<Vec<_>>()).unwrap();
        let t = |x: &[f64], r: usize, c: usize| super::transposed(x, r, c);
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let (ad, av) =
                if ta { (vec![k as i64, m as i64], t(&a, m, k)) } else { (vec![m as i64, k as i64], a.clone()) };
            let (bd, bv) =
                if tb { (vec![n as i64, k as i64], t(&b, k, n)) } else { (vec![k as i64, n as i64], b.clone()) };
            let at = Tensor::from_vec(ad, av.iter().map(|&v| v as f32).collect::<Vec<_>>()).unwrap();
            let bt = Tensor::from_vec(bd, bv.iter().map(|&v| v as f32).collect::<Vec<_>>()).unwrap();
            let nd =
                node("MatMul").attr_type("T", DType::Float).attr_bool("transpose_a", ta).attr_bool("transpose_b", tb);
            let out = run(nd, vec![at, bt]).unwrap();
            assert_tensor_close(&out[0], &want, 1e-4, &format!("ta={ta} tb={tb}"));
        }
    }

    #[test]
    fn fused_bias_of_the_wrong_length_is_refused() {
        let a = Tensor::from_vec(vec![2, 2], vec![1.0f32; 4]).unwrap();
        let b = Tensor::from_vec(vec![2, 3], vec![1.0f32; 6]).unwrap();
        let bias = Tensor::from_vec(vec![2], vec![1.0f32; 2]).unwrap();
        let n = node("_FusedMatMul")
            .attr_type("T", DType::Float)
            .attr_list_str("fused_ops", &["BiasAdd", "Relu"])
            .attr_int("num_args", 1);
        let e = run(n, vec![a, b, bias]).unwrap_err();
        assert_eq!(e.code, Code::InvalidArgument);
        assert!(e.message.contains("Must provide as many biases"), "{}", e.message);
    }

    #[test]
    fn unsupported_types_are_refused_at_build_time() {
        let a = Tensor::from_vec(vec![1, 1], vec![1u8]).unwrap();
        let e = run(node("MatMul").attr_type("T", DType::UInt8), vec![a.clone(), a]).unwrap_err();
        assert!(e.message.contains("Value for attr 'T' of uint8 is not in the list"), "{}", e.message);
    }
}
