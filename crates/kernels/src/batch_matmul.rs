//! Batched matrix products: `BatchMatMul` (equal batch dimensions), `BatchMatMulV2` and
//! `BatchMatMulV3` (batch dimensions broadcast as NumPy does), with `adj_x`/`adj_y`, float and
//! double on `gemm` and int32/int64 with wrapping loops, TF 2.21's shape rules and messages.
//!
//! Each output matrix is `op(x[i]) x op(y[j])` for the batch entries `i`, `j` that broadcast to it;
//! operands are addressed through strides, so adjoints are never copied. Many small products are
//! spread over rayon's pool one product per task; fewer, larger ones let gemm split each product.
//!
//! Concurrency: stateless kernels (`Send + Sync`; adjoints fixed at build time).

use crate::array::kernel;
use crate::matmul::{Strided, gemm_strided, zeroed};
use crate::nn::{Num, Real};
use ferroflow_framework::{Cost, DType, Error, Kernel, KernelInit, OpRegistry, Result, Tensor};
use rayon::prelude::*;

pub(crate) fn register(reg: &mut OpRegistry) {
    reg.op("BatchMatMul")
        .input("x: T")
        .input("y: T")
        .output("output: T")
        .attr("T: {bfloat16, half, float, double, int32, int64, complex64, complex128}")
        .attr("adj_x: bool = false")
        .attr("adj_y: bool = false")
        .attr("grad_x: bool = false")
        .attr("grad_y: bool = false")
        .cost(Cost::MatMul)
        .kernel(|init| build(init, false, "T"));
    reg.op("BatchMatMulV2")
        .input("x: T")
        .input("y: T")
        .output("output: T")
        .attr("T: {bfloat16, half, float, double, int16, int32, int64, uint8, uint16, uint32, uint64, complex64, complex128}")
        .attr("adj_x: bool = false")
        .attr("adj_y: bool = false")
        .attr("grad_x: bool = false")
        .attr("grad_y: bool = false")
        .cost(Cost::MatMul)
        .kernel(|init| build(init, true, "T"));
    reg.op("BatchMatMulV3")
        .input("x: Ta")
        .input("y: Tb")
        .output("output: Tout")
        .attr("Ta: {bfloat16, half, float, double, uint8, int8, int16, int32, int64, complex64, complex128}")
        .attr("Tb: {bfloat16, half, float, double, uint8, int8, int16, int32, int64, complex64, complex128}")
        .attr("Tout: {bfloat16, half, float, double, int16, int32, int64, complex64, complex128}")
        .attr("adj_x: bool = false")
        .attr("adj_y: bool = false")
        .attr("grad_x: bool = false")
        .attr("grad_y: bool = false")
        .cost(Cost::MatMul)
        .kernel(|init| build(init, true, "Ta"));
}

/// The shapes of one batched product.
struct Plan {
    /// Output dims: broadcast batch, then `[m, n]`.
    out_dims: Vec<i64>,
    m: usize,
    k: usize,
    n: usize,
    /// For each output matrix, the x and y matrices it multiplies.
    pairs: Vec<(usize, usize)>,
}

fn plan(x: &Tensor, y: &Tensor, adj_x: bool, adj_y: bool, broadcast: bool) -> Result<Plan> {
    let (xd, yd) = (x.dims(), y.dims());
    if !broadcast && xd.len() != yd.len() {
        return Err(Error::invalid_argument(format!(
            "In[0] and In[1] has different ndims: {} vs. {}",
            x.shape(),
            y.shape()
        )));
    }
    for (i, d) in [xd, yd].iter().enumerate() {
        if d.len() < 2 {
            return Err(Error::invalid_argument(format!("In[{i}] ndims must be >= 2: {}", d.len())));
        }
    }
    let (xb, yb) = (&xd[..xd.len() - 2], &yd[..yd.len() - 2]);
    let rank = xb.len().max(yb.len());
    let pad = |b: &[i64]| -> Vec<i64> { std::iter::repeat_n(1, rank - b.len()).chain(b.iter().copied()).collect() };
    let (xp, yp) = (pad(xb), pad(yb));
    let mut batch = Vec::with_capacity(rank);
    for (d, (&a, &b)) in xp.iter().zip(&yp).enumerate() {
        if a == b || (broadcast && (a == 1 || b == 1)) {
            batch.push(a.max(b));
        } else if broadcast {
            return Err(Error::invalid_argument(format!(
                "In[0] and In[1] must have compatible batch dimensions: {} vs. {}",
                x.shape(),
                y.shape()
            )));
        } else {
            return Err(Error::invalid_argument(format!(
                "In[0].dim({d}) and In[1].dim({d}) must be the same: {} vs {}",
                x.shape(),
                y.shape()
            )));
        }
    }
    let (xr, xc) = (xd[xd.len() - 2] as usize, xd[xd.len() - 1] as usize);
    let (yr, yc) = (yd[yd.len() - 2] as usize, yd[yd.len() - 1] as usize);
    let (m, k) = if adj_x { (xc, xr) } else { (xr, xc) };
    let (k2, n) = if adj_y { (yc, yr) } else { (yr, yc) };
    if k != k2 {
        return Err(Error::invalid_argument(format!(
            "Matrix size-incompatible: In[0]: {}, In[1]: {}",
            x.shape(),
            y.shape()
        )));
    }
    // Row-major strides of each operand's (padded) batch dims, 0 where it broadcasts.
    let strides = |p: &[i64]| -> Vec<usize> {
        let mut s = vec![0usize; rank];
        let mut acc = 1usize;
        for d in (0..rank).rev() {
            s[d] = if p[d] == 1 { 0 } else { acc };
            acc *= p[d] as usize;
        }
        s
    };
    let (xs, ys) = (strides(&xp), strides(&yp));
    let total: usize = batch.iter().map(|&d| d as usize).product();
    let mut pairs = Vec::new();
    pairs.try_reserve_exact(total).map_err(|_| Error::resource_exhausted("batch too large"))?;
    let mut coord = vec![0usize; rank];
    for _ in 0..total {
        let xi = coord.iter().zip(&xs).map(|(c, s)| c * s).sum();
        let yi = coord.iter().zip(&ys).map(|(c, s)| c * s).sum();
        pairs.push((xi, yi));
        for d in (0..rank).rev() {
            coord[d] += 1;
            if coord[d] < batch[d] as usize {
                break;
            }
            coord[d] = 0;
        }
    }
    let mut out_dims = batch;
    out_dims.extend([m as i64, n as i64]);
    Ok(Plan { out_dims, m, k, n, pairs })
}

