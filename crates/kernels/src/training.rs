//! Dense optimizer updates on resource variables: `ResourceApplyGradientDescent`, `ResourceApplyAdam`,
//! `ResourceApplyMomentum`, `ResourceApplyAdagrad`, `ResourceApplyRMSProp` and
//! `ResourceApplyAdamWithAmsgrad`, `ResourceApplyAdadelta`, `ResourceApplyProximalGradientDescent`,
//! `ResourceApplyProximalAdagrad`, `ResourceApplyCenteredRMSProp`, `ResourceApplyFtrl` and
//! `ResourceApplyFtrlV2`, with TensorFlow's update formulas (same order of float
//! operations as its CPU functors), checks and error messages.
//!
//! Concurrency: kernels are stateless. A run looks up every variable it updates, then holds all
//! their `update_lock`s (taken in address order, each once, so overlapping runs cannot deadlock)
//! from reading the old values until the new tensors are stored. The lock is taken whatever
//! `use_locking` says: TF leaves the unlocked case undefined, and with immutable tensors an unlocked
//! read-modify-write could silently drop a concurrent update.

use crate::variable::{handle_input, lookup_var};
use ferroflow_framework::{Cost, 
    Code, DType, Error, Kernel, KernelInit, OpRegistry, OpKernel, OpKernelContext, Result, Tensor, TensorElement,
    Var,
};
use std::ops::{Add, Div, Mul, Sub};
use std::sync::Arc;

pub(crate) fn register(reg: &mut OpRegistry) {
    reg.op("ResourceApplyGradientDescent")
        .input("var: resource")
        .input("alpha: T")
        .input("delta: T")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("use_locking: bool = false")
        .stateful()
        .cost(Cost::InputElements)
        .kernel(|init| build(init, Algo::GradientDescent));
    reg.op("ResourceApplyAdam")
        .input("var: resource")
        .input("m: resource")
        .input("v: resource")
        .input("beta1_power: T")
        .input("beta2_power: T")
        .input("lr: T")
        .input("beta1: T")
        .input("beta2: T")
        .input("epsilon: T")
        .input("grad: T")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("use_locking: bool = false")
        .attr("use_nesterov: bool = false")
        .stateful()
        .cost(Cost::InputElements)
        .kernel(|init| build(init, Algo::Adam));
    reg.op("ResourceApplyMomentum")
        .input("var: resource")
        .input("accum: resource")
        .input("lr: T")
        .input("grad: T")
        .input("momentum: T")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("use_locking: bool = false")
        .attr("use_nesterov: bool = false")
        .stateful()
        .cost(Cost::InputElements)
        .kernel(|init| build(init, Algo::Momentum));
    reg.op("ResourceApplyAdagrad")
        .input("var: resource")
        .input("accum: resource")
        .input("lr: T")
        .input("grad: T")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("use_locking: bool = false")
        .attr("update_slots: bool = true")
        .stateful()
        .cost(Cost::InputElements)
        .kernel(|init| build(init, Algo::Adagrad));
    reg.op("ResourceApplyRMSProp")
        .input("var: resource")
        .input("ms: resource")
        .input("mom: resource")
        .input("lr: T")
        .input("rho: T")
        .input("momentum: T")
        .input("epsilon: T")
        .input("grad: T")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("use_locking: bool = false")
        .stateful()
        .cost(Cost::InputElements)
        .kernel(|init| build(init, Algo::RmsProp));
    reg.op("ResourceApplyAdamWithAmsgrad")
        .input("var: resource")
        .input("m: resource")
        .input("v: resource")
        .input("vhat: resource")
        .input("beta1_power: T")
        .input("beta2_power: T")
        .input("lr: T")
        .input("beta1: T")
        .input("beta2: T")
        .input("epsilon: T")
        .input("grad: T")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("use_locking: bool = false")
        .stateful()
        .cost(Cost::InputElements)
        .kernel(|init| build(init, Algo::AdamWithAmsgrad));
    register_more(reg);
}

