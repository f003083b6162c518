//! Reference variables (TF 1's `tf.Variable` without resource variables): `VariableV2` and
//! `Variable` give a reference (`Ref(dtype)`) to a variable kept in the step's `ResourceMgr` as
//! TF's `LegacyVar` (by `container` and `shared_name`, the node's name when empty); `Assign`
//! replaces its value, `IsVariableInitialized` asks whether it has one, `CountUpTo` counts it up
//! to a limit; `TemporaryVariable` makes a variable of the step only (kept alive by the references
//! to it), `DestroyTemporaryVariable` gives its value and lets it go. Updates of a referenced
//! variable by the other ops (`AssignAdd`, `Scatter*`, `Apply*`) are in [`crate::ref_update`].
//!
//! A reference to an uninitialized variable reaches only the ops that allow one (`Assign`,
//! `IsVariableInitialized`): the executor refuses it for every other op with TF's
//! "Attempting to use uninitialized value" error.
//!
//! Concurrency: kernels are stateless; an update holds the variable's `update_lock` from reading
//! the old value to storing the new one, so it is ordered with the other updates.

use crate::array::kernel;
use ferroflow_framework::resource::DEFAULT_CONTAINER;
use ferroflow_framework::{
    Cost, DType, Error, Kernel, KernelInit, LegacyVar, OpKernel, OpKernelContext, OpRegistry, Result, Tensor, TensorShape, Var,
};
use std::sync::Arc;

pub(crate) fn register(reg: &mut OpRegistry) {
    for name in ["VariableV2", "Variable"] {
        reg.op(name)
            .output("ref: Ref(dtype)")
            .attr("shape: shape")
            .attr("dtype: type")
            .attr("container: string = ''")
            .attr("shared_name: string = ''")
            .stateful()
            .cost(Cost::Trivial)
            .kernel(build_variable);
    }
    reg.op("TemporaryVariable")
        .output("ref: Ref(dtype)")
        .attr("shape: shape")
        .attr("dtype: type")
        .attr("var_name: string = ''")
        .stateful()
        .kernel(build_temporary_variable);
    reg.op("DestroyTemporaryVariable")
        .input("ref: Ref(T)")
        .output("value: T")
        .attr("T: type")
        .attr("var_name: string")
        .cost(Cost::Trivial)
        .kernel(|init| {
            if init.attrs.get_string("var_name")?.is_empty() {
                return Err(Error::invalid_argument("Missing var_name attribute"));
            }
            Ok(kernel(1, |ctx| {
                let var = ctx.input_ref(0)?;
                let value = var.value().ok_or_else(|| Error::internal("temporary variable has no value"))?;
                ctx.set_output(0, value);
                Ok(())
            }))
        });
    reg.op("Assign")
        .input("ref: Ref(T)")
        .input("value: T")
        .output("output_ref: Ref(T)")
        .attr("T: type")
        .attr("validate_shape: bool = true")
        .attr("use_locking: bool = true")
        .allows_uninitialized_input()
        .cost(Cost::Trivial)
        .kernel(build_assign);
    reg.op("IsVariableInitialized")
        .input("ref: Ref(dtype)")
        .output("is_initialized: bool")
        .attr("dtype: type")
        .allows_uninitialized_input()
        .cost(Cost::Trivial)
        .kernel(|_| {
            Ok(kernel(1, |ctx| {
                let initialized = ctx.input_ref(0)?.is_initialized();
                ctx.set_output(0, Tensor::from_bools(TensorShape::scalar(), vec![initialized])?);
                Ok(())
            }))
        });
    reg.op("CountUpTo")
        .input("ref: Ref(T)")
        .output("output: T")
        .attr("limit: int")
        .attr("T: {int32, int64}")
        .cost(Cost::Trivial)
        .kernel(build_count_up_to);
}

// ---------------------------------------------------------------------------------------------
// VariableV2, Variable

/// Gives the reference to the variable named by `container` and `shared_name`, created (without a
/// value) on first use.
struct VariableOp {
    container: String,
    name: String,
    dtype: DType,
}

fn build_variable(init: &KernelInit<'_>) -> Result<Kernel> {
    init.expect_inputs(0)?;
    let a = &init.attrs;
    let container = a.get_string_or("container", "")?;
    let shared_name = a.get_string_or("shared_name", "")?;
    Ok(Kernel::sync(
        VariableOp {
            container: if container.is_empty() { DEFAULT_CONTAINER.to_string() } else { container },
            name: if shared_name.is_empty() { init.node.name.clone() } else { shared_name },
            dtype: a.get_type("dtype")?,
        },
        1,
    ))
}

