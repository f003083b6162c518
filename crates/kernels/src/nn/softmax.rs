//! Softmax, LogSoftmax, SparseSoftmaxCrossEntropyWithLogits, SoftmaxCrossEntropyWithLogits and
//! L2Loss. Stateless kernels. Every row is shifted by its maximum before exponentiation, so large
//! logits neither overflow nor lose the loss; rows are processed in parallel for large inputs.

use super::{Real, exp_shift_in_place, for_rows, row_max, sum_exp_shift};
use crate::array::kernel;
use ferroflow_framework::{Cost, DType, Error, Kernel, KernelInit, OpRegistry, Result, Tensor, TensorShape};

pub(super) fn register(reg: &mut OpRegistry) {
    reg.op("Softmax")
        .input("logits: T")
        .output("softmax: T")
        .attr("T: {half, bfloat16, float, double}")
        .cost(Cost::InputElements)
        .kernel(|init| softmax_kernel(init, false));
    reg.op("LogSoftmax")
        .input("logits: T")
        .output("logsoftmax: T")
        .attr("T: {half, bfloat16, float, double}")
        .cost(Cost::InputElements)
        .kernel(|init| softmax_kernel(init, true));
    reg.op("SparseSoftmaxCrossEntropyWithLogits")
        .input("features: T")
        .input("labels: Tlabels")
        .output("loss: T")
        .output("backprop: T")
        .attr("T: {half, bfloat16, float, double}")
        .attr("Tlabels: {int32, int64} = DT_INT64")
        .cost(Cost::InputElements)
        .kernel(sparse_xent);
    reg.op("SoftmaxCrossEntropyWithLogits")
        .input("features: T")
        .input("labels: T")
        .output("loss: T")
        .output("backprop: T")
        .attr("T: {half, bfloat16, float, double}")
        .cost(Cost::InputElements)
        .kernel(dense_xent);
    reg.op("L2Loss")
        .input("t: T")
        .output("output: T")
        .attr("T: {half, bfloat16, float, double}")
        .cost(Cost::InputElements)
        .kernel(l2_loss);
}

const FLOAT: &[DType] = &[DType::Float, DType::Double];

/// Softmax (or log-softmax) of one row, in place.
fn softmax_row<T: Real>(row: &mut [T], log: bool) {
    let m = row_max(row);
    if log {
        let shift = m.add(sum_exp_shift(row, m).ln());
        row.iter_mut().for_each(|v| *v = v.sub(shift));
    } else {
        let sum = exp_shift_in_place(row, m);
        let inv = T::ONE.div(sum);
        row.iter_mut().for_each(|v| *v = v.mul(inv));
    }
}

fn softmax<T: Real>(x: &Tensor, log: bool) -> Result<Tensor> {
    let mut out = x.values::<T>()?.into_owned();
    let w = *x.dims().last().unwrap_or(&1) as usize;
    for_rows(&mut out, w, |_, row| softmax_row(row, log));
    Tensor::from_vec(x.shape().clone(), out)
}

fn softmax_kernel(init: &KernelInit<'_>, log: bool) -> Result<Kernel> {
    let dtype = init.attrs.get_type_in("T", FLOAT)?;
    Ok(kernel(1, move |ctx| {
        let x = ctx.input(0);
        if x.rank() < 1 {
            return Err(Error::invalid_argument(format!("logits must have >= 1 dimension, got {}", x.shape())));
        }
        let out = if dtype == DType::Float { softmax::<f32>(x, log)? } else { softmax::<f64>(x, log)? };
        ctx.set_output(0, out);
        Ok(())
    }))
}

/// Fills `back` with the max-shifted logits of one row; returns the row's `sum(exp(shifted))`.
fn shift_row<T: Real>(logits: impl Fn(usize) -> T, back: &mut [T]) -> T {
    for (c, b) in back.iter_mut().enumerate() {
        *b = logits(c);
    }
    let m = row_max(back);
    back.iter_mut().for_each(|b| *b = b.sub(m));
    sum_exp_shift(back, T::ZERO)
}

