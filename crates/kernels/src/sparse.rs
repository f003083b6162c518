//! `tf.sparse` basics, as TF's `sparse_to_dense_op.cc`, `reshape_util.cc` and
//! `sparse_fill_empty_rows_op.cc` define them: `SparseToDense` (a dense tensor of a default value
//! with the given entries set, their indices checked for bounds and, when `validate_indices`,
//! order and repeats), `SparseReshape` (the indices of the same entries in a new dense shape, one
//! dimension possibly inferred), `SparseFillEmptyRows` (a default entry at column 0 of every
//! empty row, what `safe_embedding_lookup_sparse` and feature columns send) and its gradient.
//! Outputs sized by inputs go through fallible, budgeted allocation.
//!
//! Concurrency: stateless kernels, shared by every step of a graph.

use crate::array::elems::{Elem, Filler, fill_elements};
use crate::array::{checked_shape, kernel, strides_of};
use ferroflow_framework::{DType, Error, OpKernelContext, OpRegistry, Result, Tensor, TensorShape};

pub(crate) fn register(reg: &mut OpRegistry) {
    reg.op("SparseToDense")
        .input("sparse_indices: Tindices")
        .input("output_shape: Tindices")
        .input("sparse_values: T")
        .input("default_value: T")
        .output("dense: T")
        .attr("validate_indices: bool = true")
        .attr("T: type")
        .attr("Tindices: {int32, int64}")
        .kernel(|init| {
            let validate = init.attrs.get_bool("validate_indices")?;
            Ok(kernel(1, move |ctx| sparse_to_dense(ctx, validate)))
        });
    reg.op("SparseReshape")
        .input("input_indices: int64")
        .input("input_shape: int64")
        .input("new_shape: int64")
        .output("output_indices: int64")
        .output("output_shape: int64")
        .kernel(|_| Ok(kernel(2, sparse_reshape)));
    reg.op("SparseFillEmptyRows")
        .input("indices: int64")
        .input("values: T")
        .input("dense_shape: int64")
        .input("default_value: T")
        .output("output_indices: int64")
        .output("output_values: T")
        .output("empty_row_indicator: bool")
        .output("reverse_index_map: int64")
        .attr("T: type")
        .kernel(|_| Ok(kernel(4, fill_empty_rows)));
    reg.op("SparseFillEmptyRowsGrad")
        .input("reverse_index_map: int64")
        .input("grad_values: T")
        .output("d_values: T")
        .output("d_default_value: T")
        .attr("T: type")
        .kernel(|_| Ok(kernel(2, fill_empty_rows_grad)));
}

/// An index row as TF prints it: `[0,1]`.
fn show(index: &[i64]) -> String {
    let parts: Vec<String> = index.iter().map(i64::to_string).collect();
    format!("[{}]", parts.join(","))
}

