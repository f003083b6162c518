//! TensorArrays (TF's v1 `tf.TensorArray`, `dynamic_rnn`): the `TensorArray` resource of the step's
//! own container and the `TensorArray*V3` ops on it, with TF 2.21's semantics and messages
//! (`core/kernels/tensor_array.h`, `tensor_array_ops.cc`).
//!
//! An array lives in the step's resources (`StepContext::step_resources`) under the step container
//! name TF gives its handle, so it is gone with the step. Elements are written once (gradient arrays
//! add repeated writes), read any number of times unless `clear_after_read`, and an element never
//! written reads as zeros when its shape can be known. Gradient arrays (`TensorArrayGradV3`,
//! `TensorArrayGradWithShape`) are found or made by the forward array's name and the gradient
//! source, and start with the forward array's written shapes as virtual zeros.
//!
//! Concurrency: kernels are stateless; each array's state is behind its own mutex, held for one
//! op's reads or writes, so an op's effect on an array is atomic (as TF's `mu_`).

use crate::array::kernel;
use crate::cwise::no_kernel;
use crate::tensor_ops::{add_tensors, join_rows, row, rows, zeros};
use ferroflow_framework::memory::{MemoryAccountant, Reservation, oom_error};
use ferroflow_framework::resource::Resource;
use ferroflow_framework::{
    Cost, DType, Error, KernelInit, OpKernelContext, OpRegistry, PartialTensorShape, ResourceHandle, Result,
    Tensor, TensorShape,
};
use parking_lot::Mutex;
use std::any::Any;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

#[cfg(test)]
mod tests;

/// How TF (Linux build) names the TensorArray type in handles.
pub const TYPE_NAME: &str = "N10tensorflow11TensorArrayE";
/// The hash code ferroflow's TensorArray handles carry. TF's (`TypeIndex::Make<TensorArray>()`,
/// a hash of the C++ type) is not reproduced: arrays are found by name and checked by type, and a
/// TensorArray handle never leaves the task whose step owns it (TF places an array's ops with it).
pub const HASH_CODE: u64 = 0;
/// The container part of forward arrays' names, and of gradient arrays'.
const FORWARD: &str = "_tensor_arrays";
const GRADS: &str = "_tensor_array_grads";

/// TF's process-wide counter that makes array names unique (`TensorArray::tensor_array_counter`).
static COUNTER: AtomicI64 = AtomicI64::new(0);


/// One element and what has happened to it (TF's `TensorAndState`). A written element without a
/// tensor holds only its shape: zeros, made on first read.
#[derive(Default, Clone)]
struct Entry {
    tensor: Option<Tensor>,
    shape: TensorShape,
    written: bool,
    read: bool,
    cleared: bool,
    local_copy: bool,
}

struct State {
    closed: bool,
    dynamic_size: bool,
    gradients_disallowed: bool,
    /// The size after a split; -1 before any.
    marked_size: i32,
    element_shape: PartialTensorShape,
    entries: Vec<Entry>,
    /// The memory budget the entries' vector holds (its length comes from requests).
    _reservation: Option<Reservation>,
}

/// TF's `TensorArray`: a fixed- or growing-size array of tensors of one dtype.
pub struct TensorArray {
    /// The array's unique name (`ta_0`, `ta_0@gradients`), as TF's messages name it.
    name: String,
    dtype: DType,
    multiple_writes_aggregate: bool,
    clear_after_read: bool,
    is_grad: bool,
    identical_element_shapes: bool,
    state: Mutex<State>,
}

impl Resource for TensorArray {
    fn debug_string(&self) -> String {
        format!("TensorArray[{}]", self.state.lock().entries.len())
    }
    fn as_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}

/// What makes an array (TF's constructor arguments).
struct Spec {
    name: String,
    dtype: DType,
    size: usize,
    element_shape: PartialTensorShape,
    identical_element_shapes: bool,
    dynamic_size: bool,
    multiple_writes_aggregate: bool,
    is_grad: bool,
    marked_size: i32,
    clear_after_read: bool,
}

