//! The TensorList ops that move many elements at once: between a list and one tensor
//! (`TensorListStack`, `TensorListGather`, `TensorListConcat`/`V2`, `TensorListFromTensor`,
//! `TensorListSplit`, `TensorListScatter`/`V2`, `TensorListScatterIntoExistingList`) and between
//! batches of lists (`TensorListConcatLists`, `TensorListPushBackBatch`). Stateless kernels.
//! Lists made from a tensor share its buffer (each element is a slice of it); stacking and
//! concatenating copy the elements into one reserved output.

use super::build::{element_dtype, single_i32};
use super::{TensorList, as_list, check_dtype, element_shape_from_input, input_list, reserve_slots, shape_from_tensor};
use crate::array::kernel;
use crate::tensor_ops::{join_rows, row, rows, zeros};
use ferroflow_framework::{Cost, DType, Error, Kernel, KernelInit, OpKernelContext, OpRegistry, PartialTensorShape, Result, Tensor, TensorShape};
use std::sync::Arc;

pub(super) fn register(reg: &mut OpRegistry) {
    let list_elements = || Cost::Custom(Arc::new(list_elements_cost));
    reg.op("TensorListStack")
        .input("input_handle: variant")
        .input("element_shape: int32")
        .output("tensor: element_dtype")
        .attr("element_dtype: type")
        .attr("num_elements: int = -1")
        .cost(list_elements())
        .kernel(stack);
    reg.op("TensorListGather")
        .input("input_handle: variant")
        .input("indices: int32")
        .input("element_shape: int32")
        .output("values: element_dtype")
        .attr("element_dtype: type")
        .cost(list_elements())
        .kernel(gather);
    reg.op("TensorListConcat")
        .input("input_handle: variant")
        .output("tensor: element_dtype")
        .output("lengths: int64")
        .attr("element_dtype: type")
        .attr("element_shape: shape = ?")
        .cost(list_elements())
        .kernel(concat);
    reg.op("TensorListConcatV2")
        .input("input_handle: variant")
        .input("element_shape: shape_type")
        .input("leading_dims: int64")
        .output("tensor: element_dtype")
        .output("lengths: int64")
        .attr("element_dtype: type")
        .attr("shape_type: {int32, int64}")
        .cost(list_elements())
        .kernel(concat);
    reg.op("TensorListFromTensor")
        .input("tensor: element_dtype")
        .input("element_shape: shape_type")
        .output("output_handle: variant")
        .attr("element_dtype: type")
        .attr("shape_type: {int32, int64}")
        .cost(Cost::InputElements)
        .kernel(from_tensor);
    reg.op("TensorListSplit")
        .input("tensor: element_dtype")
        .input("element_shape: shape_type")
        .input("lengths: int64")
        .output("output_handle: variant")
        .attr("element_dtype: type")
        .attr("shape_type: {int32, int64}")
        .cost(Cost::InputElements)
        .kernel(split);
    reg.op("TensorListScatter")
        .input("tensor: element_dtype")
        .input("indices: int32")
        .input("element_shape: shape_type")
        .output("output_handle: variant")
        .attr("element_dtype: type")
        .attr("shape_type: {int32, int64}")
        .cost(Cost::InputElements)
        .kernel(scatter);
    reg.op("TensorListScatterV2")
        .input("tensor: element_dtype")
        .input("indices: int32")
        .input("element_shape: shape_type")
        .input("num_elements: int32")
        .output("output_handle: variant")
        .attr("element_dtype: type")
        .attr("shape_type: {int32, int64}")
        .cost(Cost::InputElements)
        .kernel(scatter);
    reg.op("TensorListScatterIntoExistingList")
        .input("input_handle: variant")
        .input("tensor: element_dtype")
        .input("indices: int32")
        .output("output_handle: variant")
        .attr("element_dtype: type")
        .cost(Cost::InputElements)
        .kernel(scatter_into_existing);
    reg.op("TensorListConcatLists")
        .input("input_a: variant")
        .input("input_b: variant")
        .output("output: variant")
        .attr("element_dtype: type")
        .cost(Cost::InputElements)
        .kernel(concat_lists);
    reg.op("TensorListPushBackBatch")
        .input("input_handles: variant")
        .input("tensor: element_dtype")
        .output("output_handles: variant")
        .attr("element_dtype: type")
        .cost(Cost::InputElements)
        .kernel(push_back_batch);
}