fn float_products<T: Real>(x: &[T], y: &[T], p: &Plan, adj_x: bool, adj_y: bool) -> Result<Vec<T>> {
    let (m, k, n) = (p.m, p.k, p.n);
    let mut out = zeroed::<T>(p.pairs.len(), m * n)?;
    if out.is_empty() {
        return Ok(out);
    }
    // Element (i, j) of op(x) and op(y) under each stored layout.
    let (xrs, xcs) = if adj_x { (1, m) } else { (k, 1) };
    let (yrs, ycs) = if adj_y { (1, k) } else { (n, 1) };
    let product = |(i, dst): (usize, &mut [T]), split: bool| -> Result<()> {
        let (xi, yi) = p.pairs[i];
        let a = Strided { data: &x[xi * m * k..(xi + 1) * m * k], rows: xrs, cols: xcs };
        let b = Strided { data: &y[yi * k * n..(yi + 1) * k * n], rows: yrs, cols: ycs };
        gemm_strided((m, n, k), dst, n, a, b, false, split)
    };
    let per = m * n;
    if p.pairs.len() >= rayon::current_num_threads() && per > 0 {
        out.par_chunks_mut(per).enumerate().try_for_each(|c| product(c, false))?;
    } else if per > 0 {
        out.chunks_mut(per).enumerate().try_for_each(|c| product(c, true))?;
    }
    Ok(out)
}

fn int_products<T: Num + Send + Sync>(x: &[T], y: &[T], p: &Plan, adj_x: bool, adj_y: bool) -> Result<Vec<T>> {
    let (m, k, n) = (p.m, p.k, p.n);
    let mut out = zeroed::<T>(p.pairs.len(), m * n)?;
    if m * n == 0 {
        return Ok(out);
    }
    out.par_chunks_mut(m * n).enumerate().for_each(|(i, dst)| {
        let (xi, yi) = p.pairs[i];
        let (a, b) = (&x[xi * m * k..], &y[yi * k * n..]);
        for r in 0..m {
            for q in 0..k {
                let av = if adj_x { a[q * m + r] } else { a[r * k + q] };
                for c in 0..n {
                    let bv = if adj_y { b[c * k + q] } else { b[q * n + c] };
                    dst[r * n + c] = dst[r * n + c].add(av.mul(bv));
                }
            }
        }
    });
    Ok(out)
}

fn build(init: &KernelInit<'_>, broadcast: bool, type_attr: &'static str) -> Result<Kernel> {
    init.expect_inputs(2)?;
    let types = [DType::Float, DType::Double, DType::Int32, DType::Int64];
    let dtype = init.attrs.get_type_in(type_attr, &types)?;
    if type_attr == "Ta" {
        for other in ["Tb", "Tout"] {
            if init.attrs.get_type(other)? != dtype {
                return Err(Error::unimplemented(format!(
                    "BatchMatMulV3 of mixed types (Ta={dtype}, {other}={}) is not implemented in ferroflow",
                    init.attrs.get_type(other)?
                )));
            }
        }
    }
    let adj_x = init.attrs.get_bool_or("adj_x", false)?;
    let adj_y = init.attrs.get_bool_or("adj_y", false)?;
    Ok(kernel(1, move |ctx| {
        let (x, y) = (ctx.input(0), ctx.input(1));
        if x.dtype() != dtype || y.dtype() != dtype {
            return Err(Error::invalid_argument(format!("BatchMatMul expects {dtype} operands")));
        }
        let p = plan(x, y, adj_x, adj_y, broadcast)?;
        let out = match dtype {
            DType::Float => Tensor::from_vec(p.out_dims.clone(), float_products(&x.values::<f32>()?, &y.values::<f32>()?, &p, adj_x, adj_y)?)?,
            DType::Double => Tensor::from_vec(p.out_dims.clone(), float_products(&x.values::<f64>()?, &y.values::<f64>()?, &p, adj_x, adj_y)?)?,
            DType::Int32 => Tensor::from_vec(p.out_dims.clone(), int_products(&x.values::<i32>()?, &y.values::<i32>()?, &p, adj_x, adj_y)?)?,
            _ => Tensor::from_vec(p.out_dims.clone(), int_products(&x.values::<i64>()?, &y.values::<i64>()?, &p, adj_x, adj_y)?)?,
        };
        ctx.set_output(0, out);
        Ok(())
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn tf_oracle_cases() {
        let ops = ["BatchMatMul", "BatchMatMulV2", "BatchMatMulV3"];
        assert!(crate::array::oracle::run_cases("batch_matmul.json", &ops, 1e-5) >= 100);
    }
}
