//! Row-wise reads and updates of resource variables: `ResourceGather`, the `ResourceScatter*`
//! family (`Add`, `Sub`, `Mul`, `Div`, `Min`, `Max`, `Update`), and the sparse optimizer updates
//! `ResourceSparseApplyAdagrad`, `ResourceSparseApplyAdagradV2` and `ResourceSparseApplyMomentum`,
//! with TF 2.21's checks, messages and float formulas. The ref forms (`ScatterAdd`,
//! `SparseApplyAdagrad`, ...) run these through ref_update.rs.
//!
//! Rows are the slices along the variable's first dimension. Scatters take updates of shape
//! `indices.shape + var.shape[1:]` or a scalar applied to every indexed row; indices are applied
//! in order, so repeated indices accumulate (or, for `Update`, the last wins). The sparse
//! optimizers update only the rows `indices` names, in order.
//!
//! Concurrency: stateless kernels. An update holds the `update_lock` of every variable it writes
//! (taken in address order, each once) from reading the old values until storing the new ones,
//! as the dense training ops do.

use crate::training::{Real, lock_all, update_vars};
use crate::variable::{handle_input, lookup_var};
use ferroflow_framework::{
    Cost, DType, Error, Kernel, KernelInit, OpKernel, OpKernelContext, OpRegistry, Result, Tensor,
};

pub(crate) fn register(reg: &mut OpRegistry) {
    reg.op("ResourceGather")
        .input("resource: resource")
        .input("indices: Tindices")
        .output("output: dtype")
        .attr("batch_dims: int = 0")
        .attr("validate_indices: bool = true")
        .attr("dtype: type")
        .attr("Tindices: {int32, int64}")
        .stateful()
        .cost(Cost::InputElements)
        .kernel(build_gather);
    macro_rules! scatter {
        ($($op:literal => $kind:ident, $types:literal;)*) => {$(
            reg.op($op)
                .input("resource: resource")
                .input("indices: Tindices")
                .input("updates: dtype")
                .attr($types)
                .attr("Tindices: {int32, int64}")
                .stateful()
                .cost(Cost::InputElements)
                .kernel(|init| build_scatter(init, Scatter::$kind));
        )*};
    }
    scatter! {
        "ResourceScatterAdd" => Add, "dtype: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}";
        "ResourceScatterSub" => Sub, "dtype: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}";
        "ResourceScatterMul" => Mul, "dtype: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}";
        "ResourceScatterDiv" => Div, "dtype: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}";
        "ResourceScatterMin" => Min, "dtype: {half, bfloat16, float, double, int32, int64}";
        "ResourceScatterMax" => Max, "dtype: {half, bfloat16, float, double, int32, int64}";
        "ResourceScatterUpdate" => Update, "dtype: type";
    }
    reg.op("ResourceSparseApplyAdagrad")
        .input("var: resource")
        .input("accum: resource")
        .input("lr: T")
        .input("grad: T")
        .input("indices: Tindices")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("Tindices: {int32, int64}")
        .attr("use_locking: bool = false")
        .attr("update_slots: bool = true")
        .stateful()
        .cost(Cost::InputElements)
        .kernel(|init| build_sparse_apply(init, Sparse::Adagrad));
    reg.op("ResourceSparseApplyAdagradV2")
        .input("var: resource")
        .input("accum: resource")
        .input("lr: T")
        .input("epsilon: T")
        .input("grad: T")
        .input("indices: Tindices")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("Tindices: {int32, int64}")
        .attr("use_locking: bool = false")
        .attr("update_slots: bool = true")
        .stateful()
        .cost(Cost::InputElements)
        .kernel(|init| build_sparse_apply(init, Sparse::AdagradV2));
    reg.op("ResourceSparseApplyMomentum")
        .input("var: resource")
        .input("accum: resource")
        .input("lr: T")
        .input("grad: T")
        .input("indices: Tindices")
        .input("momentum: T")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("Tindices: {int32, int64}")
        .attr("use_locking: bool = false")
        .attr("use_nesterov: bool = false")
        .stateful()
        .cost(Cost::InputElements)
        .kernel(|init| build_sparse_apply(init, Sparse::Momentum));
}

// ---------------------------------------------------------------------------------------------
// ResourceGather

struct GatherOp {
    batch_dims: i64,
}