/// The work of reading a whole list: the elements of its tensors.
fn list_elements_cost(inputs: &[&Tensor]) -> u64 {
    let Some(l) = inputs.first().and_then(|t| t.variants().ok()).and_then(|v| v.first()).and_then(as_list) else {
        return 1;
    };
    l.tensors.iter().flatten().map(|t| t.num_elements() as u64).sum::<u64>().max(1)
}

/// `[n] + shape`, with TF's overflow check.
fn prepend(n: usize, shape: &TensorShape) -> Result<TensorShape> {
    let mut dims = vec![n as i64];
    dims.extend_from_slice(shape.dims());
    crate::array::checked_shape(&dims)
}

/// Stacks `picks` (list elements, `None` uninitialized) of one `shape` into `[picks.len()] + shape`;
/// uninitialized ones read as zeros.
fn stack_elements(ctx: &OpKernelContext<'_>, dtype: DType, picks: &[&Option<Tensor>], shape: &TensorShape) -> Result<Tensor> {
    let out_shape = prepend(picks.len(), shape)?;
    let device = &ctx.step.device_name;
    let zero = if picks.iter().any(|p| p.is_none()) { Some(zeros(dtype, shape.clone(), device)?) } else { None };
    let mut pieces = Vec::with_capacity(picks.len());
    for p in picks {
        let t = match p {
            Some(t) => t,
            None => zero.as_ref().ok_or_else(|| Error::internal("no zeros for an uninitialized element"))?,
        };
        if t.shape() != shape {
            // Only lists whose element shape was wrongly claimed get here; TF would read garbage.
            return Err(Error::invalid_argument(format!(
                "PartialTensorShape: Incompatible shapes during merge: {shape} vs. {}",
                t.shape()
            )));
        }
        pieces.push(t);
    }
    join_rows(dtype, &pieces, out_shape, device)
}

fn stack(init: &KernelInit<'_>) -> Result<Kernel> {
    let dtype = element_dtype(init)?;
    let num_elements = init.attrs.get_int("num_elements")?;
    Ok(kernel(1, move |ctx| {
        let l = input_list(ctx, 0)?;
        check_dtype(dtype, l)?;
        if num_elements != -1 && l.tensors.len() as i64 != num_elements {
            return Err(Error::invalid_argument(format!(
                "Operation expected a list with {num_elements} elements but got a list with {} elements.",
                l.tensors.len()
            )));
        }
        let mut shape = element_shape_from_input(ctx, l, 1, "TensorListStack")?;
        if !shape.is_fully_defined() && l.tensors.is_empty() {
            return Err(Error::invalid_argument(format!(
                "Tried to stack elements of an empty list with non-fully-defined element_shape: {shape}"
            )));
        }
        if !l.element_shape.is_fully_defined() {
            for t in l.tensors.iter().flatten() {
                shape = shape.merge_with_shape(t.shape())?;
            }
        }
        let shape = shape.as_tensor_shape().ok_or_else(|| {
            Error::invalid_argument(format!(
                "Tried to stack list which only contains uninitialized tensors and has a non-fully-defined element_shape: {shape}"
            ))
        })?;
        let picks: Vec<&Option<Tensor>> = l.tensors.iter().collect();
        let out = stack_elements(ctx, dtype, &picks, &shape)?;
        ctx.set_output(0, out);
        Ok(())
    }))
}