impl OpKernel for VariableOp {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        let dtype = self.dtype;
        let legacy =
            ctx.step.resources.lookup_or_create::<LegacyVar>(&self.container, &self.name, || LegacyVar(Arc::new(Var::new(dtype))))?;
        if legacy.0.dtype() != dtype {
            return Err(Error::invalid_argument(format!(
                "Trying to share variable {}/{} of type {} as {}",
                self.container,
                self.name,
                legacy.0.dtype(),
                dtype
            )));
        }
        ctx.set_output_ref(0, legacy.0.clone());
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// TemporaryVariable

/// A fresh variable of this step holding a zeroed tensor of `shape`.
struct TemporaryVariableOp {
    shape: TensorShape,
    dtype: DType,
}

fn build_temporary_variable(init: &KernelInit<'_>) -> Result<Kernel> {
    init.expect_inputs(0)?;
    let a = &init.attrs;
    let dtype = a.get_type("dtype")?;
    let dims = a.get_shape("shape")?.unwrap_or_default();
    if dims.iter().any(|&d| d < 0) || a.get_shape("shape")?.is_none() {
        return Err(Error::invalid_argument(format!("TemporaryVariable {} needs a fully defined shape", init.node.name)));
    }
    if dtype.size().is_none() {
        return Err(Error::unimplemented(format!("TemporaryVariable of {dtype} is not supported by ferroflow")));
    }
    Ok(Kernel::sync(TemporaryVariableOp { shape: TensorShape::new(dims), dtype }, 1))
}

impl OpKernel for TemporaryVariableOp {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        let value = ferroflow_framework::dispatch!(real, self.dtype, T => ctx.allocate::<T>(self.shape.clone())?.into_tensor(),
            if self.dtype == DType::Bool {
                let n = self.shape.num_elements();
                let mut flags = Vec::new();
                flags.try_reserve_exact(n).map_err(|_| Error::resource_exhausted("OOM allocating a temporary variable"))?;
                flags.resize(n, false);
                Tensor::from_bools(self.shape.clone(), flags)?
            } else {
                return Err(Error::unimplemented(format!("TemporaryVariable of {} is not supported by ferroflow", self.dtype)));
            });
        let var = Arc::new(Var::new(self.dtype));
        var.set(value);
        ctx.set_output_ref(0, var);
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Assign

struct AssignOp {
    validate_shape: bool,
}

fn build_assign(init: &KernelInit<'_>) -> Result<Kernel> {
    init.expect_inputs(2)?;
    init.attrs.get_bool_or("use_locking", true)?;
    Ok(Kernel::sync(AssignOp { validate_shape: init.attrs.get_bool_or("validate_shape", true)? }, 1))
}

impl OpKernel for AssignOp {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        let var = ctx.input_ref(0)?;
        let value = ctx.input(1);
        if value.dtype() != var.dtype() {
            return Err(Error::invalid_argument(format!("Assign of a {} value to a {} variable", value.dtype(), var.dtype())));
        }
        {
            let _guard = var.update_lock.lock();
            if self.validate_shape
                && let Some(old) = var.value()
                && old.shape() != value.shape()
            {
                return Err(Error::invalid_argument(format!(
                    "Assign requires shapes of both tensors to match. lhs shape= {} rhs shape= {}",
                    old.shape(),
                    value.shape()
                )));
            }
            var.set(value.clone());
        }
        ctx.set_output_ref(0, var.clone());
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// CountUpTo

struct CountUpToOp {
    limit: i64,
}

fn build_count_up_to(init: &KernelInit<'_>) -> Result<Kernel> {
    init.expect_inputs(1)?;
    Ok(Kernel::sync(CountUpToOp { limit: init.attrs.get_int("limit")? }, 1))
}

impl OpKernel for CountUpToOp {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        let var = ctx.input_ref(0)?;
        let _guard = var.update_lock.lock();
        let value = var.value().ok_or_else(|| Error::internal("CountUpTo ran on an uninitialized variable"))?;
        if value.rank() != 0 {
            return Err(Error::invalid_argument(format!("input is not a scalar: {}", value.shape())));
        }
        let (before, next) = match value.dtype() {
            DType::Int32 => {
                let v = value.scalar_value::<i32>()?;
                if i64::from(v) >= self.limit {
                    return Err(Error::out_of_range(format!("Reached limit of {}", self.limit)));
                }
                (Tensor::scalar(v), Tensor::scalar(v + 1))
            }
            _ => {
                let v = value.scalar_value::<i64>()?;
                if v >= self.limit {
                    return Err(Error::out_of_range(format!("Reached limit of {}", self.limit)));
                }
                (Tensor::scalar(v), Tensor::scalar(v + 1))
            }
        };
        var.set(next);
        ctx.set_output(0, before);
        Ok(())
    }
}
