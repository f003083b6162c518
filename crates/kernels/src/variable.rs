//! Resource variable ops: `VarHandleOp` makes the handle, `ReadVariableOp`, `AssignVariableOp`,
//! `AssignAddVariableOp`, `AssignSubVariableOp`, `VarIsInitializedOp`, `VariableShape` and
//! `DestroyResourceOp` act on the `Var` the handle names (by its container and name, in the step's
//! `ResourceMgr`), with TensorFlow 2.21's checks and error messages.
//!
//! Concurrency: kernels are stateless; variables live in the shared `ResourceMgr`. Reads clone the
//! current tensor (no lock beyond the value's own). Every write that depends on the old value
//! (`AssignAdd`/`AssignSub`, the training ops) holds the variable's `update_lock` from reading to
//! storing, so concurrent updates never lose each other; plain assignments also take it, so they
//! are ordered with respect to those updates.

use ferroflow_framework::resource::DEFAULT_CONTAINER;
use ferroflow_framework::{Cost, 
    Code, DType, Error, Kernel, KernelInit, OpRegistry, OpKernel, OpKernelContext, ResourceHandle, Result, Tensor,
    TensorShape, Var,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// How TF (Linux build) names the variable type in handles and messages.
pub const VAR_TYPE_NAME: &str = "N10tensorflow3VarE";
/// The type hash TF puts in variable handles (`TypeIndex::Make<Var>().hash_code()` on Linux).
pub const VAR_HASH_CODE: u64 = 17_454_915_466_513_971_685;
/// The `shared_name` asking for a fresh anonymous variable per run.
pub const ANONYMOUS_NAME: &str = "cd2c89b7-88b7-44c8-ad83-06c2a9158347";
/// The container of anonymous resources.
const ANONYMOUS_CONTAINER: &str = "Anonymous";

/// Dtypes a variable may hold.
const VAR_TYPES: &[DType] = &[
    DType::Float,
    DType::Double,
    DType::Int32,
    DType::Int64,
    DType::UInt8,
    DType::Int8,
    DType::Int16,
    DType::UInt16,
    DType::UInt32,
    DType::UInt64,
    DType::Bool,
    DType::String,
];

pub(crate) fn register(reg: &mut OpRegistry) {
    reg.op("VarHandleOp")
        .output("resource: resource")
        .attr("container: string = ''")
        .attr("shared_name: string = ''")
        .attr("debug_name: string = ''")
        .attr("dtype: type")
        .attr("shape: shape")
        .attr("allowed_devices: list(string) = []")
        .stateful()
        .cost(Cost::Trivial)
        .kernel(build_var_handle);
    reg.op("ReadVariableOp")
        .input("resource: resource")
        .output("value: dtype")
        .attr("dtype: type")
        .stateful()
        .cost(Cost::Trivial)
        .kernel(build_read);
    reg.op("AssignVariableOp")
        .input("resource: resource")
        .input("value: dtype")
        .attr("dtype: type")
        .attr("validate_shape: bool = false")
        .stateful()
        .cost(Cost::Trivial)
        .kernel(build_assign);
    reg.op("AssignAddVariableOp")
        .input("resource: resource")
        .input("value: dtype")
        .attr("dtype: type")
        .stateful()
        .cost(Cost::InputElements)
        .kernel(|init| build_update(init, false));
    reg.op("AssignSubVariableOp")
        .input("resource: resource")
        .input("value: dtype")
        .attr("dtype: type")
        .stateful()
        .cost(Cost::InputElements)
        .kernel(|init| build_update(init, true));
    reg.op("VarIsInitializedOp")
        .input("resource: resource")
        .output("is_initialized: bool")
        .stateful()
        .cost(Cost::Trivial)
        .kernel(build_is_initialized);
    reg.op("VariableShape")
        .input("input: resource")
        .output("output: out_type")
        .attr("out_type: {int32, int64} = DT_INT32")
        .stateful()
        .cost(Cost::Trivial)
        .kernel(build_variable_shape);
    reg.op("DestroyResourceOp")
        .input("resource: resource")
        .attr("ignore_lookup_error: bool = true")
        .stateful()
        .cost(Cost::Trivial)
        .kernel(build_destroy);
}

/// The container a handle names, the default one when empty.
fn container_of(h: &ResourceHandle) -> &str {
    if h.container.is_empty() { DEFAULT_CONTAINER } else { &h.container }
}

/// The handle in input `i` (its first element, as TF reads resource inputs).
pub(crate) fn handle_input<'a>(ctx: &OpKernelContext<'a>, i: usize) -> Result<&'a ResourceHandle> {
    let t = ctx.input(i);
    if t.dtype() != DType::Resource {
        return Err(Error::invalid_argument(format!(
            "Expected a resource handle for input {i}, got a {} tensor",
            t.dtype()
        )));
    }
    t.resource_handles()?
        .first()
        .ok_or_else(|| Error::invalid_argument(format!("Input {i} holds no resource handle (shape {})", t.shape())))
}