fn gather(init: &KernelInit<'_>) -> Result<Kernel> {
    let dtype = element_dtype(init)?;
    Ok(kernel(1, move |ctx| {
        let l = input_list(ctx, 0)?;
        check_dtype(dtype, l)?;
        let indices = ctx.input(1).to_vec::<i32>()?;
        let mut shape = element_shape_from_input(ctx, l, 2, "TensorListGather")?;
        if !shape.is_fully_defined() && indices.is_empty() {
            return Err(Error::invalid_argument(format!(
                "Tried to gather 0-elements from a list with non-fully-defined shape: {shape}"
            )));
        }
        let mut picks = Vec::with_capacity(indices.len());
        for &i in &indices {
            let slot = usize::try_from(i).ok().and_then(|i| l.tensors.get(i)).ok_or_else(|| {
                Error::invalid_argument(format!("Trying to gather element {i} in a list with {} elements.", l.tensors.len()))
            })?;
            picks.push(slot);
        }
        if !l.element_shape.is_fully_defined() {
            for t in picks.iter().copied().flatten() {
                shape = shape.merge_with_shape(t.shape())?;
            }
        }
        let shape = shape.as_tensor_shape().ok_or_else(|| {
            Error::invalid_argument(format!(
                "Tried to gather uninitialized tensors from a list with non-fully-defined element_shape: {shape}"
            ))
        })?;
        let out = stack_elements(ctx, dtype, &picks, &shape)?;
        ctx.set_output(0, out);
        Ok(())
    }))
}

fn concat(init: &KernelInit<'_>) -> Result<Kernel> {
    let dtype = element_dtype(init)?;
    let v2 = init.node.op == "TensorListConcatV2";
    // TensorListConcat's element_shape attr gives the shape of elements but their first dimension.
    let attr_except_first = if !v2 && init.attrs.has("element_shape") {
        PartialTensorShape::from_attr(init.attrs.get_shape("element_shape")?)?.without_first_dim()
    } else {
        PartialTensorShape::unknown()
    };
    Ok(kernel(2, move |ctx| {
        let l = input_list(ctx, 0)?;
        check_dtype(dtype, l)?;
        let mut first_dim = -1i64;
        let mut except_first = attr_except_first.clone();
        if v2 {
            let es = element_shape_from_input(ctx, l, 1, "TensorListConcatV2")?;
            if es.rank() == Some(0) {
                return Err(Error::invalid_argument("Concat requires elements to be at least vectors, found scalars instead."));
            }
            first_dim = es.dim(0);
            except_first = es.without_first_dim();
        }
        if l.tensors.is_empty() && !except_first.is_fully_defined() {
            return Err(Error::invalid_argument(format!(
                "All except the first dimension must be fully defined when concating an empty tensor list. element_shape: {except_first}"
            )));
        }
        if !l.element_shape.is_fully_defined() {
            let (mut check_dim, mut inferred) = (first_dim == -1, first_dim);
            for (i, t) in l.tensors.iter().enumerate() {
                let Some(t) = t else { continue };
                if t.rank() == 0 {
                    return Err(Error::invalid_argument(format!(
                        "Concat saw a scalar shape at index {i} but requires at least vectors."
                    )));
                }
                except_first = except_first.merge_with_shape(&TensorShape::new(t.dims()[1..].to_vec()))?;
                let d0 = t.dims()[0];
                if first_dim != -1 && first_dim != d0 {
                    return Err(Error::invalid_argument(format!(
                        "First entry of element_shape input does not match the first dim of list element at index: {i} Expected: {first_dim} Actual: {d0}"
                    )));
                }
                if check_dim {
                    if inferred == -1 {
                        inferred = d0;
                    } else if inferred != d0 {
                        inferred = -1;
                        check_dim = false;
                    }
                }
            }
            first_dim = inferred;
        }
        let row_shape = except_first.as_tensor_shape().ok_or_else(|| {
            Error::invalid_argument(format!(
                "Trying to concat list with only uninitialized tensors but element_shape_except_first_dim_ is not fully defined: {except_first}"
            ))
        })?;
        let leading = if v2 { ctx.input(2).to_vec::<i64>()? } else { Vec::new() };
        let mut lengths = Vec::with_capacity(l.tensors.len());
        let mut pieces = Vec::with_capacity(l.tensors.len());
        let device = &ctx.step.device_name;
        for (i, t) in l.tensors.iter().enumerate() {
            let piece = match t {
                Some(t) => {
                    if t.rank() == 0 || t.dims()[1..] != *row_shape.dims() {
                        return Err(Error::invalid_argument(format!(
                            "PartialTensorShape: Incompatible shapes during merge: {row_shape} vs. {}",
                            t.shape()
                        )));
                    }
                    t.clone()
                }
                None => {
                    let dim = if i >= leading.len() && first_dim != -1 {
                        first_dim
                    } else if !v2 {
                        return Err(Error::invalid_argument(
                            "Concating lists with uninitialized tensors is not supported in this version of TensorListConcat. Consider updating your GraphDef to run the newer version.",
                        ));
                    } else if i >= leading.len() {
                        return Err(Error::invalid_argument(format!(
                            "List contains uninitialized tensor at index {i} but leading_dims has only {} elements.",
                            leading.len()
                        )));
                    } else {
                        leading[i]
                    };
                    let mut dims = vec![dim];
                    dims.extend_from_slice(row_shape.dims());
                    zeros(dtype, crate::array::checked_shape(&dims)?, device)?
                }
            };
            lengths.push(piece.dims()[0]);
            pieces.push(piece);
        }
        let total = lengths.iter().try_fold(0i64, |a, &d| a.checked_add(d)).ok_or_else(|| Error::invalid_argument("Concatenated length overflows"))?;
        let mut dims = vec![total];
        dims.extend_from_slice(row_shape.dims());
        let refs: Vec<&Tensor> = pieces.iter().collect();
        let out = join_rows(dtype, &refs, crate::array::checked_shape(&dims)?, device)?;
        ctx.set_output(0, out);
        ctx.set_output(1, Tensor::from_vec(vec![lengths.len() as i64], lengths)?);
        Ok(())
    }))
}