impl TensorArray {
    fn new(s: Spec, device: &str) -> Result<TensorArray> {
        let mut state = State {
            closed: false,
            dynamic_size: s.dynamic_size,
            gradients_disallowed: false,
            marked_size: s.marked_size,
            element_shape: s.element_shape,
            entries: Vec::new(),
            _reservation: None,
        };
        state.grow(s.size, s.dtype, device)?;
        Ok(TensorArray {
            name: s.name,
            dtype: s.dtype,
            multiple_writes_aggregate: s.multiple_writes_aggregate,
            clear_after_read: s.clear_after_read,
            is_grad: s.is_grad,
            identical_element_shapes: s.identical_element_shapes,
            state: Mutex::new(state),
        })
    }

    fn check_open(&self, st: &State) -> Result<()> {
        if st.closed {
            return Err(Error::invalid_argument(format!("TensorArray {} has already been closed.", self.name)));
        }
        Ok(())
    }

    fn size(&self) -> Result<usize> {
        let st = self.state.lock();
        self.check_open(&st)?;
        Ok(st.entries.len())
    }

    /// TF's `LockedWriteOrAggregate`.
    fn write_locked(&self, st: &mut State, index: i32, value: &Tensor, device: &str) -> Result<()> {
        self.check_open(st)?;
        if index < 0 || (!st.dynamic_size && index as usize >= st.entries.len()) {
            return Err(Error::invalid_argument(format!(
                "TensorArray {}: Tried to write to index {index} but array is not resizeable and size is: {}",
                self.name,
                st.entries.len()
            )));
        }
        let i = index as usize;
        if st.dynamic_size && i >= st.entries.len() {
            st.grow(i + 1, self.dtype, device)?;
        }
        let name = &self.name;
        if value.dtype() != self.dtype {
            return Err(Error::invalid_argument(format!(
                "TensorArray {name}: Could not write to TensorArray index {index} because the value dtype is {} but \
                 TensorArray dtype is {}.",
                value.dtype(),
                self.dtype
            )));
        }
        if !st.element_shape.is_compatible_with_shape(value.shape()) {
            return Err(Error::invalid_argument(format!(
                "TensorArray {name}: Could not write to TensorArray index {index} because the value shape is {} which \
                 is incompatible with the TensorArray's inferred element shape: {} (consider setting infer_shape=False).",
                value.shape(),
                st.element_shape
            )));
        } else if self.identical_element_shapes && !st.element_shape.is_fully_defined() {
            st.element_shape = PartialTensorShape::from_shape(value.shape());
        }
        let t = &mut st.entries[i];
        // TF 2.21 reports a second write before a write after a read (as its oracle cases show).
        if !self.multiple_writes_aggregate && t.written {
            return Err(Error::invalid_argument(format!(
                "TensorArray {name}: Could not write to TensorArray index {index} because it has already been written to."
            )));
        }
        if t.read {
            return Err(Error::invalid_argument(format!(
                "TensorArray {name}: Could not write to TensorArray index {index} because it has already been read."
            )));
        }
        if !t.written {
            t.tensor = Some(value.clone());
            t.shape = value.shape().clone();
            t.written = true;
            return Ok(());
        }
        if value.shape() != &t.shape {
            return Err(Error::invalid_argument(format!(
                "TensorArray {name}: Could not aggregate to TensorArray index {index} because the existing shape is {} \
                 but the new input shape is {}.",
                t.shape,
                value.shape()
            )));
        }
        let existing = match &t.tensor {
            Some(e) if e.num_elements() > 0 => e.clone(),
            // Only a shape was stored (zeros): the value replaces it.
            _ => {
                t.tensor = Some(value.clone());
                return Ok(());
            }
        };
        if matches!(self.dtype, DType::Bool | DType::String | DType::Variant | DType::Resource) {
            return Err(Error::invalid_argument(format!("tensor_array::AddToTensor type not supported: {}", self.dtype)));
        }
        t.tensor = Some(add_tensors(&existing, value, device)?);
        t.local_copy = true;
        st.gradients_disallowed = true;
        Ok(())
    }