/// The optimizers of `tf.compat.v1.train` beyond the common ones.
fn register_more(reg: &mut OpRegistry) {
    const T: &str = "T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}";
    fn with_inputs<'r>(name: &'static str, inputs: &[&'static str], reg: &'r mut OpRegistry) -> ferroflow_framework::op_def::OpBuilder<'r> {
        let mut op = reg.op(name);
        for &i in inputs {
            op = op.input(i);
        }
        op.attr(T).attr("use_locking: bool = false").stateful().cost(Cost::InputElements)
    }
    with_inputs("ResourceApplyAdadelta", &["var: resource", "accum: resource", "accum_update: resource", "lr: T", "rho: T", "epsilon: T", "grad: T"], reg)
        .kernel(|init| build(init, Algo::Adadelta));
    with_inputs("ResourceApplyProximalGradientDescent", &["var: resource", "alpha: T", "l1: T", "l2: T", "delta: T"], reg)
        .kernel(|init| build(init, Algo::ProximalGradientDescent));
    with_inputs("ResourceApplyProximalAdagrad", &["var: resource", "accum: resource", "lr: T", "l1: T", "l2: T", "grad: T"], reg)
        .kernel(|init| build(init, Algo::ProximalAdagrad));
    with_inputs(
        "ResourceApplyCenteredRMSProp",
        &["var: resource", "mg: resource", "ms: resource", "mom: resource", "lr: T", "rho: T", "momentum: T", "epsilon: T", "grad: T"],
        reg,
    )
    .kernel(|init| build(init, Algo::CenteredRmsProp));
    with_inputs("ResourceApplyFtrl", &["var: resource", "accum: resource", "linear: resource", "grad: T", "lr: T", "l1: T", "l2: T", "lr_power: T"], reg)
        .attr("multiply_linear_by_lr: bool = false")
        .kernel(|init| build(init, Algo::Ftrl));
    with_inputs(
        "ResourceApplyFtrlV2",
        &["var: resource", "accum: resource", "linear: resource", "grad: T", "lr: T", "l1: T", "l2: T", "l2_shrinkage: T", "lr_power: T"],
        reg,
    )
    .attr("multiply_linear_by_lr: bool = false")
    .kernel(|init| build(init, Algo::FtrlV2));
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Algo {
    GradientDescent,
    Adam,
    Momentum,
    Adagrad,
    RmsProp,
    AdamWithAmsgrad,
    Adadelta,
    ProximalGradientDescent,
    ProximalAdagrad,
    CenteredRmsProp,
    Ftrl,
    FtrlV2,
}

/// Where an op's inputs are: its variables come first, then these.
struct Layout {
    /// Names of the variable inputs (TF's input names, used in shape messages).
    slots: &'static [&'static str],
    /// Scalar inputs in the order TF checks them: (input index, message prefix).
    scalars: &'static [(usize, &'static str)],
    /// Index and name of the gradient input.
    grad: (usize, &'static str),
    /// True when TF checks the scalars after the shapes (momentum's `momentum`).
    late_scalars: &'static [(usize, &'static str)],
}