/// The tensor's shape without its first dimension; INVALID_ARGUMENT for scalars.
fn row_shape_of(t: &Tensor) -> Result<TensorShape> {
    if t.rank() == 0 {
        return Err(Error::invalid_argument(format!("Tensor must be at least a vector, but saw shape: {}", t.shape())));
    }
    Ok(TensorShape::new(t.dims()[1..].to_vec()))
}

/// Every row of `t` along its first dimension, each sharing `t`'s buffer when it can.
fn all_rows(t: &Tensor) -> Result<Vec<Option<Tensor>>> {
    let n = t.dims()[0] as usize;
    let mut out = Vec::new();
    reserve_slots(&mut out, n)?;
    for i in 0..n {
        out.push(Some(row(t, i)?));
    }
    Ok(out)
}

fn from_tensor(_init: &KernelInit<'_>) -> Result<Kernel> {
    Ok(kernel(1, |ctx| {
        let element_shape = shape_from_tensor(ctx.input(1), "TensorListFromTensor")?;
        let t = ctx.input(0);
        let row_shape = row_shape_of(t)?;
        if !element_shape.is_compatible_with_shape(&row_shape) {
            return Err(Error::invalid_argument(format!(
                "Specified a list with shape {element_shape} from a tensor with shape {row_shape}"
            )));
        }
        let mut l = TensorList::new(t.dtype(), element_shape);
        l.tensors = all_rows(t)?;
        ctx.set_output(0, l.into_tensor());
        Ok(())
    }))
}

