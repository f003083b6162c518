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
//! This file holds the resource and the helpers its kernels share; [`ops`] registers the ops and
//! builds their kernels.
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

mod ops;
#[cfg(test)]
mod tests;

pub(crate) use ops::register;

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
