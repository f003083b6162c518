//! The TensorList ops that make lists and read or replace single elements: `EmptyTensorList`,
//! `TensorListReserve`, `TensorListPushBack`, `TensorListPopBack`, `TensorListLength`,
//! `TensorListElementShape`, `TensorListGetItem`, `TensorListSetItem`, `TensorListResize`.
//! Stateless kernels; each makes a new list sharing the input list's element tensors.

use super::{TensorList, check_dtype, element_shape_from_input, input_list, reserve_slots, scalar_i32, shape_from_tensor};
use crate::array::kernel;
use crate::tensor_ops::zeros;
use ferroflow_framework::{Cost, DType, Error, Kernel, KernelInit, OpKernelContext, OpRegistry, PartialTensorShape, Result, Tensor};

pub(super) fn register(reg: &mut OpRegistry) {
    reg.op("EmptyTensorList")
        .input("element_shape: shape_type")
        .input("max_num_elements: int32")
        .output("handle: variant")
        .attr("element_dtype: type")
        .attr("shape_type: {int32, int64}")
        .cost(Cost::Trivial)
        .kernel(empty_tensor_list);
    reg.op("TensorListReserve")
        .input("element_shape: shape_type")
        .input("num_elements: int32")
        .output("handle: variant")
        .attr("element_dtype: type")
        .attr("shape_type: {int32, int64}")
        .cost(Cost::Trivial)
        .kernel(reserve);
    reg.op("TensorListPushBack")
        .input("input_handle: variant")
        .input("tensor: element_dtype")
        .output("output_handle: variant")
        .attr("element_dtype: type")
        .cost(Cost::Trivial)
        .kernel(push_back);
    reg.op("TensorListPopBack")
        .input("input_handle: variant")
        .input("element_shape: int32")
        .output("output_handle: variant")
        .output("tensor: element_dtype")
        .attr("element_dtype: type")
        .cost(Cost::Trivial)
        .kernel(pop_back);
    reg.op("TensorListLength")
        .input("input_handle: variant")
        .output("length: int32")
        .cost(Cost::Trivial)
        .kernel(|_| {
            Ok(kernel(1, |ctx| {
                let n = input_list(ctx, 0)?.tensors.len();
                ctx.set_output(0, Tensor::scalar(n as i32));
                Ok(())
            }))
        });
    reg.op("TensorListElementShape")
        .input("input_handle: variant")
        .output("element_shape: shape_type")
        .attr("shape_type: {int32, int64}")
        .cost(Cost::Trivial)
        .kernel(element_shape);
    reg.op("TensorListGetItem")
        .input("input_handle: variant")
        .input("index: int32")
        .input("element_shape: Tshape")
        .output("item: element_dtype")
        .attr("element_dtype: type")
        .attr("Tshape: {int32, int64} = DT_INT32")
        .cost(Cost::Trivial)
        .kernel(get_item);
    reg.op("TensorListSetItem")
        .input("input_handle: variant")
        .input("index: int32")
        .input("item: element_dtype")
        .output("output_handle: variant")
        .attr("element_dtype: type")
        .attr("resize_if_index_out_of_bounds: bool = false")
        .cost(Cost::Trivial)
        .kernel(set_item);
    reg.op("TensorListResize")
        .input("input_handle: variant")
        .input("size: int32")
        .output("output_handle: variant")
        .cost(Cost::Trivial)
        .kernel(resize);
}

/// The `element_dtype` attr; TF has list kernels for every dtype but resource.
pub(super) fn element_dtype(init: &KernelInit<'_>) -> Result<DType> {
    let t = init.attrs.get_type("element_dtype")?;
    if t == DType::Resource {
        return Err(crate::cwise::no_kernel(init, "element_dtype=DT_RESOURCE"));
    }
    Ok(t)
}

/// The one value of an int32 input TF reads with `scalar<int32>()` (which takes any one-element
/// tensor); INVALID_ARGUMENT naming `what` otherwise.
pub(super) fn single_i32(t: &Tensor, what: &str) -> Result<i32> {
    if t.num_elements() != 1 {
        return Err(Error::invalid_argument(format!("{what} must be a scalar, but got shape: {}", t.shape())));
    }
    Ok(t.values::<i32>()?[0])
}