fn split(_init: &KernelInit<'_>) -> Result<Kernel> {
    Ok(kernel(1, |ctx| {
        let element_shape = shape_from_tensor(ctx.input(1), "TensorListSplit")?;
        if element_shape.rank() == Some(0) {
            return Err(Error::invalid_argument(format!(
                "TensorListSplit requires element_shape to be at least of rank 1, but saw: {element_shape}"
            )));
        }
        let t = ctx.input(0);
        let row_shape = row_shape_of(t)?;
        if !element_shape.without_first_dim().is_compatible_with_shape(&row_shape) {
            return Err(Error::invalid_argument(format!(
                "tensor shape {} is not compatible with element_shape {element_shape}",
                t.shape()
            )));
        }
        let lengths_t = ctx.input(2);
        if lengths_t.rank() != 1 {
            return Err(Error::invalid_argument(format!(
                "Expected lengths to be a vector, received shape: {}",
                lengths_t.shape()
            )));
        }
        let lengths = lengths_t.to_vec::<i64>()?;
        let dim0 = t.dims()[0];
        let mut l = TensorList::new(t.dtype(), element_shape);
        reserve_slots(&mut l.tensors, lengths.len())?;
        let mut start = 0i64;
        for &len in &lengths {
            if len < 0 {
                return Err(Error::invalid_argument(format!("Invalid value in lengths: {len}")));
            }
            let end = start.saturating_add(len);
            if end > dim0 {
                return Err(Error::invalid_argument(format!(
                    "Attempting to slice [{start}, {end}] from tensor with length {dim0}"
                )));
            }
            let mut dims = vec![len];
            dims.extend_from_slice(row_shape.dims());
            l.tensors.push(Some(rows(t, start as usize, len as usize, TensorShape::new(dims))?));
            start = end;
        }
        if start != dim0 {
            return Err(Error::invalid_argument(format!(
                "Unused values in tensor. Length of tensor: {dim0} Values used: {start}"
            )));
        }
        ctx.set_output(0, l.into_tensor());
        Ok(())
    }))
}

/// Puts row `k` of `t` at `tensors[indices[k]]` (later rows win when indices repeat).
fn scatter_rows(t: &Tensor, indices: &[i32], tensors: &mut [Option<Tensor>]) -> Result<()> {
    for (k, &i) in indices.iter().enumerate() {
        tensors[i as usize] = Some(row(t, k)?);
    }
    Ok(())
}

fn scatter(init: &KernelInit<'_>) -> Result<Kernel> {
    let v2 = init.node.op == "TensorListScatterV2";
    Ok(kernel(1, move |ctx| {
        let element_shape = shape_from_tensor(ctx.input(2), "TensorListScatter")?;
        let num_elements = if v2 { single_i32(ctx.input(3), "num_elements")? } else { -1 };
        if num_elements < -1 {
            return Err(Error::invalid_argument(format!(
                "TensorListScatter expects num_elements >= -1, found: {num_elements}"
            )));
        }
        let t = ctx.input(0);
        let row_shape = row_shape_of(t)?;
        if !element_shape.is_compatible_with_shape(&row_shape) {
            return Err(Error::invalid_argument(format!(
                "Specified a list with shape {element_shape} from a tensor with shape {row_shape}"
            )));
        }
        let indices = ctx.input(1).to_vec::<i32>()?;
        if indices.len() as i64 != t.dims()[0] {
            return Err(Error::invalid_argument(format!(
                "Invalid number of rows in input tensor. Expected: {} Actual: {}",
                indices.len(),
                t.dims()[0]
            )));
        }
        let mut highest = -1i32;
        for &i in &indices {
            if i < 0 {
                return Err(Error::invalid_argument("Indices in TensorListScatter must all be non-negative."));
            }
            if num_elements != -1 && i >= num_elements {
                return Err(Error::invalid_argument(format!(
                    "TensorListScatter: Trying to scatter at index {i} in list with size {num_elements}"
                )));
            }
            highest = highest.max(i);
        }
        let len = (highest as i64 + 1).max(num_elements as i64) as usize;
        let mut l = TensorList::new(t.dtype(), element_shape);
        reserve_slots(&mut l.tensors, len)?;
        l.tensors.resize(len, None);
        scatter_rows(t, &indices, &mut l.tensors)?;
        ctx.set_output(0, l.into_tensor());
        Ok(())
    }))
}