/// Runs `f(row_index, backprop_row)` for every row, storing its result as the row's loss.
fn rows_with_loss<T: Real>(back: &mut [T], loss: &mut [T], w: usize, f: impl Fn(usize, &mut [T]) -> T + Sync) {
    use rayon::prelude::*;
    if w == 0 {
        return;
    }
    if back.len() < super::PAR_MIN {
        back.chunks_mut(w).zip(loss.iter_mut()).enumerate().for_each(|(r, (row, l))| *l = f(r, row));
    } else {
        back.par_chunks_mut(w).zip(loss.par_iter_mut()).enumerate().for_each(|(r, (row, l))| *l = f(r, row));
    }
}

fn sparse_loss<T: Real>(logits: &Tensor, labels: &[i64]) -> Result<(Tensor, Tensor)> {
    let x = logits.values::<T>()?;
    let (batch, classes) = (logits.dims()[0] as usize, logits.dims()[1] as usize);
    let mut back = vec![T::ZERO; batch * classes];
    let mut loss = vec![T::ZERO; batch];
    rows_with_loss(&mut back, &mut loss, classes, |r, row| {
        let xr = &x[r * classes..(r + 1) * classes];
        let sum = shift_row(|c| xr[c], row);
        let label = labels[r] as usize;
        let loss = sum.ln().sub(row[label]);
        exp_shift_in_place(row, T::ZERO);
        let inv = T::ONE.div(sum);
        row.iter_mut().for_each(|b| *b = b.mul(inv));
        row[label] = row[label].sub(T::ONE);
        loss
    });
    Ok((Tensor::from_vec(vec![batch as i64], loss)?, Tensor::from_vec(logits.shape().clone(), back)?))
}

fn sparse_xent(init: &KernelInit<'_>) -> Result<Kernel> {
    let dtype = init.attrs.get_type_in("T", FLOAT)?;
    crate::array::type_attr_or(init, "Tlabels", DType::Int64, &[DType::Int32, DType::Int64])?;
    Ok(kernel(2, move |ctx| {
        let (logits, labels) = (ctx.input(0), ctx.input(1));
        if logits.rank() != 2 {
            return Err(Error::invalid_argument(format!("logits must be 2-D, but got shape {}", logits.shape())));
        }
        if labels.rank() != 1 {
            return Err(Error::invalid_argument(format!("labels must be 1-D, but got shape {}", labels.shape())));
        }
        if logits.dims()[0] != labels.dims()[0] {
            return Err(Error::invalid_argument(format!(
                "logits and labels must have the same first dimension, got logits shape {} and labels shape {}",
                logits.shape(),
                labels.shape()
            )));
        }
        let classes = logits.dims()[1];
        if classes <= 0 {
            return Err(Error::invalid_argument(format!(
                "Must have at least one class, but got logits shape {}",
                logits.shape()
            )));
        }
        let l = labels.to_i64_vec()?;
        if let (Some(&lo), Some(&hi)) = (l.iter().min(), l.iter().max())
            && (lo < 0 || hi >= classes)
        {
            let bad = if lo < 0 { lo } else { hi };
            let shown: Vec<String> = l.iter().map(|v| v.to_string()).collect();
            return Err(Error::invalid_argument(format!(
                "Received a label value of {bad} which is outside the valid range of [0, {classes}).  Label values: {}",
                shown.join(" ")
            )));
        }
        let (loss, back) =
            if dtype == DType::Float { sparse_loss::<f32>(logits, &l)? } else { sparse_loss::<f64>(logits, &l)? };
        ctx.set_output(0, loss);
        ctx.set_output(1, back);
        Ok(())
    }))
}

/// The broadcast `[rows, cols]` shape of two shapes of rank <= 2, or `None`.
fn broadcast_2d(a: &[i64], b: &[i64]) -> Option<Vec<i64>> {
    let n = a.len().max(b.len());
    let at = |v: &[i64], i: usize| if i + v.len() >= n { v[i + v.len() - n] } else { 1 };
    (0..n)
        .map(|i| {
            let (x, y) = (at(a, i), at(b, i));
            if x == y || y == 1 {
                Some(x)
            } else if x == 1 {
                Some(y)
            } else {
                None
            }
        })
        .collect()
}