fn empty_tensor_list(init: &KernelInit<'_>) -> Result<Kernel> {
    let dtype = element_dtype(init)?;
    Ok(kernel(1, move |ctx| {
        let max = ctx.input(1);
        let max_num_elements = scalar_i32(max, || format!("max_num_elements expected to be a scalar but got shape: {}", max.shape()))?;
        let mut list = TensorList::new(dtype, shape_from_tensor(ctx.input(0), "EmptyTensorList")?);
        list.max_num_elements = max_num_elements;
        ctx.set_output(0, list.into_tensor());
        Ok(())
    }))
}

fn reserve(init: &KernelInit<'_>) -> Result<Kernel> {
    let dtype = element_dtype(init)?;
    Ok(kernel(1, move |ctx| {
        let element_shape = shape_from_tensor(ctx.input(0), "TensorListReserve")?;
        let n = ctx.input(1);
        let num = scalar_i32(n, || format!("The num_elements to reserve must be a tensor size 1, but got {}", n.shape()))?;
        if num < 0 {
            return Err(Error::invalid_argument(format!(
                "The num_elements to reserve must be a non negative number, but got {num}"
            )));
        }
        let mut list = TensorList::new(dtype, element_shape);
        reserve_slots(&mut list.tensors, num as usize)?;
        list.tensors.resize(num as usize, None);
        ctx.set_output(0, list.into_tensor());
        Ok(())
    }))
}

fn push_back(init: &KernelInit<'_>) -> Result<Kernel> {
    let dtype = element_dtype(init)?;
    Ok(kernel(1, move |ctx| {
        let t = ctx.input(1);
        if t.dtype() != dtype {
            return Err(Error::invalid_argument(format!(
                "Invalid data types; list elements {dtype} but tried to append {}",
                t.dtype()
            )));
        }
        let l = input_list(ctx, 0)?;
        if !l.element_shape.is_compatible_with_shape(t.shape()) {
            return Err(Error::invalid_argument(format!(
                "Tried to append a tensor with incompatible shape to a list. Op element shape: {} list shape: {}",
                t.shape(),
                l.element_shape
            )));
        }
        check_dtype(dtype, l)?;
        if l.max_num_elements >= 0 && l.tensors.len() >= l.max_num_elements as usize {
            return Err(Error::invalid_argument(format!(
                "Tried to push item into a full list list size: {} max_num_elements: {}",
                l.tensors.len(),
                l.max_num_elements
            )));
        }
        let mut out = l.clone();
        out.tensors.push(Some(t.clone()));
        ctx.set_output(0, out.into_tensor());
        Ok(())
    }))
}

/// Zeros for an uninitialized element read, when `shape` (merged from the op's input and the
/// list's) is fully defined; else the INVALID_ARGUMENT `undefined` words.
pub(super) fn zeros_for_uninitialized(
    ctx: &OpKernelContext<'_>,
    dtype: DType,
    shape: &PartialTensorShape,
    undefined: impl FnOnce() -> String,
) -> Result<Tensor> {
    let shape = shape.as_tensor_shape().ok_or_else(|| Error::invalid_argument(undefined()))?;
    zeros(dtype, shape, &ctx.step.device_name)
}

fn pop_back(init: &KernelInit<'_>) -> Result<Kernel> {
    let dtype = element_dtype(init)?;
    Ok(kernel(2, move |ctx| {
        let l = input_list(ctx, 0)?;
        check_dtype(dtype, l)?;
        let Some(last) = l.tensors.last() else {
            return Err(Error::invalid_argument("Trying to pop from an empty list."));
        };
        let item = match last {
            Some(t) => t.clone(),
            None => {
                let shape = element_shape_from_input(ctx, l, 1, "TensorListPopBack")?;
                zeros_for_uninitialized(ctx, dtype, &shape, || {
                    format!("Trying to read an uninitialized tensor but element_shape is not fully defined.{shape}")
                })?
            }
        };
        let mut out = l.clone();
        out.tensors.pop();
        ctx.set_output(0, out.into_tensor());
        ctx.set_output(1, item);
        Ok(())
    }))
}