impl Algo {
    fn layout(self) -> Layout {
        const ADAM_SCALARS: [(usize, &str); 6] = [
            (0, "beta1_power is not a scalar: "),
            (1, "beta2_power is not a scalar: "),
            (2, "lr is not a scalar : "),
            (3, "beta1 is not a scalar: "),
            (4, "beta2 is not a scalar: "),
            (5, "epsilon is not a scalar: "),
        ];
        const FTRL_SCALARS: [(usize, &str); 4] = [
            (1, "lr is not a scalar: "),
            (2, "l1 regularization strength is not a scalar: "),
            (3, "l2 regularization strength is not a scalar: "),
            (4, "lr_power is not a scalar: "),
        ];
        const FTRL_V2_SCALARS: [(usize, &str); 5] = [
            (1, "lr is not a scalar: "),
            (2, "l1 regularization strength is not a scalar: "),
            (3, "l2 regularization strength is not a scalar: "),
            (4, "l2 shrinkage regularization strength is not a scalar: "),
            (5, "lr_power is not a scalar: "),
        ];
        // Scalar indices below are relative to the first non-variable input.
        match self {
            Algo::GradientDescent => Layout {
                slots: &["var"],
                scalars: &[(0, "alpha is not a scalar: ")],
                grad: (1, "delta"),
                late_scalars: &[],
            },
            Algo::Adam => {
                Layout { slots: &["var", "m", "v"], scalars: &ADAM_SCALARS, grad: (6, "grad"), late_scalars: &[] }
            }
            Algo::AdamWithAmsgrad => Layout {
                slots: &["var", "m", "v", "vhat"],
                scalars: &ADAM_SCALARS,
                grad: (6, "grad"),
                late_scalars: &[],
            },
            Algo::Momentum => Layout {
                slots: &["var", "accum"],
                scalars: &[(0, "lr is not a scalar: ")],
                grad: (1, "grad"),
                late_scalars: &[(2, "momentum is not a scalar: ")],
            },
            Algo::Adagrad => Layout {
                slots: &["var", "accum"],
                scalars: &[(0, "lr is not a scalar: ")],
                grad: (1, "grad"),
                late_scalars: &[],
            },
            Algo::Adadelta => Layout {
                slots: &["var", "accum", "accum_update"],
                scalars: &[(0, "lr is not a scalar: "), (1, "rho is not a scalar: "), (2, "epsilon is not a scalar: ")],
                grad: (3, "grad"),
                late_scalars: &[],
            },
            Algo::ProximalGradientDescent => Layout {
                slots: &["var"],
                scalars: &[
                    (0, "alpha is not a scalar: "),
                    (1, "l1 regularization strength is not a scalar: "),
                    (2, "l2 regularization strength is not a scalar: "),
                ],
                grad: (3, "delta"),
                late_scalars: &[],
            },
            Algo::ProximalAdagrad => Layout {
                slots: &["var", "accum"],
                scalars: &[
                    (0, "lr is not a positive scalar: "),
                    (1, "l1 regularization strength is not a non-negative scalar: "),
                    (2, "l2 regularization strength is not a non-negative scalar: "),
                ],
                grad: (3, "grad"),
                late_scalars: &[],
            },
            Algo::CenteredRmsProp => Layout {
                slots: &["var", "mg", "ms", "mom"],
                scalars: &[
                    (0, "lr is not a scalar: "),
                    (1, "rho is not a scalar: "),
                    (2, "momentum is not a scalar: "),
                    (3, "epsilon is not a scalar: "),
                ],
                grad: (4, "grad"),
                late_scalars: &[],
            },
            Algo::Ftrl | Algo::FtrlV2 => Layout {
                slots: &["var", "accum", "linear"],
                scalars: if self == Algo::Ftrl { &FTRL_SCALARS[..4] } else { &FTRL_V2_SCALARS },
                grad: (0, "grad"),
                late_scalars: &[],
            },
            Algo::RmsProp => Layout {
                slots: &["var", "ms", "mom"],
                scalars: &[
                    (0, "lr is not a scalar : "),
                    (1, "rho is not a scalar: "),
                    (2, "momentum is not a scalar: "),
                    (3, "epsilon is not a scalar: "),
                ],
                grad: (4, "grad"),
                late_scalars: &[],
            },
        }
    }

    fn num_inputs(self) -> usize {
        let l = self.layout();
        l.slots.len() + l.scalars.len() + l.late_scalars.len() + 1
    }
}

struct ApplyOp {
    algo: Algo,
    dtype: DType,
    use_nesterov: bool,
    update_slots: bool,
    /// The node's input names, for TF's "uninitialized variables" message.
    input_names: Vec<String>,
}

fn build(init: &KernelInit<'_>, algo: Algo) -> Result<Kernel> {
    init.expect_inputs(algo.num_inputs())?;
    let a = &init.attrs;
    let dtype = a.get_type_in("T", &[DType::Float, DType::Double])?;
    a.get_bool_or("use_locking", false)?;
    let use_nesterov =
        if matches!(algo, Algo::Adam | Algo::Momentum) { a.get_bool_or("use_nesterov", false)? } else { false };
    let update_slots = if algo == Algo::Adagrad { a.get_bool_or("update_slots", true)? } else { true };
    let input_names = init.node.input.clone();
    Ok(Kernel::sync(ApplyOp { algo, dtype, use_nesterov, update_slots, input_names }, 0))
}