/// TF's NOT_FOUND for a missing variable.
pub(crate) fn var_not_found(h: &ResourceHandle) -> Error {
    Error::not_found(format!("Resource {}/{}/{VAR_TYPE_NAME} does not exist.", container_of(h), h.name))
}

/// The variable a handle names; NOT_FOUND in TF's words when absent.
pub(crate) fn lookup_var(ctx: &OpKernelContext<'_>, h: &ResourceHandle) -> Result<Arc<Var>> {
    ctx.step
        .resources
        .lookup::<Var>(container_of(h), &h.name)
        .map_err(|e| if e.code == Code::NotFound { var_not_found(h) } else { e })
}

/// A variable's current value; an uninitialized one counts as absent (TF keeps no such variables).
fn initialized_value(var: &Var, h: &ResourceHandle) -> Result<Tensor> {
    var.value().ok_or_else(|| var_not_found(h))
}

// ---------------------------------------------------------------------------------------------
// VarHandleOp

/// Produces the handle of the variable named by `container` and `shared_name` on this device.
struct VarHandleOp {
    container: String,
    shared_name: String,
    dtype: DType,
    shape: Option<TensorShape>,
}

static ANONYMOUS_COUNTER: AtomicU64 = AtomicU64::new(0);

fn build_var_handle(init: &KernelInit<'_>) -> Result<Kernel> {
    init.expect_inputs(0)?;
    let a = &init.attrs;
    let dtype = a.get_type_in("dtype", VAR_TYPES)?;
    // Unknown dimensions stay -1 in the handle's shape, as in TF's partial shapes; unknown rank is None.
    let shape = if a.has("shape") { a.get_shape("shape")?.map(TensorShape::new) } else { None };
    Ok(Kernel::sync(
        VarHandleOp {
            container: a.get_string_or("container", "")?,
            shared_name: a.get_string_or("shared_name", "")?,
            dtype,
            shape,
        },
        1,
    ))
}

