//! BiasAdd and BiasAddGrad, for NHWC (channels last) and NCHW (channels in dimension 1) data.
//! Stateless kernels; the data format is fixed at build time.

use super::{Num, for_rows};
use crate::array::kernel;
use ferroflow_framework::{Cost, DType, Error, Kernel, KernelInit, OpRegistry, Result, Tensor, dispatch};

pub(super) fn register(reg: &mut OpRegistry) {
    reg.op("BiasAdd")
        .input("value: T")
        .input("bias: T")
        .output("output: T")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("data_format: {'NHWC', 'NCHW'} = 'NHWC'")
        .cost(Cost::Elementwise)
        .kernel(bias_add);
    reg.op("BiasAddV1")
        .input("value: T")
        .input("bias: T")
        .output("output: T")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .cost(Cost::Elementwise)
        .kernel(bias_add);
    reg.op("BiasAddGrad")
        .input("out_backprop: T")
        .output("output: T")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("data_format: {'NHWC', 'NCHW'} = 'NHWC'")
        .cost(Cost::InputElements)
        .kernel(bias_add_grad);
}

/// True for NCHW; INVALID_ARGUMENT for formats other than NHWC and NCHW.
fn channels_first(init: &KernelInit<'_>) -> Result<bool> {
    match init.attrs.get_string_or("data_format", "NHWC")?.as_str() {
        "NHWC" => Ok(false),
        "NCHW" => Ok(true),
        other => Err(Error::invalid_argument(format!("Invalid data format: {other}"))),
    }
}

/// `(outer, channels, inner)`: the input seen as `[outer, channels, inner]`.
fn split(x: &Tensor, nchw: bool) -> (usize, usize, usize) {
    let d: Vec<usize> = x.dims().iter().map(|&v| v as usize).collect();
    if nchw {
        (d[0], d[1], d[2..].iter().product())
    } else {
        let c = d[d.len() - 1];
        (d[..d.len() - 1].iter().product(), c, 1)
    }
}

fn add_bias<T: Num + Send + Sync>(x: &Tensor, bias: &Tensor, nchw: bool) -> Result<Tensor> {
    let (v, b) = (x.values::<T>()?, bias.values::<T>()?);
    let (_, c, inner) = split(x, nchw);
    let mut out = v.into_owned();
    let w = c * inner;
    for_rows(&mut out, w, |_, row| {
        if inner == 1 {
            for (o, &bv) in row.iter_mut().zip(b.iter()) {
                *o = o.add(bv);
            }
        } else {
            for (plane, &bv) in row.chunks_mut(inner).zip(b.iter()) {
                plane.iter_mut().for_each(|o| *o = o.add(bv));
            }
        }
    });
    Tensor::from_vec(x.shape().clone(), out)
}

fn bias_add(init: &KernelInit<'_>) -> Result<Kernel> {
    let dtype = init.attrs.get_type_in("T", DType::REAL)?;
    let nchw = channels_first(init)?;
    Ok(kernel(1, move |ctx| {
        let (x, bias) = (ctx.input(0), ctx.input(1));
        if x.rank() < 2 {
            return Err(Error::invalid_argument(format!("Input tensor must be at least 2D: {}", x.shape())));
        }
        if bias.rank() != 1 {
            return Err(Error::invalid_argument(format!("Biases must be 1D: {}", bias.shape())));
        }
        let (_, c, _) = split(x, nchw);
        if bias.dims()[0] as usize != c {
            return Err(Error::invalid_argument(format!(
                "Must provide as many biases as the last dimension of the input tensor: {} vs. {}",
                bias.shape(),
                x.shape()
            )));
        }
        let out = dispatch!(real, dtype, T => add_bias::<T>(x, bias, nchw)?, return Err(Error::internal("bad dtype")));
        ctx.set_output(0, out);
        Ok(())
    }))
}

fn sum_bias<T: Num>(dy: &Tensor, nchw: bool) -> Result<Tensor> {
    let v = dy.values::<T>()?;
    let (outer, c, inner) = split(dy, nchw);
    let mut acc = vec![T::ZERO; c];
    if c * inner > 0 {
        for row in v.chunks_exact(c * inner).take(outer) {
            if inner == 1 {
                for (a, &x) in acc.iter_mut().zip(row) {
                    *a = a.add(x);
                }
            } else {
                for (a, plane) in acc.iter_mut().zip(row.chunks_exact(inner)) {
                    *a = plane.iter().fold(*a, |s, &x| s.add(x));
                }
            }
        }
    }
    Tensor::from_vec(vec![c as i64], acc)
}

fn bias_add_grad(init: &KernelInit<'_>) -> Result<Kernel> {
    let dtype = init.attrs.get_type_in("T", DType::REAL)?;
    let nchw = channels_first(init)?;
    Ok(kernel(1, move |ctx| {
        let dy = ctx.input(0);
        if dy.rank() < 2 {
            return Err(Error::invalid_argument(format!("Input tensor must be at least 2D: {}", dy.shape())));
        }
        let out = dispatch!(real, dtype, T => sum_bias::<T>(dy, nchw)?, return Err(Error::internal("bad dtype")));
        ctx.set_output(0, out);
        Ok(())
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn oracle_cases() {
        crate::array::oracle::run_cases("matmul_nn.json", &["BiasAdd", "BiasAddV1", "BiasAddGrad"], 1e-5);
    }
}