/// `(rows, cols)` of a tensor of rank <= 2 aligned to a rank-2 shape (leading 1s).
fn as_matrix(dims: &[i64]) -> (usize, usize) {
    match dims {
        [] => (1, 1),
        [c] => (1, *c as usize),
        [r, c] => (*r as usize, *c as usize),
        _ => (0, 0),
    }
}

fn dense_loss<T: Real>(logits: &Tensor, labels: &Tensor, shape: &[i64]) -> Result<(Tensor, Tensor)> {
    let (x, y) = (logits.values::<T>()?, labels.values::<T>()?);
    let (batch, classes) = (shape[0] as usize, shape[1] as usize);
    let (xr, xc) = as_matrix(logits.dims());
    let (yr, yc) = as_matrix(labels.dims());
    let xi = move |r: usize, c: usize| (if xr == 1 { 0 } else { r }) * xc + if xc == 1 { 0 } else { c };
    let yi = move |r: usize, c: usize| (if yr == 1 { 0 } else { r }) * yc + if yc == 1 { 0 } else { c };
    let mut back = vec![T::ZERO; batch * classes];
    let mut loss = vec![T::ZERO; batch];
    rows_with_loss(&mut back, &mut loss, classes, |r, row| {
        let sum = shift_row(|c| x[xi(r, c)], row);
        let log_sum = sum.ln();
        let mut loss = T::ZERO;
        for (c, &b) in row.iter().enumerate() {
            loss = loss.add(y[yi(r, c)].mul(log_sum.sub(b)));
        }
        exp_shift_in_place(row, T::ZERO);
        let inv = T::ONE.div(sum);
        for (c, b) in row.iter_mut().enumerate() {
            *b = b.mul(inv).sub(y[yi(r, c)]);
        }
        loss
    });
    Ok((Tensor::from_vec(vec![batch as i64], loss)?, Tensor::from_vec(TensorShape::new(shape.to_vec()), back)?))
}

fn dense_xent(init: &KernelInit<'_>) -> Result<Kernel> {
    let dtype = init.attrs.get_type_in("T", FLOAT)?;
    Ok(kernel(2, move |ctx| {
        let (logits, labels) = (ctx.input(0), ctx.input(1));
        let shape = if logits.shape() == labels.shape() {
            logits.dims().to_vec()
        } else {
            broadcast_2d(logits.dims(), labels.dims()).ok_or_else(|| {
                Error::invalid_argument(format!(
                    "logits and labels must be broadcastable: logits_size={} labels_size={}",
                    logits.shape(),
                    labels.shape()
                ))
            })?
        };
        if shape.len() != 2 {
            return Err(Error::invalid_argument(
                "logits and labels must be either 2-dimensional, or broadcasted to be 2-dimensional",
            ));
        }
        let (loss, back) = if dtype == DType::Float {
            dense_loss::<f32>(logits, labels, &shape)?
        } else {
            dense_loss::<f64>(logits, labels, &shape)?
        };
        ctx.set_output(0, loss);
        ctx.set_output(1, back);
        Ok(())
    }))
}

fn l2_loss(init: &KernelInit<'_>) -> Result<Kernel> {
    let dtype = init.attrs.get_type_in("T", FLOAT)?;
    Ok(kernel(1, move |ctx| {
        let x = ctx.input(0);
        let out = if dtype == DType::Float {
            let s: f64 = x.values::<f32>()?.iter().map(|&v| (v as f64) * (v as f64)).sum();
            Tensor::scalar((s * 0.5) as f32)
        } else {
            let s: f64 = x.values::<f64>()?.iter().map(|&v| v * v).sum();
            Tensor::scalar(s * 0.5)
        };
        ctx.set_output(0, out);
        Ok(())
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn oracle_cases() {
        crate::array::oracle::run_cases(
            "matmul_nn.json",
            &["Softmax", "LogSoftmax", "SparseSoftmaxCrossEntropyWithLogits", "SoftmaxCrossEntropyWithLogits"],
            1e-4,
        );
        crate::array::oracle::run_cases("matmul_nn.json", &["L2Loss"], 1e-5);
    }
}