    /// TF's `LockedRead`.
    fn read_locked(&self, st: &mut State, index: i32, device: &str) -> Result<Tensor> {
        self.check_open(st)?;
        let len = st.entries.len();
        if index < 0 || (!self.is_grad && index as usize >= len) {
            return Err(Error::invalid_argument(format!("Tried to read from index {index} but array size is: {len}")));
        }
        let i = index as usize;
        let unwritten = i >= len || !st.entries[i].written;
        if unwritten {
            // Zeros: of the gradient's own shape for the index when it has one, else of the
            // array's element shape when fully known.
            let shape = if self.is_grad && i < len && st.entries[i].shape.rank() > 0 {
                st.entries[i].shape.clone()
            } else if let Some(s) = st.element_shape.as_tensor_shape() {
                s
            } else {
                return Err(Error::invalid_argument(format!(
                    "TensorArray {}: Could not read from TensorArray index {index}.  Furthermore, the element shape is \
                     not fully defined: {}.  It is possible you are working with a resizeable TensorArray and \
                     stop_gradients is not allowing the gradients to be written.  If you set the full element_shape \
                     property on the forward TensorArray, the proper all-zeros tensor will be returned instead of \
                     incurring this error.",
                    self.name, st.element_shape
                )));
            };
            let from = if i >= len {
                st.grow(i + 1, self.dtype, device)?;
                len
            } else {
                i
            };
            for e in &mut st.entries[from..=i] {
                e.shape = shape.clone();
                e.written = true;
            }
        }
        let t = &mut st.entries[i];
        if t.cleared {
            return Err(Error::invalid_argument(format!(
                "TensorArray {}: Could not read index {index} twice because it was cleared after a previous read \
                 (perhaps try setting clear_after_read = false?).",
                self.name
            )));
        }
        let value = match &t.tensor {
            Some(v) if v.num_elements() > 0 => v.clone(),
            _ => {
                // Only a shape is stored: zeros of it.
                if t.shape.num_elements() > 0 && matches!(self.dtype, DType::String | DType::Variant | DType::Resource) {
                    return Err(Error::invalid_argument(format!(
                        "tensor_array::TensorSetZero type not supported: {}",
                        self.dtype
                    )));
                }
                let z = zeros(self.dtype, t.shape.clone(), device)?;
                t.tensor = Some(z.clone());
                z
            }
        };
        if self.clear_after_read {
            t.tensor = None;
            t.cleared = true;
        }
        t.read = true;
        Ok(value)
    }

    fn read_many(&self, indices: &[i32], device: &str) -> Result<Vec<Tensor>> {
        let mut st = self.state.lock();
        indices.iter().map(|&i| self.read_locked(&mut st, i, device)).collect()
    }

    fn write_many(&self, indices: &[i32], values: &[Tensor], device: &str) -> Result<()> {
        let mut st = self.state.lock();
        for (&i, v) in indices.iter().zip(values) {
            self.write_locked(&mut st, i, v, device)?;
        }
        Ok(())
    }
}

impl State {
    /// Grows the entries to `n`, reserving their memory first (`n` may come from a request).
    fn grow(&mut self, n: usize, dtype: DType, device: &str) -> Result<()> {
        if n <= self.entries.len() {
            return Ok(());
        }
        let oom = || oom_error(&[n as i64], dtype, device);
        let bytes = (n as u64).checked_mul(std::mem::size_of::<Entry>() as u64).ok_or_else(oom)?;
        let reservation = MemoryAccountant::global().try_reserve(bytes).ok_or_else(oom)?;
        self.entries.try_reserve_exact(n - self.entries.len()).map_err(|_| oom())?;
        self.entries.resize_with(n, Entry::default);
        self._reservation = Some(reservation);
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Handles and inputs

fn handle_tensor(ctx: &OpKernelContext<'_>, name: String) -> Result<Tensor> {
    let handle = ResourceHandle {
        device: ctx.step.device_name.clone(),
        container: ctx.step.step_container_name(),
        name,
        hash_code: HASH_CODE,
        maybe_type_name: TYPE_NAME.to_string(),
        dtypes_and_shapes: Vec::new(),
    };
    Tensor::from_resources(TensorShape::scalar(), vec![handle])
}

fn input_handle<'a>(ctx: &OpKernelContext<'a>) -> Result<&'a ResourceHandle> {
    ctx.input(0)
        .resource_handles()?
        .first()
        .ok_or_else(|| Error::invalid_argument(format!("TensorArray handle must be a scalar resource, but had shape: {}", ctx.input(0).shape())))
}