fn scatter_into_existing(_init: &KernelInit<'_>) -> Result<Kernel> {
    Ok(kernel(1, |ctx| {
        let l = input_list(ctx, 0)?;
        let (t, indices_t) = (ctx.input(1), ctx.input(2));
        if t.dtype() != l.element_dtype {
            return Err(Error::invalid_argument(format!(
                "Invalid data types; input tensor type: {} list element_type: {}",
                t.dtype(),
                l.element_dtype
            )));
        }
        row_shape_of(t)?;
        if indices_t.rank() != 1 {
            return Err(Error::invalid_argument(format!(
                "Expected indices to be a vector, but received shape: {}",
                indices_t.shape()
            )));
        }
        let indices = indices_t.to_vec::<i32>()?;
        if indices.len() as i64 != t.dims()[0] {
            return Err(Error::invalid_argument(format!(
                "Expected len(indices) == tensor.shape[0], but saw: {} vs. {}",
                indices.len(),
                t.dims()[0]
            )));
        }
        // TF writes through negative indices (out of bounds); refuse them instead.
        if indices.iter().any(|&i| i < 0) {
            return Err(Error::invalid_argument("Indices in TensorListScatterIntoExistingList must all be non-negative."));
        }
        let mut out = l.clone();
        let needed = indices.iter().map(|&i| i as usize + 1).max().unwrap_or(0);
        if needed > out.tensors.len() {
            // As TF resizes with default-constructed tensors: float tensors of shape [0].
            let additional = needed - out.tensors.len();
            reserve_slots(&mut out.tensors, additional)?;
            out.tensors.resize(needed, Some(Tensor::zeros(DType::Float, vec![0])?));
        }
        scatter_rows(t, &indices, &mut out.tensors)?;
        ctx.set_output(0, out.into_tensor());
        Ok(())
    }))
}

fn concat_lists(init: &KernelInit<'_>) -> Result<Kernel> {
    let dtype = element_dtype(init)?;
    Ok(kernel(1, move |ctx| {
        let (a, b) = (ctx.input(0), ctx.input(1));
        if a.shape() != b.shape() {
            return Err(Error::invalid_argument(format!(
                "Incompatible input TensorList tensor shapes: {} vs. {}",
                a.shape(),
                b.shape()
            )));
        }
        let (va, vb) = (a.variants()?, b.variants()?);
        let mut out = Vec::with_capacity(va.len());
        for (i, (x, y)) in va.iter().zip(vb).enumerate() {
            let la = as_list(x).ok_or_else(|| {
                Error::invalid_argument(format!("input_a is not a TensorList at index {i}.  Saw: '{}'", x.debug_string()))
            })?;
            let lb = as_list(y).ok_or_else(|| {
                Error::invalid_argument(format!("input_b is not a TensorList at index {i}.  Saw: '{}'", y.debug_string()))
            })?;
            for (name, l) in [("input_a", la), ("input_b", lb)] {
                if l.element_dtype != dtype {
                    return Err(Error::invalid_argument(format!(
                        "{name}[{i}].dtype != element_dtype.  Saw: {} vs. {dtype}",
                        l.element_dtype
                    )));
                }
            }
            if !la.element_shape.is_identical_to(&lb.element_shape) {
                return Err(Error::invalid_argument(format!(
                    "input_a and input_b TensorList element shapes are not identical at index {i}.  Saw {} vs. {}",
                    la.element_shape, lb.element_shape
                )));
            }
            let mut joined = la.clone();
            joined.tensors.extend(lb.tensors.iter().cloned());
            out.push(ferroflow_framework::variant::Variant::new(joined));
        }
        ctx.set_output(0, Tensor::from_variants(a.shape().clone(), out)?);
        Ok(())
    }))
}