fn build_gather(init: &KernelInit<'_>) -> Result<Kernel> {
    init.expect_inputs(2)?;
    let batch_dims = init.attrs.get_int_or("batch_dims", 0)?;
    Ok(Kernel::sync(GatherOp { batch_dims }, 1))
}

impl OpKernel for GatherOp {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        let h = handle_input(ctx, 0)?;
        let value = lookup_var(ctx, h)?.value().ok_or_else(|| crate::variable::var_not_found(h))?;
        let out = crate::array::gather_along(&value, ctx.input(1), 0, self.batch_dims)?;
        ctx.set_output(0, out);
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// ResourceScatter*

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scatter {
    Add,
    Sub,
    Mul,
    Div,
    Min,
    Max,
    Update,
}

struct ScatterOp {
    kind: Scatter,
}

fn build_scatter(init: &KernelInit<'_>, kind: Scatter) -> Result<Kernel> {
    init.expect_inputs(3)?;
    Ok(Kernel::sync(ScatterOp { kind }, 0))
}

/// The element arithmetic of the scatters (integers wrap; integer division by zero is refused
/// before this runs).
trait ScatterArith: Copy + PartialOrd + ferroflow_framework::TensorElement {
    fn apply(kind: Scatter, old: Self, u: Self) -> Self;
    fn is_zero(self) -> bool;
}

macro_rules! scatter_float {
    ($($t:ty),*) => {$(impl ScatterArith for $t {
        fn apply(kind: Scatter, old: Self, u: Self) -> Self {
            match kind {
                Scatter::Add => old + u,
                Scatter::Sub => old - u,
                Scatter::Mul => old * u,
                Scatter::Div => old / u,
                Scatter::Min => if u < old { u } else { old },
                Scatter::Max => if old < u { u } else { old },
                Scatter::Update => u,
            }
        }
        fn is_zero(self) -> bool { false }
    })*};
}
macro_rules! scatter_int {
    ($($t:ty),*) => {$(impl ScatterArith for $t {
        fn apply(kind: Scatter, old: Self, u: Self) -> Self {
            match kind {
                Scatter::Add => old.wrapping_add(u),
                Scatter::Sub => old.wrapping_sub(u),
                Scatter::Mul => old.wrapping_mul(u),
                Scatter::Div => old.wrapping_div(u),
                Scatter::Min => if u < old { u } else { old },
                Scatter::Max => if old < u { u } else { old },
                Scatter::Update => u,
            }
        }
        fn is_zero(self) -> bool { self == 0 }
    })*};
}
scatter_float!(f32, f64);
scatter_int!(i8, i16, i32, i64, u8, u16, u32, u64);

/// The row indices of an update as usizes, each checked against the variable's first dimension
/// with TF's message.
fn row_indices(indices: &Tensor, limit: i64) -> Result<Vec<usize>> {
    let v = indices.to_i64_vec()?;
    v.iter()
        .enumerate()
        .map(|(i, &r)| {
            if r < 0 || r >= limit {
                Err(Error::invalid_argument(format!("indices[{i}] = {r} is not in [0, {limit})")))
            } else {
                Ok(r as usize)
            }
        })
        .collect()
}

fn scatter_typed<T: ScatterArith>(kind: Scatter, old: &Tensor, indices: &Tensor, updates: &Tensor) -> Result<Tensor> {
    let rows = row_indices(indices, old.dims()[0])?;
    let row_len = old.dims()[1..].iter().product::<i64>() as usize;
    let mut var = old.to_vec::<T>()?;
    let u = updates.values::<T>()?;
    if kind == Scatter::Div && u.iter().any(|v| v.is_zero()) {
        return Err(Error::invalid_argument("updates must not contain 0"));
    }
    for (k, &r) in rows.iter().enumerate() {
        let dst = &mut var[r * row_len..(r + 1) * row_len];
        if u.len() == 1 && updates.rank() == 0 {
            dst.iter_mut().for_each(|d| *d = T::apply(kind, *d, u[0]));
        } else {
            let src = &u[k * row_len..(k + 1) * row_len];
            dst.iter_mut().zip(src).for_each(|(d, &s)| *d = T::apply(kind, *d, s));
        }
    }
    Tensor::from_vec(old.shape().clone(), var)
}

/// `Update` of rows of any element type: row `rows[k]` of `var` becomes row `k` of `updates`
/// (or the scalar update everywhere).
fn replace_rows<E: Clone>(mut var: Vec<E>, rows: &[usize], u: &[E], old: &Tensor, updates: &Tensor) -> Vec<E> {
    let row_len = old.dims()[1..].iter().product::<i64>() as usize;
    for (k, &r) in rows.iter().enumerate() {
        for j in 0..row_len {
            var[r * row_len + j] = if updates.rank() == 0 { u[0].clone() } else { u[k * row_len + j].clone() };
        }
    }
    var
}

impl OpKernel for ScatterOp {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        let h = handle_input(ctx, 0)?;
        let var = lookup_var(ctx, h)?;
        let (indices, updates) = (ctx.input(1), ctx.input(2));
        let _guard = var.update_lock.lock();
        let old = var.value().ok_or_else(|| crate::variable::var_not_found(h))?;
        if old.dtype() != updates.dtype() {
            return Err(Error::invalid_argument(format!(
                "Trying to scatter {} updates into a {} variable",
                updates.dtype(),
                old.dtype()
            )));
        }
        if old.rank() == 0 {
            return Err(Error::invalid_argument("params must be at least 1 dimensional"));
        }
        let mut want = indices.dims().to_vec();
        want.extend_from_slice(&old.dims()[1..]);
        if updates.rank() != 0 && updates.dims() != want.as_slice() {
            return Err(Error::invalid_argument(format!(
                "Must have updates.shape = indices.shape + params.shape[1:] or updates.shape = [], got \
                 updates.shape {}, indices.shape {}, params.shape {}",
                updates.shape(),
                indices.shape(),
                old.shape()
            )));
        }
        let kind = self.kind;
        let new = match old.dtype() {
            DType::String if kind == Scatter::Update => {
                let rows = row_indices(indices, old.dims()[0])?;
                let v = replace_rows(old.strings()?.to_vec(), &rows, updates.strings()?, &old, updates);
                Tensor::from_strings(old.shape().clone(), v)?
            }
            DType::Bool if kind == Scatter::Update => {
                let rows = row_indices(indices, old.dims()[0])?;
                let v = replace_rows(old.bools()?.to_vec(), &rows, &updates.bools()?, &old, updates);
                Tensor::from_bools(old.shape().clone(), v)?
            }
            dt => ferroflow_framework::dispatch!(real, dt, T => scatter_typed::<T>(kind, &old, indices, updates)?,
                return Err(Error::unimplemented(format!("Scatter updates of {dt} variables")))),
        };
        var.set(new);
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// ResourceSparseApply*

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sparse {
    Adagrad,
    AdagradV2,
    Momentum,
}

struct SparseApplyOp {
    algo: Sparse,
    dtype: DType,
    update_slots: bool,
    use_nesterov: bool,
    input_names: Vec<String>,
}

fn build_sparse_apply(init: &KernelInit<'_>, algo: Sparse) -> Result<Kernel> {
    init.expect_inputs(if algo == Sparse::Adagrad { 5 } else { 6 })?;
    let a = &init.attrs;
    let dtype = a.get_type_in("T", &[DType::Float, DType::Double])?;
    a.get_bool_or("use_locking", false)?;
    let update_slots = a.get_bool_or("update_slots", true)?;
    let use_nesterov = a.get_bool_or("use_nesterov", false)?;
    let input_names = init.node.input.clone();
    Ok(Kernel::sync(SparseApplyOp { algo, dtype, update_slots, use_nesterov, input_names }, 0))
}

impl SparseApplyOp {
    /// Input positions of (lr, epsilon or momentum, grad, indices).
    fn positions(&self) -> (usize, Option<usize>, usize, usize) {
        match self.algo {
            Sparse::Adagrad => (2, None, 3, 4),
            Sparse::AdagradV2 => (2, Some(3), 4, 5),
            Sparse::Momentum => (2, Some(5), 3, 4),
        }
    }