/// The array the handle input names, in the step's resources (TF's `GetTensorArray`).
fn input_array(ctx: &OpKernelContext<'_>) -> Result<Arc<TensorArray>> {
    let h = input_handle(ctx)?;
    if !h.maybe_type_name.is_empty() && h.maybe_type_name != TYPE_NAME {
        return Err(Error::invalid_argument(format!(
            "Trying to access resource using the wrong type. Expected {TYPE_NAME} got {}",
            h.maybe_type_name
        )));
    }
    ctx.step.step_resources.lookup::<TensorArray>(&h.container, &h.name)
}

fn scalar_index(t: &Tensor) -> Result<i32> {
    if !t.shape().is_scalar() {
        return Err(Error::invalid_argument(format!("TensorArray index must be scalar, but had shape: {}", t.shape())));
    }
    t.scalar_value::<i32>()
}

fn vector_i32(t: &Tensor, what: &str) -> Result<Vec<i32>> {
    if t.shape().rank() != 1 {
        return Err(Error::invalid_argument(format!("Expected {what} to be a vector, but received shape: {}", t.shape())));
    }
    t.to_vec::<i32>()
}

fn check_dtype(ta: &TensorArray, want: DType, writing: bool) -> Result<()> {
    if want == ta.dtype {
        return Ok(());
    }
    Err(Error::invalid_argument(if writing {
        format!("TensorArray dtype is {} but Op is trying to write dtype {want}.", ta.dtype)
    } else {
        format!("TensorArray dtype is {} but Op requested dtype {want}.", ta.dtype)
    }))
}

/// A dtype attr of the element-moving ops: TF has CPU kernels for every dtype but variants and
/// handles.
fn element_type(init: &KernelInit<'_>, name: &str) -> Result<DType> {
    let t = init.attrs.get_type(name)?;
    if matches!(t, DType::Variant | DType::Resource) {
        return Err(no_kernel(init, &format!("{name}={}", crate::cwise::dt_name(t))));
    }
    Ok(t)
}

fn shape_attr(init: &KernelInit<'_>, name: &str) -> Result<PartialTensorShape> {
    PartialTensorShape::from_attr(init.attrs.get_shape(name)?)
}

fn device(ctx: &OpKernelContext<'_>) -> String {
    ctx.step.device_name.clone()
}

// ---------------------------------------------------------------------------------------------
// Ops

pub(crate) fn register(reg: &mut OpRegistry) {
    reg.op("TensorArrayV3")
        .input("size: int32")
        .output("handle: resource")
        .output("flow: float")
        .attr("dtype: type")
        .attr("element_shape: shape = ?")
        .attr("dynamic_size: bool = false")
        .attr("clear_after_read: bool = true")
        .attr("identical_element_shapes: bool = false")
        .attr("tensor_array_name: string = ''")
        .stateful()
        .cost(Cost::Trivial)
        .kernel(build_create);
    reg.op("TensorArrayReadV3")
        .input("handle: resource")
        .input("index: int32")
        .input("flow_in: float")
        .output("value: dtype")
        .attr("dtype: type")
        .stateful()
        .cost(Cost::Trivial)
        .kernel(build_read);
    reg.op("TensorArrayWriteV3")
        .input("handle: resource")
        .input("index: int32")
        .input("value: T")
        .input("flow_in: float")
        .output("flow_out: float")
        .attr("T: type")
        .stateful()
        .cost(Cost::Trivial)
        .kernel(build_write);
    reg.op("TensorArrayGatherV3")
        .input("handle: resource")
        .input("indices: int32")
        .input("flow_in: float")
        .output("value: dtype")
        .attr("dtype: type")
        .attr("element_shape: shape = ?")
        .stateful()
        .kernel(build_gather);
    reg.op("TensorArrayScatterV3")
        .input("handle: resource")
        .input("indices: int32")
        .input("value: T")
        .input("flow_in: float")
        .output("flow_out: float")
        .attr("T: type")
        .stateful()
        .cost(Cost::InputElements)
        .kernel(build_scatter);
    reg.op("TensorArrayConcatV3")
        .input("handle: resource")
        .input("flow_in: float")
        .output("value: dtype")
        .output("lengths: int64")
        .attr("dtype: type")
        .attr("element_shape_except0: shape = ?")
        .stateful()
        .kernel(build_concat);
    reg.op("TensorArraySplitV3")
        .input("handle: resource")
        .input("value: T")
        .input("lengths: int64")
        .input("flow_in: float")
        .output("flow_out: float")
        .attr("T: type")
        .stateful()
        .cost(Cost::InputElements)
        .kernel(build_split);
    reg.op("TensorArraySizeV3")
        .input("handle: resource")
        .input("flow_in: float")
        .output("size: int32")
        .stateful()
        .cost(Cost::Trivial)
        .kernel(|_| {
            Ok(kernel(1, |ctx| {
                let n = input_array(ctx)?.size()?;
                ctx.set_output(0, Tensor::scalar(n as i32));
                Ok(())
            }))
        });
    reg.op("TensorArrayCloseV3")
        .input("handle: resource")
        .stateful()
        .cost(Cost::Trivial)
        .kernel(|_| {
            Ok(kernel(0, |ctx| {
                // As TF: the array stays in the step's resources, emptied and closed, until the
                // step ends; later ops on it fail.
                let ta = input_array(ctx)?;
                let mut st = ta.state.lock();
                st.entries = Vec::new();
                st._reservation = None;
                st.closed = true;
                Ok(())
            }))
        });
    reg.op("TensorArrayGradV3")
        .input("handle: resource")
        .input("flow_in: float")
        .output("grad_handle: resource")
        .output("flow_out: float")
        .attr("source: string")
        .stateful()
        .cost(Cost::Trivial)
        .kernel(build_grad);
    reg.op("TensorArrayGradWithShape")
        .input("handle: resource")
        .input("flow_in: float")
        .input("shape_to_prepend: int32")
        .output("grad_handle: resource")
        .output("flow_out: float")
        .attr("source: string")
        .stateful()
        .cost(Cost::Trivial)
        .kernel(build_grad);
}