fn push_back_batch(init: &KernelInit<'_>) -> Result<Kernel> {
    let dtype = element_dtype(init)?;
    Ok(kernel(1, move |ctx| {
        let t = ctx.input(1);
        if t.dtype() != dtype {
            return Err(Error::invalid_argument(format!(
                "Invalid data types; list elements {dtype} but tried to append {}",
                t.dtype()
            )));
        }
        if t.rank() == 0 {
            return Err(Error::invalid_argument(format!(
                "Expected tensor to be at least a vector, but saw shape: {}",
                t.shape()
            )));
        }
        let handles = ctx.input(0);
        if handles.rank() != 1 {
            return Err(Error::invalid_argument(format!(
                "Expected input_handles to be a vector, but saw shape: {}",
                handles.shape()
            )));
        }
        let batch = handles.variants()?;
        if t.dims()[0] != batch.len() as i64 {
            return Err(Error::invalid_argument(format!(
                "Expected tensor.shape[0] == input_handles.size, but saw {} vs. {}",
                t.dims()[0],
                batch.len()
            )));
        }
        let row_shape = TensorShape::new(t.dims()[1..].to_vec());
        let mut out = Vec::with_capacity(batch.len());
        for (b, v) in batch.iter().enumerate() {
            let l = as_list(v).ok_or_else(|| {
                Error::invalid_argument(format!("Input handle at index {b} is not a list. Saw: '{}'", v.debug_string()))
            })?;
            if !l.element_shape.is_compatible_with_shape(&row_shape) {
                return Err(Error::invalid_argument(format!(
                    "Tried to append a tensor with incompatible shape to a list at index {b}. Op element shape: {row_shape} list shape: {}",
                    l.element_shape
                )));
            }
            if l.element_dtype != dtype {
                return Err(Error::invalid_argument(format!(
                    "Invalid data type at index {b}; op elements {dtype} but list elements {}",
                    l.element_dtype
                )));
            }
            let mut pushed = l.clone();
            pushed.tensors.push(Some(row(t, b)?));
            out.push(ferroflow_framework::variant::Variant::new(pushed));
        }
        ctx.set_output(0, Tensor::from_variants(handles.shape().clone(), out)?);
        Ok(())
    }))
}

#[cfg(test)]
mod tests {
    use crate::testutil::{node, run};
    use ferroflow_framework::{Code, DType, Tensor};

    fn list_of(values: Vec<f32>, dims: Vec<i64>) -> Tensor {
        let n = node("TensorListFromTensor").attr_type("element_dtype", DType::Float).attr_type("shape_type", DType::Int32);
        run(n, vec![Tensor::from_vec(dims, values).unwrap(), Tensor::scalar(-1i32)]).unwrap().remove(0)
    }

    #[test]
    fn scatter_into_existing_refuses_negative_indices() {
        let l = list_of(vec![1.0, 2.0, 3.0, 4.0], vec![2, 2]);
        let n = node("TensorListScatterIntoExistingList").attr_type("element_dtype", DType::Float);
        let rows = Tensor::from_vec(vec![1, 2], vec![5.0f32, 6.0]).unwrap();
        let e = run(n, vec![l, rows, Tensor::from_vec(vec![1], vec![-3i32]).unwrap()]).unwrap_err();
        assert_eq!(e.code, Code::InvalidArgument);
    }

    #[test]
    fn lists_made_from_a_tensor_share_its_buffer() {
        let t = Tensor::from_vec(vec![2, 2], vec![1.0f32, 2.0, 3.0, 4.0]).unwrap();
        let n = node("TensorListFromTensor").attr_type("element_dtype", DType::Float).attr_type("shape_type", DType::Int32);
        let l = run(n, vec![t.clone(), Tensor::scalar(-1i32)]).unwrap().remove(0);
        let list = super::as_list(&l.variants().unwrap()[0]).unwrap();
        let second = list.tensors[1].as_ref().unwrap();
        assert_eq!(second.raw_bytes().unwrap().as_ptr(), t.raw_bytes().unwrap()[8..].as_ptr());
    }

    #[test]
    fn huge_reserves_and_resizes_fail_cleanly() {
        let n = node("TensorListReserve").attr_type("element_dtype", DType::Float).attr_type("shape_type", DType::Int32);
        let out = run(n, vec![Tensor::scalar(-1i32), Tensor::scalar(i32::MAX)]);
        assert!(out.is_ok() || out.unwrap_err().code == Code::ResourceExhausted);
        let n = node("TensorListScatterV2").attr_type("element_dtype", DType::Float).attr_type("shape_type", DType::Int32);
        let rows = Tensor::from_vec(vec![1, 1], vec![1.0f32]).unwrap();
        let out = run(n, vec![rows, Tensor::from_vec(vec![1], vec![0i32]).unwrap(), Tensor::scalar(-1i32), Tensor::scalar(i32::MAX)]);
        assert!(out.is_ok() || out.unwrap_err().code == Code::ResourceExhausted);
    }
}