    fn update<T: Real>(&self, ctx: &OpKernelContext<'_>, var: &Tensor, accum: &Tensor, rows: &[usize]) -> Result<(Tensor, Tensor)> {
        let (lr_at, extra_at, grad_at, _) = self.positions();
        let lr = ctx.input(lr_at).scalar_value::<T>()?;
        let extra = extra_at.map(|k| ctx.input(k).scalar_value::<T>()).transpose()?;
        let grad = ctx.input(grad_at).values::<T>()?;
        let row_len = var.dims()[1..].iter().product::<i64>() as usize;
        let (mut v, mut a) = (var.to_vec::<T>()?, accum.to_vec::<T>()?);
        for (k, &r) in rows.iter().enumerate() {
            let g = &grad[k * row_len..(k + 1) * row_len];
            let (vr, ar) = (&mut v[r * row_len..(r + 1) * row_len], &mut a[r * row_len..(r + 1) * row_len]);
            for ((w, acc), &g) in vr.iter_mut().zip(ar.iter_mut()).zip(g) {
                match self.algo {
                    Sparse::Adagrad | Sparse::AdagradV2 => {
                        if self.update_slots {
                            *acc = *acc + g * g;
                        }
                        *w = match extra {
                            // V2: lr * g / (sqrt(accum) + epsilon).
                            Some(eps) if self.algo == Sparse::AdagradV2 => *w - lr * g / (acc.sqrt() + eps),
                            // TF's rows of one element divide by the root; longer rows multiply by
                            // its reciprocal.
                            _ if row_len == 1 => *w - lr * g / acc.sqrt(),
                            _ => *w - lr * g * (T::ONE / acc.sqrt()),
                        };
                    }
                    Sparse::Momentum => {
                        let momentum = extra.unwrap_or(T::ONE);
                        *acc = *acc * momentum + g;
                        *w = if self.use_nesterov { *w - (g * lr + *acc * momentum * lr) } else { *w - *acc * lr };
                    }
                }
            }
        }
        Ok((Tensor::from_vec(var.shape().clone(), v)?, Tensor::from_vec(accum.shape().clone(), a)?))
    }
}

impl OpKernel for SparseApplyOp {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        let vars = update_vars(ctx, 2)?;
        let _guards = lock_all(&vars);
        let mut values = Vec::with_capacity(2);
        for (i, v) in vars.iter().enumerate() {
            values.push(v.value().ok_or_else(|| {
                Error::failed_precondition(format!(
                    "Attempting to use uninitialized variables: {}",
                    self.input_names.get(i).map(String::as_str).unwrap_or("")
                ))
            })?);
        }
        let (var, accum) = (&values[0], &values[1]);
        if var.dtype() != self.dtype || accum.dtype() != self.dtype {
            return Err(Error::invalid_argument(format!("Variables hold {} values but the op updates {}", var.dtype(), self.dtype)));
        }
        let (lr_at, extra_at, grad_at, indices_at) = self.positions();
        let (grad, indices) = (ctx.input(grad_at), ctx.input(indices_at));
        if ctx.input(lr_at).rank() != 0 {
            return Err(Error::invalid_argument(format!("lr is not a scalar: {}", ctx.input(lr_at).shape())));
        }
        if var.shape() != accum.shape() {
            return Err(Error::invalid_argument(format!(
                "var and accum do not have the same shape{} {}",
                var.shape(),
                accum.shape()
            )));
        }
        if var.rank() < 1 {
            return Err(Error::invalid_argument("var must be at least 1 dimensional"));
        }
        if indices.rank() != 1 {
            return Err(Error::invalid_argument("indices must be one-dimensional"));
        }
        for d in 1..var.rank() {
            if grad.rank() <= d || var.dims()[d] != grad.dims()[d] {
                return Err(Error::invalid_argument(format!("var and grad must match in dimension {d}")));
            }
        }
        if grad.rank() < 1 || grad.dims()[0] != indices.dims()[0] {
            return Err(Error::invalid_argument("grad must be the same size as indices in the first dimension."));
        }
        if let Some(k) = extra_at {
            if ctx.input(k).rank() != 0 {
                let name = if self.algo == Sparse::Momentum { "momentum" } else { "epsilon" };
                return Err(Error::invalid_argument(format!("{name} is not a scalar: {}", ctx.input(k).shape())));
            }
        }
        let limit = var.dims()[0];
        let rows: Vec<usize> = indices
            .to_i64_vec()?
            .iter()
            .enumerate()
            .map(|(i, &r)| {
                if r < 0 || r >= limit {
                    Err(Error::invalid_argument(format!("Index {r} at offset {i} in indices is out of range")))
                } else {
                    Ok(r as usize)
                }
            })
            .collect::<Result<_>>()?;
        let (new_var, new_accum) = match self.dtype {
            DType::Float => self.update::<f32>(ctx, var, accum, &rows)?,
            _ => self.update::<f64>(ctx, var, accum, &rows)?,
        };
        vars[0].set(new_var);
        vars[1].set(new_accum);
        Ok(())
    }
}