/// `n` copies of `v` (`n` comes from a request): checked against the memory budget, then
/// allocated fallibly, TF's OOM error when either fails.
fn filled<T: Clone>(device: &str, n: usize, v: T) -> Result<Vec<T>> {
    let bytes = n.checked_mul(std::mem::size_of::<T>()).and_then(|b| i64::try_from(b).ok());
    let oom = || ferroflow_framework::memory::oom_error(&[n as i64], DType::Int64, device);
    let shape = TensorShape::new(vec![bytes.ok_or_else(oom)?]);
    let _check = ferroflow_framework::memory::reserve_tensor(&shape, DType::UInt8, 0, device)?;
    let mut out = Vec::new();
    out.try_reserve_exact(n).map_err(|_| oom())?;
    out.resize(n, v);
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// SparseToDense

fn sparse_to_dense(ctx: &mut OpKernelContext<'_>, validate: bool) -> Result<()> {
    let step = ctx.step;
    let device = step.device_name.as_str();
    let (indices, shape_t, values, default) = (ctx.input(0), ctx.input(1), ctx.input(2), ctx.input(3));
    if indices.rank() > 2 {
        return Err(Error::invalid_argument(format!("sparse_indices should be a scalar, vector, or matrix, got shape {}", indices.shape())));
    }
    let num_entries = if indices.rank() > 0 { indices.shape().dims()[0] } else { 1 };
    let num_dims = if indices.rank() == 2 { indices.shape().dims()[1] } else { 1 };
    if shape_t.rank() != 1 {
        return Err(Error::invalid_argument(format!("output_shape must be rank 1, got shape {}", shape_t.shape())));
    }
    if !(values.rank() == 0 || (values.rank() == 1 && values.shape().dims()[0] == num_entries)) {
        return Err(Error::invalid_argument(format!(
            "sparse_values has incorrect shape {}, should be [] or [{num_entries}]",
            values.shape()
        )));
    }
    if default.rank() != 0 {
        return Err(Error::invalid_argument("default_value should be a scalar."));
    }
    let dims = shape_t.to_i64_vec()?;
    if dims.len() as i64 != num_dims {
        return Err(Error::invalid_argument(format!(
            "output_shape has incorrect number of elements: {} should be: {num_dims}",
            dims.len()
        )));
    }
    let out_shape = checked_shape(&dims)?;
    let flat_indices = indices.to_i64_vec()?;
    let rank = num_dims as usize;
    let mut positions = filled(device, num_entries as usize, 0usize)?;
    for (i, index) in flat_indices.chunks(rank.max(1)).enumerate().take(num_entries as usize) {
        if index.iter().zip(&dims).any(|(&x, &d)| x < 0 || x >= d) {
            return Err(Error::invalid_argument(format!(
                "indices[{i}] = {} is out of bounds: need 0 <= index < {}",
                show(index),
                show(&dims)
            )));
        }
        if validate && i > 0 {
            let previous = &flat_indices[(i - 1) * rank..i * rank];
            match index.cmp(previous) {
                std::cmp::Ordering::Less => {
                    return Err(Error::invalid_argument(format!(
                        "indices[{i}] = {} is out of order. Many sparse ops require sorted indices.\n    Use `tf.sparse.reorder` to create a correctly ordered copy.\n\n",
                        show(index)
                    )));
                }
                std::cmp::Ordering::Equal => {
                    return Err(Error::invalid_argument(format!("indices[{i}] = {} is repeated", show(index))));
                }
                std::cmp::Ordering::Greater => {}
            }
        }
        positions[i] = index.iter().zip(&dims).fold(0usize, |at, (&x, &d)| at * d as usize + x as usize);
    }
    let scatter = Scatter { positions, broadcast: values.rank() == 0 };
    let out = fill_elements(ctx, values.dtype(), &[values, default], out_shape, &scatter)?;
    ctx.set_output(0, out);
    Ok(())
}

/// The default everywhere, then entry `i`'s value at `positions[i]` (later entries win).
struct Scatter {
    positions: Vec<usize>,
    broadcast: bool,
}

impl Filler for Scatter {
    fn fill<E: Elem>(&self, srcs: &[&[E]], out: &mut [E]) -> Result<()> {
        let default = srcs[1].first().cloned().unwrap_or_default();
        out.fill(default);
        for (i, &p) in self.positions.iter().enumerate() {
            let v = if self.broadcast { &srcs[0][0] } else { &srcs[0][i] };
            out[p] = v.clone();
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// SparseReshape

fn sparse_reshape(ctx: &mut OpKernelContext<'_>) -> Result<()> {
    let step = ctx.step;
    let device = step.device_name.as_str();
    let (indices, shape_t, target_t) = (ctx.input(0), ctx.input(1), ctx.input(2));
    if indices.rank() != 2 {
        return Err(Error::invalid_argument(format!("Input indices should be a matrix but received shape {}", indices.shape())));
    }
    if shape_t.rank() != 1 {
        return Err(Error::invalid_argument("Input shape must be a vector."));
    }
    if target_t.rank() != 1 {
        return Err(Error::invalid_argument(format!("Target shape should be a vector but received shape {}", target_t.shape())));
    }
    let (nnz, in_rank) = (indices.shape().dims()[0] as usize, indices.shape().dims()[1] as usize);
    let in_dims = shape_t.values::<i64>()?.into_owned();
    if in_dims.len() != in_rank {
        return Err(Error::invalid_argument("Input tensor rank must match input shape length."));
    }
    let input_shape = checked_shape(&in_dims)?;
    let dense_size = input_shape.num_elements() as i64;
    let target = target_t.values::<i64>()?;
    let mut out_dims = Vec::with_capacity(target.len().min(64));
    let (mut product, mut unknown) = (1i64, None);
    for (d, &size) in target.iter().enumerate() {
        if size == -1 {
            if let Some(u) = unknown {
                return Err(Error::invalid_argument(format!("only one output dimension may be -1, not both {u} and {d}")));
            }
            unknown = Some(d);
            out_dims.push(1);
        } else {
            if size < 0 {
                return Err(Error::invalid_argument(format!("size {d} must be non-negative, not {size}")));
            }
            product = product.saturating_mul(size);
            out_dims.push(size);
        }
    }
    if let Some(u) = unknown {
        if product <= 0 {
            return Err(Error::invalid_argument(
                "reshape cannot infer the missing input size for an empty tensor unless all specified input sizes are non-zero",
            ));
        }
        let missing = dense_size / product;
        if product * missing != dense_size {
            return Err(Error::invalid_argument(format!(
                "Input to reshape is a SparseTensor with {dense_size} dense values, but the requested shape requires a multiple of {product}. input_shape={input_shape} output_shape={}",
                TensorShape::new(out_dims)
            )));
        }
        out_dims[u] = missing;
    }
    let output_shape = checked_shape(&out_dims)?;
    if output_shape.num_elements() as i64 != dense_size {
        return Err(Error::invalid_argument(format!(
            "Input to reshape is a tensor with {dense_size} dense values, but the requested shape has {}. input_shape={input_shape} output_shape={output_shape}",
            output_shape.num_elements()
        )));
    }
    if output_shape == input_shape {
        ctx.set_output(0, indices.clone());
        ctx.set_output(1, shape_t.clone());
        return Ok(());
    }
    let out_rank = out_dims.len();
    if nnz > 0 && (dense_size == 0 || product == 0) {
        return Err(Error::invalid_argument(format!(
            "Input tensor has {nnz} non zero elements but input shape ({input_shape}) or output shape ({output_shape}) is empty"
        )));
    }
    let strides = |dims: &[i64]| {
        let dims: Vec<usize> = dims.iter().map(|&d| d as usize).collect();
        strides_of(&dims).into_iter().map(|s| s as i64).collect::<Vec<i64>>()
    };
    let (in_strides, out_strides) = (strides(&in_dims), strides(&out_dims));
    let flat = indices.values::<i64>()?;
    let mut out = filled(device, nnz.checked_mul(out_rank).unwrap_or(usize::MAX), 0i64)?;
    for (row, dst) in flat.chunks(in_rank.max(1)).zip(out.chunks_mut(out_rank.max(1))).take(nnz) {
        let mut id: i64 = row.iter().zip(&in_strides).map(|(&x, &s)| x.wrapping_mul(s)).fold(0, i64::wrapping_add);
        for (o, &s) in dst.iter_mut().zip(&out_strides) {
            *o = id / s;
            id %= s;
        }
    }
    ctx.set_output(0, Tensor::from_vec(vec![nnz as i64, out_rank as i64], out)?);
    ctx.set_output(1, Tensor::from_vec(vec![out_rank as i64], out_dims)?);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// SparseFillEmptyRows and its gradient

fn fill_empty_rows(ctx: &mut OpKernelContext<'_>) -> Result<()> {
    let step = ctx.step;
    let device = step.device_name.as_str();
    let (indices, values, shape_t, default) = (ctx.input(0), ctx.input(1), ctx.input(2), ctx.input(3));
    if default.rank() != 0 {
        return Err(Error::invalid_argument(format!("default_value must be a scalar, saw: {}", default.shape())));
    }
    if indices.rank() != 2 {
        return Err(Error::invalid_argument(format!("indices must be a matrix, saw: {}", indices.shape())));
    }
    if values.rank() != 1 {
        return Err(Error::invalid_argument(format!("values must be a vector, saw: {}", values.shape())));
    }
    if shape_t.rank() != 1 {
        return Err(Error::invalid_argument(format!("dense_shape must be a vector, saw: {}", shape_t.shape())));
    }
    let (n, rank) = (indices.shape().dims()[0] as usize, indices.shape().dims()[1] as usize);
    if values.shape().dims()[0] as usize != n {
        return Err(Error::invalid_argument(format!(
            "The length of `values` ({}) must match the first dimension of `indices` ({n}).",
            values.shape().dims()[0]
        )));
    }
    let dense_shape = shape_t.values::<i64>()?;
    if dense_shape.len() != rank {
        return Err(Error::invalid_argument(format!(
            "The length of `dense_shape` ({}) must match the second dimension of `indices` ({rank}).",
            dense_shape.len()
        )));
    }
    let dense_rows = dense_shape.first().copied().unwrap_or(0);
    let flat = indices.values::<i64>()?;
    if dense_rows <= 0 && n > 0 {
        return Err(Error::invalid_argument(format!(
            "Received SparseTensor with dense_shape[0] = 0 but indices.shape[0] = {n}"
        )));
    }
    let rows = dense_rows.max(0) as usize;
    // Entries per row, checked in range.
    let mut counts = filled(device, rows, 0usize)?;
    for i in 0..n {
        let row = flat[i * rank];
        if row < 0 || row >= dense_rows {
            return Err(Error::invalid_argument(format!("indices({i}, 0) is invalid: {row} >= {dense_rows}")));
        }
        counts[row as usize] += 1;
    }
    // Where each row starts in the output: empty rows take one default entry.
    let mut starts = filled(device, rows, 0usize)?;
    let mut total = 0usize;
    for (start, &count) in starts.iter_mut().zip(&counts) {
        *start = total;
        total += count.max(1);
    }
    let mut out_indices = filled(device, total.checked_mul(rank).unwrap_or(usize::MAX), 0i64)?;
    let mut reverse = filled(device, n, 0i64)?;
    let mut source: Vec<Option<usize>> = filled(device, total, None)?;
    let mut placed = filled(device, rows, 0usize)?;
    for i in 0..n {
        let row = flat[i * rank] as usize;
        let at = starts[row] + placed[row];
        placed[row] += 1;
        out_indices[at * rank..(at + 1) * rank].copy_from_slice(&flat[i * rank..(i + 1) * rank]);
        source[at] = Some(i);
        reverse[i] = at as i64;
    }
    let mut empty = filled(device, rows, false)?;
    for row in 0..rows {
        if counts[row] == 0 {
            empty[row] = true;
            out_indices[starts[row] * rank] = row as i64;
        }
    }
    let shape = TensorShape::new(vec![total as i64]);
    let out_values = fill_elements(ctx, values.dtype(), &[values, default], shape, &FromSources(source))?;
    ctx.set_output(0, Tensor::from_vec(vec![total as i64, rank as i64], out_indices)?);
    ctx.set_output(1, out_values);
    ctx.set_output(2, Tensor::from_bools(vec![rows as i64], empty)?);
    ctx.set_output(3, Tensor::from_vec(vec![n as i64], reverse)?);
    Ok(())
}

/// Output `k` is input value `source[k]`, or the default where `None`.
struct FromSources(Vec<Option<usize>>);

impl Filler for FromSources {
    fn fill<E: Elem>(&self, srcs: &[&[E]], out: &mut [E]) -> Result<()> {
        let default = srcs[1].first().cloned().unwrap_or_default();
        for (o, s) in out.iter_mut().zip(&self.0) {
            *o = match s {
                Some(i) => srcs[0][*i].clone(),
                None => default.clone(),
            };
        }
        Ok(())
    }
}

fn fill_empty_rows_grad(ctx: &mut OpKernelContext<'_>) -> Result<()> {
    let step = ctx.step;
    let device = step.device_name.as_str();
    let (reverse, grads) = (ctx.input(0), ctx.input(1));
    if reverse.rank() != 1 {
        return Err(Error::invalid_argument(format!("reverse_index_map must be a vector, saw: {}", reverse.shape())));
    }
    if grads.rank() != 1 {
        return Err(Error::invalid_argument(format!("grad_values must be a vector, saw: {}", grads.shape())));
    }
    let map = reverse.values::<i64>()?;
    let full = grads.num_elements();
    if let Some(&bad) = map.iter().find(|&&j| j < 0 || j as usize >= full) {
        return Err(Error::invalid_argument(format!("Elements in reverse index must be in [0, {full}) but got {bad}")));
    }
    let (d_values, d_default) = match grads.dtype() {
        DType::Float => gather_and_rest::<f32>(device, &map, grads)?,
        DType::Double => gather_and_rest::<f64>(device, &map, grads)?,
        DType::Int32 => gather_and_rest::<i32>(device, &map, grads)?,
        DType::Int64 => gather_and_rest::<i64>(device, &map, grads)?,
        other => return Err(Error::unimplemented(format!("SparseFillEmptyRowsGrad of {}", other.name()))),
    };
    ctx.set_output(0, d_values);
    ctx.set_output(1, d_default);
    Ok(())
}

/// The gradients of the entries that came from the input, and the sum of the rest (those of the
/// default entries, in output order).
fn gather_and_rest<T>(device: &str, map: &[i64], grads: &Tensor) -> Result<(Tensor, Tensor)>
where
    T: ferroflow_framework::TensorElement + Copy + Default + std::ops::Add<Output = T>,
{
    let g = grads.values::<T>()?;
    let mut visited = filled(device, g.len(), false)?;
    let mut d_values = filled(device, map.len(), T::default())?;
    for (d, &j) in d_values.iter_mut().zip(map) {
        *d = g[j as usize];
        visited[j as usize] = true;
    }
    let rest = g.iter().zip(&visited).filter(|(_, v)| !**v).fold(T::default(), |acc, (&x, _)| acc + x);
    Ok((Tensor::from_vec(vec![map.len() as i64], d_values)?, Tensor::scalar(rest)))
}

#[cfg(test)]
mod tests {
    use crate::testutil::{node, run};
    use ferroflow_framework::{Code, DType, Tensor};

    #[test]
    fn oracle_cases() {
        let ops = ["SparseToDense", "SparseReshape", "SparseFillEmptyRows", "SparseFillEmptyRowsGrad"];
        assert!(crate::array::oracle::run_cases("sparse.json", &ops, 0.0) >= 56);
    }

    #[test]
    fn a_huge_dense_shape_is_resource_exhausted_not_an_abort() {
        let op = node("SparseFillEmptyRows").attr_type("T", DType::Float);
        let inputs = vec![
            Tensor::from_vec(vec![1, 2], vec![0i64, 0]).unwrap(),
            Tensor::from_vec(vec![1], vec![1.0f32]).unwrap(),
            Tensor::from_vec(vec![2], vec![1i64 << 61, 2]).unwrap(),
            Tensor::scalar(0.0f32),
        ];
        let e = run(op, inputs).unwrap_err();
        assert_eq!(e.code, Code::ResourceExhausted, "{e}");
    }
}