fn build_create(init: &KernelInit<'_>) -> Result<ferroflow_framework::Kernel> {
    let a = &init.attrs;
    let dtype = a.get_type("dtype")?;
    let element_shape = shape_attr(init, "element_shape")?;
    let dynamic_size = a.get_bool("dynamic_size")?;
    let clear_after_read = a.get_bool("clear_after_read")?;
    let identical_element_shapes = a.get_bool("identical_element_shapes")?;
    let mut base = a.get_string("tensor_array_name")?;
    if base.is_empty() {
        base = init.node.name.clone();
    }
    Ok(kernel(2, move |ctx| {
        let size = ctx.input(0);
        if !size.shape().is_scalar() {
            return Err(Error::invalid_argument(format!("TensorArray size must be scalar, but had shape: {}", size.shape())));
        }
        let size = size.scalar_value::<i32>()?;
        if size < 0 {
            return Err(Error::invalid_argument("Size should be >= 0."));
        }
        let name = format!("{base}_{}", COUNTER.fetch_add(1, Ordering::Relaxed));
        let key = format!("{FORWARD}{name}");
        let ta = TensorArray::new(
            Spec {
                name,
                dtype,
                size: size as usize,
                element_shape: element_shape.clone(),
                identical_element_shapes,
                dynamic_size,
                multiple_writes_aggregate: false,
                is_grad: false,
                marked_size: -1,
                clear_after_read,
            },
            &device(ctx),
        )?;
        let container = ctx.step.step_container_name();
        ctx.step.step_resources.lookup_or_create(&container, &key, || ta)?;
        ctx.set_output(0, handle_tensor(ctx, key)?);
        ctx.set_output(1, Tensor::scalar(0.0f32));
        Ok(())
    }))
}