impl OpKernel for VarHandleOp {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        let (container, name) = if self.shared_name == ANONYMOUS_NAME {
            (ANONYMOUS_CONTAINER.to_string(), ANONYMOUS_COUNTER.fetch_add(1, Ordering::Relaxed).to_string())
        } else {
            let c = if self.container.is_empty() { DEFAULT_CONTAINER } else { &self.container };
            (c.to_string(), self.shared_name.clone())
        };
        let handle = ResourceHandle {
            device: ctx.step.device_name.clone(),
            container,
            name,
            hash_code: VAR_HASH_CODE,
            maybe_type_name: VAR_TYPE_NAME.to_string(),
            dtypes_and_shapes: vec![(self.dtype, self.shape.clone())],
        };
        ctx.set_output(0, Tensor::from_resources(TensorShape::scalar(), vec![handle])?);
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// ReadVariableOp

struct ReadVariableOp {
    dtype: DType,
}

fn build_read(init: &KernelInit<'_>) -> Result<Kernel> {
    init.expect_inputs(1)?;
    Ok(Kernel::sync(ReadVariableOp { dtype: init.attrs.get_type_in("dtype", VAR_TYPES)? }, 1))
}

impl OpKernel for ReadVariableOp {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        let h = handle_input(ctx, 0)?;
        let value = lookup_var(ctx, h).and_then(|v| initialized_value(&v, h)).map_err(|status| {
            Error::failed_precondition(format!(
                "Could not find variable {}. This could mean that the variable has been deleted. In TF1, it can also \
                 mean the variable is uninitialized. Debug info: container={}, status error message={}",
                h.name,
                container_of(h),
                status.message
            ))
        })?;
        if value.dtype() != self.dtype {
            return Err(Error::invalid_argument(format!(
                "Trying to read variable with wrong dtype. Expected {} got {}",
                self.dtype,
                value.dtype()
            )));
        }
        ctx.set_output(0, value);
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// AssignVariableOp

struct AssignVariableOp {
    dtype: DType,
    validate_shape: bool,
}

fn build_assign(init: &KernelInit<'_>) -> Result<Kernel> {
    init.expect_inputs(2)?;
    let dtype = init.attrs.get_type_in("dtype", VAR_TYPES)?;
    let validate_shape = init.attrs.get_bool_or("validate_shape", false)?;
    Ok(Kernel::sync(AssignVariableOp { dtype, validate_shape }, 0))
}

impl OpKernel for AssignVariableOp {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        let value = ctx.input(1);
        if value.dtype() != self.dtype {
            return Err(Error::invalid_argument(format!(
                "Variable and value dtypes don't match; respectively, {} and {}",
                self.dtype,
                value.dtype()
            )));
        }
        let h = handle_input(ctx, 0)?;
        // Like TF, assigning creates the variable when it does not exist yet.
        let var = ctx.step.resources.lookup_or_create(container_of(h), &h.name, || Var::new(self.dtype))?;
        let _guard = var.update_lock.lock();
        if var.dtype() != self.dtype {
            return Err(Error::invalid_argument(format!(
                "Trying to assign variable with wrong dtype. Expected {} got {}",
                var.dtype(),
                self.dtype
            )));
        }
        if self.validate_shape
            && let Some(old) = var.value()
            && old.shape() != value.shape()
        {
            return Err(Error::invalid_argument(format!(
                "Trying to assign to variable with tensor with wrong shape. Expected {} got {}",
                old.shape(),
                value.shape()
            )));
        }
        var.set(value.clone());
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// AssignAddVariableOp / AssignSubVariableOp

struct AssignUpdateOp {
    subtract: bool,
}

fn build_update(init: &KernelInit<'_>, subtract: bool) -> Result<Kernel> {
    init.expect_inputs(2)?;
    init.attrs.get_type_in("dtype", DType::REAL)?;
    Ok(Kernel::sync(AssignUpdateOp { subtract }, 0))
}

/// Element-wise `+`/`-` as TF's CPU kernels compute them (integers wrap).
trait UpdateArith: Copy {
    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
}

macro_rules! arith_float {
    ($($t:ty),*) => {$(impl UpdateArith for $t {
        fn add(self, o: Self) -> Self { self + o }
        fn sub(self, o: Self) -> Self { self - o }
    })*};
}
macro_rules! arith_int {
    ($($t:ty),*) => {$(impl UpdateArith for $t {
        fn add(self, o: Self) -> Self { self.wrapping_add(o) }
        fn sub(self, o: Self) -> Self { self.wrapping_sub(o) }
    })*};
}
arith_float!(f32, f64);
arith_int!(i32, i64, u8, i8, i16, u16, u32, u64);

fn combine<T: ferroflow_framework::TensorElement + UpdateArith>(
    a: &Tensor,
    b: &Tensor,
    subtract: bool,
) -> Result<Tensor> {
    let (x, y) = (a.values::<T>()?, b.values::<T>()?);
    let out: Vec<T> = x.iter().zip(y.iter()).map(|(&p, &q)| if subtract { p.sub(q) } else { p.add(q) }).collect();
    Tensor::from_vec(a.shape().clone(), out)
}

impl OpKernel for AssignUpdateOp {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        let h = handle_input(ctx, 0)?;
        let var = lookup_var(ctx, h)?;
        let value = ctx.input(1);
        let _guard = var.update_lock.lock();
        let old = initialized_value(&var, h)?;
        if old.dtype() != value.dtype() {
            return Err(Error::invalid_argument("DType of variable handle and value does not match."));
        }
        if old.shape() != value.shape() {
            return Err(Error::invalid_argument(format!(
                "Cannot update variable with shape {} using a Tensor with shape {}, shapes must be equal.",
                old.shape(),
                value.shape()
            )));
        }
        let s = self.subtract;
        let new = ferroflow_framework::dispatch!(real, old.dtype(), T => combine::<T>(&old, value, s)?,
            return Err(Error::invalid_argument(format!("Cannot add or subtract {} variables", old.dtype()))));
        var.set(new);
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// VarIsInitializedOp, VariableShape, DestroyResourceOp

struct VarIsInitializedOp;

fn build_is_initialized(init: &KernelInit<'_>) -> Result<Kernel> {
    init.expect_inputs(1)?;
    Ok(Kernel::sync(VarIsInitializedOp, 1))
}

impl OpKernel for VarIsInitializedOp {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        let h = handle_input(ctx, 0)?;
        let initialized = lookup_var(ctx, h).map(|v| v.is_initialized()).unwrap_or(false);
        ctx.set_output(0, Tensor::from_bools(TensorShape::scalar(), vec![initialized])?);
        Ok(())
    }
}

struct VariableShapeOp {
    out_type: DType,
}

fn build_variable_shape(init: &KernelInit<'_>) -> Result<Kernel> {
    init.expect_inputs(1)?;
    let out_type = if init.attrs.has("out_type") {
        init.attrs.get_type_in("out_type", &[DType::Int32, DType::Int64])?
    } else {
        DType::Int32
    };
    Ok(Kernel::sync(VariableShapeOp { out_type }, 1))
}

impl OpKernel for VariableShapeOp {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        let h = handle_input(ctx, 0)?;
        let var = lookup_var(ctx, h)?;
        let value = initialized_value(&var, h)?;
        let dims = value.dims().to_vec();
        let n = dims.len() as i64;
        let out = if self.out_type == DType::Int32 {
            let mut v = Vec::with_capacity(dims.len());
            for &d in &dims {
                v.push(i32::try_from(d).map_err(|_| {
                    Error::invalid_argument(format!("Shape has dimension {d} that doesn't fit in int32"))
                })?);
            }
            Tensor::from_vec(vec![n], v)?
        } else {
            Tensor::from_vec(vec![n], dims)?
        };
        ctx.set_output(0, out);
        Ok(())
    }
}

struct DestroyResourceOp {
    ignore_lookup_error: bool,
}

fn build_destroy(init: &KernelInit<'_>) -> Result<Kernel> {
    init.expect_inputs(1)?;
    let ignore_lookup_error = init.attrs.get_bool_or("ignore_lookup_error", true)?;
    Ok(Kernel::sync(DestroyResourceOp { ignore_lookup_error }, 0))
}

impl OpKernel for DestroyResourceOp {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        let h = handle_input(ctx, 0)?;
        match ctx.step.resources.delete(container_of(h), &h.name) {
            Ok(()) => Ok(()),
            Err(e) if e.code == Code::NotFound => {
                if self.ignore_lookup_error {
                    Ok(())
                } else {
                    Err(Error::not_found(format!("Resource {}/{}/<unknown> does not exist.", container_of(h), h.name)))
                }
            }
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{self, node, tensor_from_json};
    use ferroflow_framework::ResourceMgr;

    fn handle_of(mgr: &Arc<ResourceMgr>, shared_name: &str, dtype: DType) -> Tensor {
        let n = node("VarHandleOp")
            .attr_str("shared_name", shared_name)
            .attr_str("container", "")
            .attr_type("dtype", dtype)
            .attr_unknown_shape("shape");
        testutil::run_with(mgr.clone(), n, vec![]).unwrap().remove(0)
    }

    /// Runs one step of an oracle variable case: its op on a handle made by `VarHandleOp`.
    fn run_step(mgr: &Arc<ResourceMgr>, st: &serde_json::Value) -> Result<Vec<Tensor>> {
        let dtype = testutil::dtype_by_name(st["dtype"].as_str().unwrap());
        let h = handle_of(mgr, st["var"].as_str().unwrap(), dtype);
        let (n, inputs) = match st["op"].as_str().unwrap() {
            "Assign" => (
                node("AssignVariableOp")
                    .attr_type("dtype", dtype)
                    .attr_bool("validate_shape", st["validate_shape"].as_bool().unwrap_or(false)),
                vec![h, tensor_from_json(&st["value"])],
            ),
            "AssignAdd" => {
                (node("AssignAddVariableOp").attr_type("dtype", dtype), vec![h, tensor_from_json(&st["value"])])
            }
            "AssignSub" => {
                (node("AssignSubVariableOp").attr_type("dtype", dtype), vec![h, tensor_from_json(&st["value"])])
            }
            "Read" => (node("ReadVariableOp").attr_type("dtype", dtype), vec![h]),
            "IsInitialized" => (node("VarIsInitializedOp"), vec![h]),
            "Shape" => (
                node("VariableShape").attr_type("out_type", testutil::dtype_by_name(st["out_type"].as_str().unwrap())),
                vec![h],
            ),
            "Destroy" => (
                node("DestroyResourceOp")
                    .attr_bool("ignore_lookup_error", st["ignore_lookup_error"].as_bool().unwrap()),
                vec![h],
            ),
            other => panic!("unknown step op {other}"),
        };
        testutil::run_with(mgr.clone(), n, inputs)
    }

    #[test]
    fn behaves_like_tensorflow() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/training.json")).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        for case in doc["variables"].as_array().unwrap() {
            let name = case["name"].as_str().unwrap();
            let mgr = Arc::new(ResourceMgr::new());
            for (i, st) in case["steps"].as_array().unwrap().iter().enumerate() {
                let what = format!("{name} step {} ({})", i + 1, st["op"]);
                let result = run_step(&mgr, st);
                if let Some(err) = st.get("error") {
                    let e = result.expect_err(&what);
                    assert_eq!(e.code.name(), err["code"].as_str().unwrap(), "{what}: {e}");
                    let msg = e.message.split("\n\t [[").next().unwrap();
                    assert_eq!(msg, err["message"].as_str().unwrap(), "{what}");
                } else if let Some(out) = st.get("output") {
                    let got = result.unwrap_or_else(|e| panic!("{what}: {e}"));
                    testutil::assert_tensor_close(&got[0], &tensor_from_json(out), 0.0, &what);
                } else {
                    result.unwrap_or_else(|e| panic!("{what}: {e}"));
                }
            }
        }
    }