/// The variables of an update's first `n` inputs. Like TF, every variable is looked up before
/// anything else; a missing one is INTERNAL.
pub(crate) fn update_vars(ctx: &OpKernelContext<'_>, n: usize) -> Result<Vec<Arc<Var>>> {
    (0..n)
        .map(|i| {
            let h = handle_input(ctx, i)?;
            lookup_var(ctx, h)
                .map_err(|e| if e.code == Code::NotFound { Error::internal("Invalid variable reference.") } else { e })
        })
        .collect()
}

/// Holds the `update_lock` of every variable in `vars`, each once, taken in address order so
/// overlapping updates cannot deadlock.
pub(crate) fn lock_all(vars: &[Arc<Var>]) -> Vec<parking_lot::MutexGuard<'_, ()>> {
    let mut order: Vec<&Arc<Var>> = vars.iter().collect();
    order.sort_by_key(|v| Arc::as_ptr(v) as usize);
    order.dedup_by_key(|v| Arc::as_ptr(v) as usize);
    order.iter().map(|v| v.update_lock.lock()).collect()
}

/// The float arithmetic the updates need.
pub(crate) trait Real:
    TensorElement + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self> + PartialOrd
{
    const ONE: Self;
    const ZERO: Self;
    fn sqrt(self) -> Self;
    fn abs(self) -> Self;
    fn powf(self, e: Self) -> Self;
    fn from_f64(v: f64) -> Self;
    /// Eigen's `sign`: -1, 0 or 1.
    fn sign(self) -> Self {
        if self > Self::ZERO {
            Self::ONE
        } else if self < Self::ZERO {
            Self::ZERO - Self::ONE
        } else {
            Self::ZERO
        }
    }
}

macro_rules! real {
    ($t:ty) => {
        impl Real for $t {
            const ONE: $t = 1.0;
            const ZERO: $t = 0.0;
            fn sqrt(self) -> $t {
                <$t>::sqrt(self)
            }
            fn abs(self) -> $t {
                <$t>::abs(self)
            }
            fn powf(self, e: $t) -> $t {
                <$t>::powf(self, e)
            }
            fn from_f64(v: f64) -> $t {
                v as $t
            }
        }
    };
}
real!(f32);
real!(f64);

/// The proximal step of TF's proximal optimizers: soft-thresholds `prox` by `threshold` when
/// `l1 > 0`, then scales by `1 / denom`.
fn shrink<T: Real>(prox: T, threshold: T, l1: T, denom: T) -> T {
    if l1 > T::ZERO { prox.sign() * max(prox.abs() - threshold, T::ZERO) / denom } else { prox / denom }
}

/// Eigen's `cwiseMax` (`std::max`): the first operand unless it is smaller than the second.
fn max<T: Real>(a: T, b: T) -> T {
    if a < b { b } else { a }
}

impl OpKernel for ApplyOp {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        let layout = self.algo.layout();
        let n_slots = layout.slots.len();

        let vars = update_vars(ctx, n_slots)?;
        let _guards = lock_all(&vars);

        let mut values = Vec::with_capacity(n_slots);
        for (i, var) in vars.iter().enumerate() {
            let value = var.value().ok_or_else(|| {
                // TF names the third input for an uninitialized `vhat` too.
                let input = if self.algo == Algo::AdamWithAmsgrad && i == 3 { 2 } else { i };
                Error::failed_precondition(format!(
                    "Attempting to use uninitialized variables: {}",
                    self.input_names.get(input).map(String::as_str).unwrap_or("")
                ))
            })?;
            if value.dtype() != self.dtype {
                return Err(Error::invalid_argument(format!(
                    "Variable {} holds {} values but the op updates {} values",
                    layout.slots[i],
                    value.dtype(),
                    self.dtype
                )));
            }
            values.push(value);
        }