fn build_grad(init: &KernelInit<'_>) -> Result<ferroflow_framework::Kernel> {
    let source = init.attrs.get_string("source")?;
    let with_shape = init.node.op == "TensorArrayGradWithShape";
    Ok(kernel(2, move |ctx| {
        let h = input_handle(ctx)?;
        let forward_name = h
            .name
            .strip_prefix(FORWARD)
            .ok_or_else(|| Error::invalid_argument(format!("Wrong input container. {}", h.name)))?
            .to_string();
        let name = format!("{forward_name}@{source}");
        let key = format!("{GRADS}{name}");
        let forward = input_array(ctx)?;
        let prefix: Vec<i64> = if with_shape { shape_vector(ctx.input(2))? } else { Vec::new() };
        let dev = device(ctx);
        // Once gradients are computed, the forward array may no longer grow; its state is read
        // under its lock, and the gradient array starts from its written shapes.
        let grad = {
            let mut st = forward.state.lock();
            st.dynamic_size = false;
            forward.check_open(&st)?;
            if st.gradients_disallowed {
                return Err(Error::invalid_argument(format!(
                    "Unable to create a gradients TensorArray for {forward_name}.  Perhaps you used the \
                     multiple_writes_aggregate flag on a previous write?  Gradient calculation is impossible when \
                     multiple writes are performed to the same index."
                )));
            }
            let element_shape = if !with_shape {
                st.element_shape.clone()
            } else if st.element_shape.unknown_rank() {
                PartialTensorShape::unknown()
            } else {
                st.element_shape.with_prefix(&prefix)
            };
            let grad = TensorArray::new(
                Spec {
                    name,
                    dtype: forward.dtype,
                    size: st.entries.len(),
                    element_shape,
                    identical_element_shapes: forward.identical_element_shapes,
                    dynamic_size: false,
                    multiple_writes_aggregate: true,
                    is_grad: true,
                    marked_size: st.marked_size,
                    clear_after_read: true,
                },
                &dev,
            )?;
            {
                let mut gs = grad.state.lock();
                for (g, f) in gs.entries.iter_mut().zip(&st.entries) {
                    if f.written {
                        let mut dims = prefix.clone();
                        dims.extend_from_slice(f.shape.dims());
                        g.shape = TensorShape::new(dims);
                        g.written = true;
                    }
                }
            }
            grad
        };
        let container = ctx.step.step_container_name();
        ctx.step.step_resources.lookup_or_create(&container, &key, || grad)?;
        ctx.set_output(0, handle_tensor(ctx, key)?);
        ctx.set_output(1, Tensor::scalar(0.0f32));
        Ok(())
    }))
}

/// TF's `tensor::MakeShape` of an int32 vector: its dimensions, each at least 0.
fn shape_vector(t: &Tensor) -> Result<Vec<i64>> {
    if t.shape().rank() != 1 {
        return Err(Error::invalid_argument(format!("shape must be a vector of {{int32,int64}}, got shape {}", t.shape())));
    }
    let dims: Vec<i64> = t.to_vec::<i32>()?.into_iter().map(i64::from).collect();
    if let Some(d) = dims.iter().find(|&&d| d < 0) {
        return Err(Error::invalid_argument(format!("Dimension {d} must be >= 0")));
    }
    Ok(dims)
}

fn build_read(init: &KernelInit<'_>) -> Result<ferroflow_framework::Kernel> {
    let dtype = element_type(init, "dtype")?;
    Ok(kernel(1, move |ctx| {
        let index = scalar_index(ctx.input(1))?;
        let ta = input_array(ctx)?;
        check_dtype(&ta, dtype, false)?;
        let value = {
            let mut st = ta.state.lock();
            ta.read_locked(&mut st, index, &device(ctx))?
        };
        ctx.set_output(0, value);
        Ok(())
    }))
}

fn build_write(init: &KernelInit<'_>) -> Result<ferroflow_framework::Kernel> {
    element_type(init, "T")?;
    Ok(kernel(1, |ctx| {
        let index = scalar_index(ctx.input(1))?;
        let value = ctx.input(2);
        let ta = input_array(ctx)?;
        check_dtype(&ta, value.dtype(), true)?;
        {
            let mut st = ta.state.lock();
            ta.write_locked(&mut st, index, value, &device(ctx))?;
        }
        ctx.set_output(0, ctx.input(3).clone());
        Ok(())
    }))
}