    #[test]
    fn handles_carry_device_container_name_and_type() {
        let mgr = Arc::new(ResourceMgr::new());
        let n = node("VarHandleOp")
            .attr_str("container", "")
            .attr_str("shared_name", "zz")
            .attr_type("dtype", DType::Float)
            .attr_shape("shape", &[2, -1]);
        let t = testutil::run_with(mgr.clone(), n, vec![]).unwrap().remove(0);
        assert_eq!((t.dtype(), t.rank()), (DType::Resource, 0));
        let h = &t.resource_handles().unwrap()[0];
        assert_eq!(h.device, "/job:localhost/replica:0/task:0/device:CPU:0");
        assert_eq!((h.container.as_str(), h.name.as_str()), ("localhost", "zz"));
        assert_eq!((h.maybe_type_name.as_str(), h.hash_code), (VAR_TYPE_NAME, VAR_HASH_CODE));
        assert_eq!(h.dtypes_and_shapes, vec![(DType::Float, Some(TensorShape::new(vec![2, -1])))]);
        let n = node("VarHandleOp")
            .attr_str("container", "c")
            .attr_str("shared_name", "zz")
            .attr_type("dtype", DType::Int64)
            .attr_unknown_shape("shape");
        let t = testutil::run_with(mgr, n, vec![]).unwrap().remove(0);
        let h = &t.resource_handles().unwrap()[0];
        assert_eq!((h.container.as_str(), h.dtypes_and_shapes[0].1.clone()), ("c", None));
    }