        let arg = |k: usize| ctx.input(n_slots + k);
        let check_scalars = |list: &[(usize, &str)]| -> Result<()> {
            for &(k, msg) in list {
                if arg(k).rank() != 0 {
                    return Err(Error::invalid_argument(format!("{msg}{}", arg(k).shape())));
                }
            }
            Ok(())
        };
        check_scalars(layout.scalars)?;
        let var_shape = values[0].shape().clone();
        let same_shape = |what: &str, t: &Tensor| -> Result<()> {
            if t.shape() != &var_shape {
                return Err(Error::invalid_argument(format!(
                    "var and {what} do not have the same shape{var_shape} {}",
                    t.shape()
                )));
            }
            Ok(())
        };
        // TF checks every slot but `vhat` (which it never compares); we check it last so a
        // mismatched `vhat` is refused rather than misread.
        let checked_slots = if self.algo == Algo::AdamWithAmsgrad { 3 } else { n_slots };
        let slot_values = || layout.slots.iter().zip(values.iter());
        for (slot, value) in slot_values().take(checked_slots).skip(1) {
            // TF's centered RMSProp prints `ms`'s shape in its message about `mg`.
            if self.algo == Algo::CenteredRmsProp && *slot == "mg" && value.shape() != &var_shape {
                return Err(Error::invalid_argument(format!(
                    "var and mg do not have the same shape{var_shape} {}",
                    values[2].shape()
                )));
            }
            same_shape(slot, value)?;
        }
        same_shape(layout.grad.1, arg(layout.grad.0))?;
        check_scalars(layout.late_scalars)?;
        for (slot, value) in slot_values().skip(checked_slots) {
            same_shape(slot, value)?;
        }

        let inputs: Vec<&Tensor> = (0..ctx.num_inputs() - n_slots).map(arg).collect();
        match self.dtype {
            DType::Float => self.store(&vars, &values, self.update::<f32>(&values, &inputs)?),
            _ => self.store(&vars, &values, self.update::<f64>(&values, &inputs)?),
        }
    }
}

impl ApplyOp {
    /// Replaces each updated variable's tensor (called with all update locks held).
    fn store<T: Real>(&self, vars: &[Arc<Var>], old: &[Tensor], new: Vec<Option<Vec<T>>>) -> Result<()> {
        for ((var, slot), v) in vars.iter().zip(old).zip(new) {
            if let Some(v) = v {
                var.set(Tensor::from_vec(slot.shape().clone(), v)?);
            }
        }
        Ok(())
    }