fn build_gather(init: &KernelInit<'_>) -> Result<ferroflow_framework::Kernel> {
    let dtype = element_type(init, "dtype")?;
    let element_shape = shape_attr(init, "element_shape")?;
    Ok(kernel(1, move |ctx| {
        let ta = input_array(ctx)?;
        check_dtype(&ta, dtype, false)?;
        {
            let mut st = ta.state.lock();
            st.element_shape = st.element_shape.merge_with(&element_shape)?;
        }
        let indices = vector_i32(ctx.input(1), "indices")?;
        let dev = device(ctx);
        if indices.is_empty() {
            let Some(shape) = element_shape.as_tensor_shape() else {
                return Err(Error::unimplemented(format!(
                    "TensorArray has size zero, but element shape {element_shape} is not fully defined. Currently only \
                     static shapes are supported when packing zero-size TensorArrays."
                )));
            };
            let mut dims = vec![0];
            dims.extend_from_slice(shape.dims());
            ctx.set_output(0, zeros(dtype, TensorShape::new(dims), &dev)?);
            return Ok(());
        }
        let values = ta.read_many(&indices, &dev)?;
        let first = values[0].shape();
        if !element_shape.is_compatible_with_shape(first) {
            return Err(Error::invalid_argument(format!(
                "TensorArray was passed element_shape {element_shape} which does not match the Tensor at index 0: {first}"
            )));
        }
        for (i, v) in values.iter().enumerate().skip(1) {
            if v.shape() != first {
                return Err(Error::invalid_argument(format!(
                    "TensorArray has inconsistent shapes.  Index 0 has shape: {first} but index {i} has shape: {}",
                    v.shape()
                )));
            }
        }
        let mut dims = vec![values.len() as i64];
        dims.extend_from_slice(first.dims());
        let pieces: Vec<&Tensor> = values.iter().collect();
        ctx.set_output(0, join_rows(dtype, &pieces, TensorShape::new(dims), &dev)?);
        Ok(())
    }))
}

fn build_concat(init: &KernelInit<'_>) -> Result<ferroflow_framework::Kernel> {
    let dtype = element_type(init, "dtype")?;
    let except0 = shape_attr(init, "element_shape_except0")?;
    Ok(kernel(2, move |ctx| {
        let ta = input_array(ctx)?;
        check_dtype(&ta, dtype, false)?;
        let n = {
            let st = ta.state.lock();
            ta.check_open(&st)?;
            // TF's `PackOrConcatSize`: a gradient array concatenates as many as the forward split.
            if ta.is_grad { st.marked_size.max(0) as usize } else { st.entries.len() }
        };
        let dev = device(ctx);
        if n == 0 {
            let Some(shape) = except0.as_tensor_shape() else {
                return Err(Error::unimplemented(format!(
                    "TensorArray has size zero, but element_shape_except0 {except0} is not fully defined. Currently \
                     only static shapes are supported when concatenating zero-size TensorArrays."
                )));
            };
            let mut dims = vec![0];
            dims.extend_from_slice(shape.dims());
            ctx.set_output(0, zeros(dtype, TensorShape::new(dims), &dev)?);
            ctx.set_output(1, Tensor::from_vec(vec![0], Vec::<i64>::new())?);
            return Ok(());
        }
        let indices: Vec<i32> = (0..n as i32).collect();
        let values = ta.read_many(&indices, &dev)?;
        let mut lengths = Vec::new();
        let mut total: i64 = 0;
        let mut rest0: Option<&[i64]> = None;
        for (i, v) in values.iter().enumerate() {
            if v.shape().rank() == 0 {
                return Err(Error::invalid_argument(format!(
                    "Concat saw a scalar shape at index {i} but requires at least vectors.  Did you mean to call pack?"
                )));
            }
            let rest = &v.dims()[1..];
            match rest0 {
                None => {
                    if !except0.is_compatible_with_shape(&TensorShape::new(rest.to_vec())) {
                        return Err(Error::invalid_argument(format!(
                            "TensorArray was passed element_shape_except0 {except0} but index 0 has (excepting \
                             dimension 0) shape: {} which does not match.",
                            TensorShape::new(rest.to_vec())
                        )));
                    }
                    rest0 = Some(rest);
                }
                Some(r0) if r0 != rest => {
                    return Err(Error::invalid_argument(format!(
                        "TensorArray has inconsistent shapes.  Index 0 has (excepting dimension 0) shape: {} but index \
                         {i} has (excepting dimension 0) shape: {}",
                        TensorShape::new(r0.to_vec()),
                        TensorShape::new(rest.to_vec())
                    )));
                }
                Some(_) => {}
            }
            lengths.push(v.dims()[0]);
            total += v.dims()[0];
        }
        let mut dims = vec![total];
        dims.extend_from_slice(rest0.unwrap_or(&[]));
        let pieces: Vec<&Tensor> = values.iter().collect();
        ctx.set_output(0, join_rows(dtype, &pieces, TensorShape::new(dims), &dev)?);
        ctx.set_output(1, Tensor::from_vec(vec![lengths.len() as i64], lengths)?);
        Ok(())
    }))
}