    #[test]
    fn empty_shared_names_share_one_variable_as_in_tensorflow() {
        // TF 2.21 keeps an empty shared_name as the resource name: two such nodes share a variable.
        let mgr = Arc::new(ResourceMgr::new());
        let a = testutil::run_with(mgr.clone(), node("VarHandleOp").name("a").attr_type("dtype", DType::Float).attr_unknown_shape("shape"), vec![])
            .unwrap()
            .remove(0);
        let b = testutil::run_with(mgr.clone(), node("VarHandleOp").name("b").attr_type("dtype", DType::Float).attr_unknown_shape("shape"), vec![])
            .unwrap()
            .remove(0);
        assert_eq!(a.resource_handles().unwrap()[0].name, "");
        testutil::run_with(
            mgr.clone(),
            node("AssignVariableOp").attr_type("dtype", DType::Float),
            vec![a, Tensor::scalar(5.0f32)],
        )
        .unwrap();
        let got = testutil::run_with(mgr, node("ReadVariableOp").attr_type("dtype", DType::Float), vec![b]).unwrap();
        assert_eq!(got[0].scalar_value::<f32>().unwrap(), 5.0);
    }

    #[test]
    fn anonymous_handles_are_fresh_each_run() {
        let mgr = Arc::new(ResourceMgr::new());
        let n = || node("VarHandleOp").attr_str("shared_name", ANONYMOUS_NAME).attr_type("dtype", DType::Float).attr_unknown_shape("shape");
        let a = testutil::run_with(mgr.clone(), n(), vec![]).unwrap().remove(0);
        let b = testutil::run_with(mgr, n(), vec![]).unwrap().remove(0);
        let (ha, hb) = (&a.resource_handles().unwrap()[0], &b.resource_handles().unwrap()[0]);
        assert_eq!(ha.container, "Anonymous");
        assert_ne!(ha.name, hb.name);
    }