    /// New contents for each variable (`None`: left as is), from the old ones and the other inputs.
    fn update<T: Real>(&self, slots: &[Tensor], args: &[&Tensor]) -> Result<Vec<Option<Vec<T>>>> {
        let scalar = |k: usize| args[k].scalar_value::<T>();
        let layout = self.algo.layout();
        let grad = args[layout.grad.0].values::<T>()?;
        let mut var = slots[0].to_vec::<T>()?;
        let one = T::ONE;
        Ok(match self.algo {
            Algo::GradientDescent => {
                let lr = scalar(0)?;
                for (w, &g) in var.iter_mut().zip(grad.iter()) {
                    *w = *w - g * lr;
                }
                vec![Some(var)]
            }
            Algo::Adam | Algo::AdamWithAmsgrad => {
                let (b1_power, b2_power, lr) = (scalar(0)?, scalar(1)?, scalar(2)?);
                let (b1, b2, eps) = (scalar(3)?, scalar(4)?, scalar(5)?);
                let alpha = lr * (one - b2_power).sqrt() / (one - b1_power);
                let mut m = slots[1].to_vec::<T>()?;
                let mut v = slots[2].to_vec::<T>()?;
                let mut vhat = if self.algo == Algo::AdamWithAmsgrad { Some(slots[3].to_vec::<T>()?) } else { None };
                for i in 0..var.len() {
                    let g = grad[i];
                    m[i] = m[i] + (g - m[i]) * (one - b1);
                    v[i] = v[i] + (g * g - v[i]) * (one - b2);
                    let denom_base = match vhat.as_mut() {
                        Some(vh) => {
                            vh[i] = max(vh[i], v[i]);
                            vh[i]
                        }
                        None => v[i],
                    };
                    let step = if self.use_nesterov { (g * (one - b1) + b1 * m[i]) * alpha } else { m[i] * alpha };
                    var[i] = var[i] - step / (denom_base.sqrt() + eps);
                }
                vec![Some(var), Some(m), Some(v), vhat]
            }
            Algo::Momentum => {
                let (lr, momentum) = (scalar(0)?, scalar(2)?);
                let mut accum = slots[1].to_vec::<T>()?;
                for i in 0..var.len() {
                    let g = grad[i];
                    accum[i] = accum[i] * momentum + g;
                    var[i] = if self.use_nesterov {
                        var[i] - (g * lr + accum[i] * momentum * lr)
                    } else {
                        var[i] - accum[i] * lr
                    };
                }
                vec![Some(var), Some(accum)]
            }
            Algo::Adagrad => {
                let lr = scalar(0)?;
                let mut accum = slots[1].to_vec::<T>()?;
                for i in 0..var.len() {
                    let g = grad[i];
                    if self.update_slots {
                        accum[i] = accum[i] + g * g;
                    }
                    var[i] = var[i] - g * lr * (one / accum[i].sqrt());
                }
                vec![Some(var), self.update_slots.then_some(accum)]
            }
            Algo::Adadelta => {
                let (lr, rho, eps) = (scalar(0)?, scalar(1)?, scalar(2)?);
                let (mut accum, mut accum_update) = (slots[1].to_vec::<T>()?, slots[2].to_vec::<T>()?);
                for i in 0..var.len() {
                    let g = grad[i];
                    accum[i] = accum[i] * rho + g * g * (one - rho);
                    let update = (accum_update[i] + eps).sqrt() * (one / (accum[i] + eps).sqrt()) * g;
                    var[i] = var[i] - update * lr;
                    accum_update[i] = accum_update[i] * rho + update * update * (one - rho);
                }
                vec![Some(var), Some(accum), Some(accum_update)]
            }
            Algo::ProximalGradientDescent => {
                let (lr, l1, l2) = (scalar(0)?, scalar(1)?, scalar(2)?);
                for (w, &g) in var.iter_mut().zip(grad.iter()) {
                    *w = shrink(*w - g * lr, lr * l1, l1, one + l2 * lr);
                }
                vec![Some(var)]
            }
            Algo::ProximalAdagrad => {
                let (lr, l1, l2) = (scalar(0)?, scalar(1)?, scalar(2)?);
                let zero = T::ZERO;
                if !(lr > zero) {
                    return Err(Error::invalid_argument("lr is not a positive scalar: []"));
                }
                if l1 < zero {
                    return Err(Error::invalid_argument("l1 regularization strength is not a non-negative scalar: []"));
                }
                if l2 < zero {
                    return Err(Error::invalid_argument("l2 regularization strength is not a non-negative scalar: []"));
                }
                let mut accum = slots[1].to_vec::<T>()?;
                for i in 0..var.len() {
                    let g = grad[i];
                    accum[i] = accum[i] + g * g;
                    let rate = (one / accum[i].sqrt()) * lr;
                    var[i] = shrink(var[i] - g * rate, rate * l1, l1, one + l2 * rate);
                }
                vec![Some(var), Some(accum)]
            }
            Algo::CenteredRmsProp => {
                let (lr, rho, momentum, eps) = (scalar(0)?, scalar(1)?, scalar(2)?, scalar(3)?);
                let (mut mg, mut ms, mut mom) = (slots[1].to_vec::<T>()?, slots[2].to_vec::<T>()?, slots[3].to_vec::<T>()?);
                for i in 0..var.len() {
                    let g = grad[i];
                    ms[i] = ms[i] + (g * g - ms[i]) * (one - rho);
                    mg[i] = mg[i] + (g - mg[i]) * (one - rho);
                    let denom = (ms[i] - mg[i] * mg[i]) + eps;
                    mom[i] = mom[i] * momentum + (g * lr) / denom.sqrt();
                    var[i] = var[i] - mom[i];
                }
                vec![Some(var), Some(mg), Some(ms), Some(mom)]
            }
            Algo::Ftrl | Algo::FtrlV2 => {
                let v2 = self.algo == Algo::FtrlV2;
                let (lr, l1, l2) = (scalar(1)?, scalar(2)?, scalar(3)?);
                let shrinkage = if v2 { scalar(4)? } else { T::ZERO };
                let lr_power = scalar(if v2 { 5 } else { 4 })?;
                let (mut accum, mut linear) = (slots[1].to_vec::<T>()?, slots[2].to_vec::<T>()?);
                let two = T::from_f64(2.0);
                let sqrt_power = lr_power == T::from_f64(-0.5);
                let power = |x: T| if sqrt_power { x.sqrt() } else { x.powf(T::ZERO - lr_power) };
                for i in 0..var.len() {
                    let g = grad[i];
                    let g_shrunk = if v2 { g + two * shrinkage * var[i] } else { g };
                    let new_accum = accum[i] + g * g;
                    linear[i] = linear[i] + (g_shrunk - (power(new_accum) - power(accum[i])) / lr * var[i]);
                    let x = l1 * linear[i].sign() - linear[i];
                    let y = power(new_accum) / lr + two * l2;
                    var[i] = if linear[i].abs() > l1 { x / y } else { T::ZERO };
                    accum[i] = accum[i] + g * g;
                }
                vec![Some(var), Some(accum), Some(linear)]
            }
            Algo::RmsProp => {
                let (lr, rho, momentum, eps) = (scalar(0)?, scalar(1)?, scalar(2)?, scalar(3)?);
                let mut ms = slots[1].to_vec::<T>()?;
                let mut mom = slots[2].to_vec::<T>()?;
                for i in 0..var.len() {
                    let g = grad[i];
                    ms[i] = ms[i] + (g * g - ms[i]) * (one - rho);
                    mom[i] = mom[i] * momentum + (g * lr) / (ms[i] + eps).sqrt();
                    var[i] = var[i] - mom[i];
                }
                vec![Some(var), Some(ms), Some(mom)]
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::{self, assert_tensor_close, node, tensor_from_json};
    use ferroflow_framework::{
        Code, DType, KernelKind, OpKernelContext, ResourceHandle, ResourceMgr, Tensor, TensorShape, Var,
    };
    use std::sync::Arc;

    fn handle(name: &str) -> Tensor {
        let h = ResourceHandle { container: "localhost".into(), name: name.into(), ..Default::default() };
        Tensor::from_resources(TensorShape::scalar(), vec![h]).unwrap()
    }

    fn code_name(c: Code) -> &'static str {
        c.name()
    }

    /// Runs every training case of the oracle file step by step with one kernel per case.
    #[test]
    fn updates_match_tensorflow() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/training.json")).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let cases = doc["training"].as_array().unwrap();
        assert!(cases.len() > 100);
        for case in cases {
            let name = case["name"].as_str().unwrap();
            let dtype = testutil::dtype_by_name(case["dtype"].as_str().unwrap());
            let slots: Vec<&str> = case["slots"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
            let args: Vec<&str> = case["args"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
            let mgr = Arc::new(ResourceMgr::new());
            for (slot, t) in case["init"].as_object().unwrap() {
                let t = tensor_from_json(t);
                mgr.lookup_or_create("localhost", slot, || Var::new(t.dtype())).unwrap().set(t);
            }
            let op = case["op"].as_str().unwrap();
            // The scatters name their type `dtype`; ops with indices also take their type.
            let type_attr = if op.starts_with("ResourceScatter") { "dtype" } else { "T" };
            let mut n = node(op).name(name).attr_type(type_attr, dtype);
            if args.contains(&"indices") {
                let first = tensor_from_json(&case["steps"][0]["args"]["indices"]);
                n = n.attr_type("Tindices", first.dtype());
            }
            for (k, v) in case["attrs"].as_object().unwrap() {
                n = n.attr_bool(k, v.as_bool().unwrap());
            }
            n.0.input = slots.iter().chain(args.iter()).map(|s| s.to_string()).collect();
            let kernel = crate::registry().build(&n.0, slots.len() + args.len()).unwrap();
            let KernelKind::Sync(k) = kernel.kind else { panic!("training kernels are synchronous") };
            let step = testutil::step_with(mgr.clone());
            for (i, st) in case["steps"].as_array().unwrap().iter().enumerate() {
                let mut inputs: Vec<Tensor> = slots.iter().map(|s| handle(s)).collect();
                inputs.extend(args.iter().map(|a| tensor_from_json(&st["args"][*a])));
                let mut ctx = OpKernelContext::new(&step, name, &inputs, 0, &[]);
                let result = k.compute(&mut ctx);
                let what = format!("{name} step {}", i + 1);
                if let Some(err) = st.get("error") {
                    let e = result.expect_err(&what);
                    assert_eq!(code_name(e.code), err["code"].as_str().unwrap(), "{what}: {e}");
                    assert_eq!(e.message, err["message"].as_str().unwrap(), "{what}");
                    continue;
                }
                result.unwrap_or_else(|e| panic!("{what}: {e}"));
                for (slot, want) in st["after"].as_object().unwrap() {
                    let got = mgr.lookup::<Var>("localhost", slot).unwrap().value().unwrap();
                    assert_tensor_close(&got, &tensor_from_json(want), 1e-6, &format!("{what} {slot}"));
                }
            }
        }
    }

    fn apply_gd(mgr: &Arc<ResourceMgr>, var: &str, grad: Tensor) -> ferroflow_framework::Result<Vec<Tensor>> {
        let mut n = node("ResourceApplyGradientDescent").attr_type("T", DType::Float);
        n.0.input = vec![var.to_string(), "lr".into(), "g".into()];
        testutil::run_with(mgr.clone(), n, vec![handle(var), Tensor::scalar(0.5f32), grad])
    }

    #[test]
    fn uninitialized_and_mistyped_variables_are_refused() {
        let mgr = Arc::new(ResourceMgr::new());
        mgr.lookup_or_create("localhost", "u", || Var::new(DType::Float)).unwrap();
        let e = apply_gd(&mgr, "u", Tensor::scalar(1.0f32)).unwrap_err();
        assert_eq!(e.code, Code::FailedPrecondition);
        assert!(e.message.starts_with("Attempting to use uninitialized variables: u"), "{}", e.message);
        mgr.lookup_or_create("localhost", "d", || Var::new(DType::Double)).unwrap().set(Tensor::scalar(1.0f64));
        assert_eq!(apply_gd(&mgr, "d", Tensor::scalar(1.0f32)).unwrap_err().code, Code::InvalidArgument);
        mgr.lookup_or_create("localhost", "f", || Var::new(DType::Float)).unwrap().set(Tensor::scalar(1.0f32));
        assert_eq!(apply_gd(&mgr, "f", Tensor::scalar(1.0f64)).unwrap_err().code, Code::InvalidArgument);
        apply_gd(&mgr, "f", Tensor::scalar(1.0f32)).unwrap();
        let v = mgr.lookup::<Var>("localhost", "f").unwrap().value().unwrap();
        assert_eq!(v.scalar_value::<f32>().unwrap(), 0.5);
    }

    #[test]
    fn the_same_variable_twice_does_not_deadlock() {
        let mgr = Arc::new(ResourceMgr::new());
        mgr.lookup_or_create("localhost", "w", || Var::new(DType::Float)).unwrap().set(Tensor::scalar(1.0f32));
        let mut n = node("ResourceApplyMomentum").attr_type("T", DType::Float);
        n.0.input = vec!["w".into(), "w".into(), "lr".into(), "g".into(), "m".into()];
        let inputs =
            vec![handle("w"), handle("w"), Tensor::scalar(0.1f32), Tensor::scalar(1.0f32), Tensor::scalar(0.9f32)];
        testutil::run_with(mgr, n, inputs).unwrap();
    }

    #[test]
    fn concurrent_updates_are_not_lost() {
        let mgr = Arc::new(ResourceMgr::new());
        mgr.lookup_or_create("localhost", "c", || Var::new(DType::Float)).unwrap().set(Tensor::scalar(0.0f32));
        std::thread::scope(|s| {
            for _ in 0..4 {
                let mgr = mgr.clone();
                s.spawn(move || {
                    for _ in 0..50 {
                        apply_gd(&mgr, "c", Tensor::scalar(-2.0f32)).unwrap();
                    }
                });
            }
        });
        let v = mgr.lookup::<Var>("localhost", "c").unwrap().value().unwrap();
        assert_eq!(v.scalar_value::<f32>().unwrap(), 200.0);
    }

    #[test]
    fn unsupported_types_and_arity_are_refused_when_building() {
        let ten = vec![Tensor::scalar(0i32); 10];
        let e = testutil::run(node("ResourceApplyAdam").attr_type("T", DType::Int32), ten).unwrap_err();
        assert_eq!(e.code, Code::InvalidArgument);
        assert!(e.message.contains("Value for attr 'T' of int32"), "{}", e.message);
        let e =
            testutil::run(node("ResourceApplyAdagrad").attr_type("T", DType::Float), vec![handle("x")]).unwrap_err();
        assert_eq!(e.code, Code::InvalidArgument);
    }
}