fn build_scatter(init: &KernelInit<'_>) -> Result<ferroflow_framework::Kernel> {
    element_type(init, "T")?;
    Ok(kernel(1, |ctx| {
        let ta = input_array(ctx)?;
        let value = ctx.input(2);
        let dim0 = value.dims().first().copied().unwrap_or(0);
        if dim0 > i32::MAX as i64 {
            return Err(Error::invalid_argument("tensor dim0 too large to unpack"));
        }
        check_dtype(&ta, value.dtype(), true)?;
        if value.shape().rank() == 0 {
            return Err(Error::invalid_argument(format!(
                "Input value for unpack must be at least a vector but received shape: {}",
                value.shape()
            )));
        }
        let mut array_size = ta.size()? as i64;
        let indices = vector_i32(ctx.input(1), "indices")?;
        if indices.len() as i64 != dim0 {
            return Err(Error::invalid_argument(format!(
                "Expected len(indices) == values.shape[0], but saw: {} vs. {dim0}",
                indices.len()
            )));
        }
        let max_index = indices.iter().copied().max().map(i64::from).unwrap_or(-1);
        if ta.state.lock().dynamic_size && array_size < max_index + 1 {
            array_size = max_index + 1;
        }
        if max_index >= array_size {
            return Err(Error::invalid_argument(format!(
                "Max scatter index must be < array size ({max_index} vs. {array_size})"
            )));
        }
        let values: Vec<Tensor> = (0..indices.len()).map(|i| row(value, i)).collect::<Result<_>>()?;
        ta.write_many(&indices, &values, &device(ctx))?;
        ctx.set_output(0, ctx.input(3).clone());
        Ok(())
    }))
}

fn build_split(init: &KernelInit<'_>) -> Result<ferroflow_framework::Kernel> {
    element_type(init, "T")?;
    Ok(kernel(1, |ctx| {
        let ta = input_array(ctx)?;
        let value = ctx.input(1);
        let lengths_t = ctx.input(2);
        if lengths_t.shape().rank() != 1 {
            return Err(Error::invalid_argument(format!(
                "Expected lengths to be a vector, received shape: {}",
                lengths_t.shape()
            )));
        }
        if lengths_t.num_elements() >= i32::MAX as usize {
            return Err(Error::invalid_argument("Expected lengths to have < max int32 entries"));
        }
        let lengths = lengths_t.to_vec::<i64>()?;
        if let Some(l) = lengths.iter().find(|&&l| l < 0) {
            return Err(Error::invalid_argument(format!("Expected lengths to be non-negative, but saw length {l}")));
        }
        let total = lengths.iter().try_fold(0i64, |acc, &l| acc.checked_add(l));
        if value.shape().rank() == 0 {
            return Err(Error::invalid_argument(format!(
                "Expected value to be at least a vector, but received shape: {}",
                value.shape()
            )));
        }
        match total {
            Some(t) if t == value.dims()[0] => {}
            t => {
                return Err(Error::invalid_argument(format!(
                    "Expected sum of lengths to be equal to values.shape[0], but sum of lengths is {} and value's \
                     shape is: {}",
                    t.map(|t| t.to_string()).unwrap_or_else(|| "too large".into()),
                    value.shape()
                )));
            }
        }
        let num = lengths.len();
        let mut array_size = ta.size()?;
        if ta.state.lock().dynamic_size && array_size < num {
            array_size = num;
        }
        if array_size != num {
            return Err(Error::invalid_argument(format!(
                "TensorArray's size is not equal to the size of lengths ({array_size} vs. {num}), and the TensorArray is \
                 not marked as dynamically resizeable"
            )));
        }
        check_dtype(&ta, value.dtype(), true)?;
        let mut pieces = Vec::new();
        pieces.try_reserve_exact(num).map_err(|_| oom_error(&[num as i64], value.dtype(), &device(ctx)))?;
        let mut start = 0usize;
        for &l in &lengths {
            let mut dims = value.dims().to_vec();
            dims[0] = l;
            pieces.push(rows(value, start, l as usize, TensorShape::new(dims))?);
            start += l as usize;
        }
        {
            let mut st = ta.state.lock();
            ta.check_open(&st)?;
            if !ta.is_grad {
                st.marked_size = num as i32;
            }
        }
        let indices: Vec<i32> = (0..num as i32).collect();
        ta.write_many(&indices, &pieces, &device(ctx))?;
        ctx.set_output(0, ctx.input(3).clone());
        Ok(())
    }))
}