fn element_shape(init: &KernelInit<'_>) -> Result<Kernel> {
    let out_type = init.attrs.get_type_in("shape_type", &[DType::Int32, DType::Int64])?;
    Ok(kernel(1, move |ctx| {
        let l = input_list(ctx, 0)?;
        let dims: Vec<i64> = l.element_shape.dims().map(<[i64]>::to_vec).unwrap_or_default();
        let t = match (l.element_shape.unknown_rank(), out_type) {
            (true, DType::Int32) => Tensor::scalar(-1i32),
            (true, _) => Tensor::scalar(-1i64),
            (false, DType::Int32) => Tensor::from_vec(vec![dims.len() as i64], dims.iter().map(|&d| d as i32).collect::<Vec<_>>())?,
            (false, _) => Tensor::from_vec(vec![dims.len() as i64], dims)?,
        };
        ctx.set_output(0, t);
        Ok(())
    }))
}

fn get_item(init: &KernelInit<'_>) -> Result<Kernel> {
    let dtype = element_dtype(init)?;
    Ok(kernel(1, move |ctx| {
        let l = input_list(ctx, 0)?;
        check_dtype(dtype, l)?;
        let index = single_i32(ctx.input(1), "index")?;
        let Some(slot) = usize::try_from(index).ok().and_then(|i| l.tensors.get(i)) else {
            return Err(Error::invalid_argument(format!(
                "Trying to access element {index} in a list with {} elements.",
                l.tensors.len()
            )));
        };
        let item = match slot {
            Some(t) => t.clone(),
            None => {
                let mut shape = element_shape_from_input(ctx, l, 2, "TensorListGetItem")?;
                // Like TensorArray reads: infer the shape from the initialized elements.
                if !shape.is_fully_defined() {
                    for t in l.tensors.iter().flatten() {
                        shape = shape.merge_with_shape(t.shape())?;
                    }
                }
                zeros_for_uninitialized(ctx, dtype, &shape, || {
                    format!(
                        "Trying to read an uninitialized tensor but element_shape is not fully defined: {shape} and no list element is set."
                    )
                })?
            }
        };
        ctx.set_output(0, item);
        Ok(())
    }))
}

fn set_item(init: &KernelInit<'_>) -> Result<Kernel> {
    let dtype = element_dtype(init)?;
    let resize = init.attrs.has("resize_if_index_out_of_bounds") && init.attrs.get_bool("resize_if_index_out_of_bounds")?;
    Ok(kernel(1, move |ctx| {
        let l = input_list(ctx, 0)?;
        check_dtype(dtype, l)?;
        let index_t = ctx.input(1);
        let index = scalar_i32(index_t, || {
            format!("Expected argument 1 to be a scalar. Received{}", crate::tensor_text::tensor_debug_string(index_t))
        })?;
        let len = l.tensors.len();
        let in_range = index >= 0 && (index as usize) < len;
        if !in_range && !(resize && index >= 0) {
            return Err(Error::invalid_argument(format!("Trying to modify element {index} in a list with {len} elements.")));
        }
        let item = ctx.input(2);
        if !l.element_shape.is_compatible_with_shape(item.shape()) {
            return Err(Error::invalid_argument(format!(
                "Tried to set a tensor with incompatible shape at a list index. Item element shape: {} list shape: {}",
                item.shape(),
                l.element_shape
            )));
        }
        let mut out = l.clone();
        let i = index as usize;
        if i >= len {
            reserve_slots(&mut out.tensors, i + 1 - len)?;
            out.tensors.resize(i + 1, None);
        }
        out.tensors[i] = Some(item.clone());
        ctx.set_output(0, out.into_tensor());
        Ok(())
    }))
}

fn resize(_init: &KernelInit<'_>) -> Result<Kernel> {
    Ok(kernel(1, |ctx| {
        let l = input_list(ctx, 0)?;
        let size = scalar_i32(ctx.input(1), || "size must be a scalar".to_string())?;
        if size < 0 {
            return Err(Error::invalid_argument(format!("TensorListSlice expects size to be non-negative. Got: {size}")));
        }
        let size = size as usize;
        let mut out = TensorList { tensors: Vec::new(), ..l.clone_empty() };
        reserve_slots(&mut out.tensors, size)?;
        out.tensors.extend(l.tensors.iter().take(size).cloned());
        out.tensors.resize(size, None);
        ctx.set_output(0, out.into_tensor());
        Ok(())
    }))
}

impl TensorList {
    /// A list with this one's dtype, element shape and bound, and no elements.
    pub(super) fn clone_empty(&self) -> TensorList {
        TensorList { tensors: Vec::new(), element_shape: self.element_shape.clone(), element_dtype: self.element_dtype, max_num_elements: self.max_num_elements }
    }
}