    #[test]
    fn exact_error_texts() {
        let mgr = Arc::new(ResourceMgr::new());
        let h = handle_of(&mgr, "v", DType::Float);
        let e =
            testutil::run_with(mgr.clone(), node("ReadVariableOp").attr_type("dtype", DType::Float), vec![h.clone()])
                .unwrap_err();
        assert_eq!(e.code, Code::FailedPrecondition);
        assert!(e.message.starts_with(
            "Could not find variable v. This could mean that the variable has been deleted. In TF1, it can also mean the \
             variable is uninitialized. Debug info: container=localhost, status error message=Resource \
             localhost/v/N10tensorflow3VarE does not exist."
        ));
        // A variable created but never assigned reads as missing too.
        mgr.lookup_or_create("localhost", "v", || Var::new(DType::Float)).unwrap();
        let e =
            testutil::run_with(mgr.clone(), node("ReadVariableOp").attr_type("dtype", DType::Float), vec![h.clone()])
                .unwrap_err();
        assert_eq!(e.code, Code::FailedPrecondition);
        let e = testutil::run_with(
            mgr.clone(),
            node("AssignVariableOp").attr_type("dtype", DType::Float),
            vec![h.clone(), Tensor::scalar(1i32)],
        )
        .unwrap_err();
        assert!(
            e.message.starts_with("Variable and value dtypes don't match; respectively, float and int32"),
            "{}",
            e.message
        );
        let e = testutil::run_with(
            mgr.clone(),
            node("ReadVariableOp").attr_type("dtype", DType::Float),
            vec![Tensor::scalar(1.0f32)],
        )
        .unwrap_err();
        assert_eq!(e.code, Code::InvalidArgument);
        let e = testutil::run_with(
            mgr,
            node("AssignVariableOp").attr_type("dtype", DType::Resource),
            vec![h, Tensor::scalar(1.0f32)],
        )
        .unwrap_err();
        assert_eq!(e.code, Code::InvalidArgument);
        let two = vec![Tensor::scalar(0i32), Tensor::scalar(0i32)];
        let e = testutil::run(node("AssignAddVariableOp").attr_type("dtype", DType::Bool), two).unwrap_err();
        assert!(e.message.contains("Value for attr 'dtype' of bool"), "{}", e.message);
    }
}
