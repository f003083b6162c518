//! Activations (Relu, Relu6, Elu, Selu, LeakyRelu) and their gradients, plus [`Activation`], the
//! epilogue `_FusedMatMul` applies. Stateless kernels; LeakyRelu's alpha is read at build time.
//! NaN passes through every activation, as in TF.

use super::{Num, Real, map1, map2};
use crate::array::kernel;
use ferroflow_framework::{Cost, DType, Error, Kernel, KernelInit, OpRegistry, Result, Tensor, dispatch};

pub(super) fn register(reg: &mut OpRegistry) {
    reg.op("Relu")
        .input("features: T")
        .output("activations: T")
        .attr("T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64, qint8}")
        .cost(Cost::Elementwise)
        .kernel(|init| unary_real(init, |t, x| dispatch!(real, t, T => unary::<T>(x, relu), unsupported(t))));
    reg.op("Relu6")
        .input("features: T")
        .output("activations: T")
        .attr("T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64}")
        .cost(Cost::Elementwise)
        .kernel(|init| {
        unary_real(init, |t, x| dispatch!(real, t, T => unary::<T>(x, relu6), unsupported(t)))
    });
    reg.op("Elu")
        .input("features: T")
        .output("activations: T")
        .attr("T: {half, bfloat16, float, double}")
        .cost(Cost::Elementwise)
        .kernel(|init| {
        unary_float(init, |t, x, _| dispatch!(float, t, T => unary::<T>(x, elu), unsupported(t)))
    });
    reg.op("Selu")
        .input("features: T")
        .output("activations: T")
        .attr("T: {half, bfloat16, float, double}")
        .cost(Cost::Elementwise)
        .kernel(|init| {
        unary_float(init, |t, x, _| dispatch!(float, t, T => unary::<T>(x, selu), unsupported(t)))
    });
    reg.op("LeakyRelu")
        .input("features: T")
        .output("activations: T")
        .attr("alpha: float = 0.2")
        .attr("T: {half, bfloat16, float, double} = DT_FLOAT")
        .cost(Cost::Elementwise)
        .kernel(|init| {
        unary_float(init, |t, x, alpha| {
            dispatch!(float, t, T => {
            let a = T::from_f32(alpha);
            unary::<T>(x, move |v| leaky(v, a))
        }, unsupported(t))
        })
    });
    reg.op("ReluGrad")
        .input("gradients: T")
        .input("features: T")
        .output("backprops: T")
        .attr("T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64}")
        .cost(Cost::Elementwise)
        .kernel(|init| grad_real(init, "ReluGrad", |t, g, f| {
        dispatch!(real, t, T => binary::<T>(g, f, |g, f| if f > T::ZERO { g } else { T::ZERO }), unsupported(t))
    }));
    reg.op("Relu6Grad")
        .input("gradients: T")
        .input("features: T")
        .output("backprops: T")
        .attr("T: {float, double, int32, uint8, int16, int8, int64, bfloat16, uint16, half, uint32, uint64}")
        .cost(Cost::Elementwise)
        .kernel(|init| grad_real(init, "Relu6Grad", |t, g, f| {
        dispatch!(real, t, T => binary::<T>(g, f, |g, f| if f > T::ZERO && f < T::SIX { g } else { T::ZERO }), unsupported(t))
    }));
    reg.op("EluGrad")
        .input("gradients: T")
        .input("outputs: T")
        .output("backprops: T")
        .attr("T: {half, bfloat16, float, double}")
        .cost(Cost::Elementwise)
        .kernel(|init| grad_float(init, "EluGrad", |t, g, y, _| {
        dispatch!(float, t, T => binary::<T>(g, y, |g, y| if y < T::ZERO { g * (y + T::ONE) } else { g }), unsupported(t))
    }));
    reg.op("SeluGrad")
        .input("gradients: T")
        .input("outputs: T")
        .output("backprops: T")
        .attr("T: {half, bfloat16, float, double}")
        .cost(Cost::Elementwise)
        .kernel(|init| grad_float(init, "SeluGrad", |t, g, y, _| {
        dispatch!(float, t, T => binary::<T>(g, y, |g, y| {
            if y < T::ZERO { g * (y + T::from_f64(SELU_SCALE_ALPHA)) } else { g * T::from_f64(SELU_SCALE) }
        }), unsupported(t))
    }));
    reg.op("SoftplusGrad")
        .input("gradients: T")
        .input("features: T")
        .output("backprops: T")
        .attr("T: {half, bfloat16, float, double}")
        .cost(Cost::Elementwise)
        .kernel(|init| grad_float(init, "SoftplusGrad", |t, g, x, _| {
        dispatch!(float, t, T => binary::<T>(g, x, |g, x| g / (T::ONE + (T::ZERO - x).exp_fast())), unsupported(t))
    }));
    reg.op("SoftsignGrad")
        .input("gradients: T")
        .input("features: T")
        .output("backprops: T")
        .attr("T: {half, bfloat16, float, double}")
        .cost(Cost::Elementwise)
        .kernel(|init| grad_float(init, "SoftsignGrad", |t, g, x, _| {
        dispatch!(float, t, T => binary::<T>(g, x, |g, x| {
            let d = T::ONE + if x < T::ZERO { T::ZERO - x } else { x };
            g / (d * d)
        }), unsupported(t))
    }));
    reg.op("LeakyReluGrad")
        .input("gradients: T")
        .input("features: T")
        .output("backprops: T")
        .attr("alpha: float = 0.2")
        .attr("T: {half, bfloat16, float, double} = DT_FLOAT")
        .cost(Cost::Elementwise)
        .kernel(|init| {
        grad_float(init, "LeakyReluGrad", |t, g, f, alpha| {
            dispatch!(float, t, T => {
            let a = T::from_f32(alpha);
            binary::<T>(g, f, move |g, f| if f > T::ZERO { g } else { g * a })
        }, unsupported(t))
        })
    });
}

const FLOAT: &[DType] = &[DType::Float, DType::Double];

fn unsupported(t: DType) -> Result<Tensor> {
    Err(Error::unimplemented(format!("activation not implemented for {t}")))
}

#[inline]
pub(crate) fn relu<T: Num>(x: T) -> T {
    if x <= T::ZERO { T::ZERO } else { x }
}

#[inline]
pub(crate) fn relu6<T: Num>(x: T) -> T {
    if x <= T::ZERO {
        T::ZERO
    } else if x >= T::SIX {
        T::SIX
    } else {
        x
    }
}

#[inline]
pub(crate) fn elu<T: Real>(x: T) -> T {
    if x < T::ZERO { x.exp_m1() } else { x }
}

/// SELU's constants (`scale`, `scale * alpha`), rounded to the computation's type as TF does.
const SELU_SCALE: f64 = 1.050_700_987_355_480_5;
const SELU_SCALE_ALPHA: f64 = 1.758_099_340_847_376_9;

/// TF's `Selu`: `scale * alpha * (exp(x) - 1)` below zero, `scale * x` above.
#[inline]
pub(crate) fn selu<T: Real>(x: T) -> T {
    if x < T::ZERO { T::from_f64(SELU_SCALE_ALPHA).mul(x.exp_fast().sub(T::ONE)) } else { T::from_f64(SELU_SCALE).mul(x) }
}

#[inline]
pub(crate) fn leaky<T: Real>(x: T, alpha: T) -> T {
    if x > T::ZERO { x } else { x.mul(alpha) }
}

fn unary<T: Num + Send + Sync>(x: &Tensor, f: impl Fn(T) -> T + Sync) -> Result<Tensor> {
    let v = x.values::<T>()?;
    Tensor::from_vec(x.shape().clone(), map1(&v, f))
}

fn binary<T: Num + Send + Sync>(a: &Tensor, b: &Tensor, f: impl Fn(T, T) -> T + Sync) -> Result<Tensor> {
    let (x, y) = (a.values::<T>()?, b.values::<T>()?);
    Tensor::from_vec(a.shape().clone(), map2(&x, &y, f))
}

fn unary_real(init: &KernelInit<'_>, f: fn(DType, &Tensor) -> Result<Tensor>) -> Result<Kernel> {
    let dtype = init.attrs.get_type_in("T", DType::REAL)?;
    Ok(kernel(1, move |ctx| {
        let out = f(dtype, ctx.input(0))?;
        ctx.set_output(0, out);
        Ok(())
    }))
}

fn unary_float(init: &KernelInit<'_>, f: fn(DType, &Tensor, f32) -> Result<Tensor>) -> Result<Kernel> {
    let dtype = init.attrs.get_type_in("T", FLOAT)?;
    let alpha = init.attrs.get_float_or("alpha", 0.2)?;
    Ok(kernel(1, move |ctx| {
        let out = f(dtype, ctx.input(0), alpha)?;
        ctx.set_output(0, out);
        Ok(())
    }))
}

fn same_shape(ctx: &ferroflow_framework::OpKernelContext<'_>, op: &str) -> Result<()> {
    let (a, b) = (ctx.input(0), ctx.input(1));
    if a.shape() != b.shape() {
        return Err(Error::invalid_argument(format!(
            "Inputs to operation {} of type {op} must have the same size and shape.  Input 0: {} != input 1: {}",
            ctx.node_name,
            a.shape(),
            b.shape()
        )));
    }
    Ok(())
}

fn grad_real(
    init: &KernelInit<'_>,
    op: &'static str,
    f: fn(DType, &Tensor, &Tensor) -> Result<Tensor>,
) -> Result<Kernel> {
    let dtype = init.attrs.get_type_in("T", DType::REAL)?;
    Ok(kernel(1, move |ctx| {
        same_shape(ctx, op)?;
        let out = f(dtype, ctx.input(0), ctx.input(1))?;
        ctx.set_output(0, out);
        Ok(())
    }))
}

fn grad_float(
    init: &KernelInit<'_>,
    op: &'static str,
    f: fn(DType, &Tensor, &Tensor, f32) -> Result<Tensor>,
) -> Result<Kernel> {
    let dtype = init.attrs.get_type_in("T", FLOAT)?;
    let alpha = init.attrs.get_float_or("alpha", 0.2)?;
    Ok(kernel(1, move |ctx| {
        same_shape(ctx, op)?;
        let out = f(dtype, ctx.input(0), ctx.input(1), alpha)?;
        ctx.set_output(0, out);
        Ok(())
    }))
}

/// The activation `_FusedMatMul` applies after adding the bias.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Activation {
    Identity,
    Relu,
    Relu6,
    Elu,
    LeakyRelu(f32),
    Tanh,
    Sigmoid,
}

impl Activation {
    /// The activation named in a fused-op list (`None` for names TF does not fuse).
    pub(crate) fn from_name(name: &str, alpha: f32) -> Option<Activation> {
        Some(match name {
            "Relu" => Activation::Relu,
            "Relu6" => Activation::Relu6,
            "Elu" => Activation::Elu,
            "LeakyRelu" => Activation::LeakyRelu(alpha),
            "Tanh" => Activation::Tanh,
            "Sigmoid" => Activation::Sigmoid,
            _ => return None,
        })
    }

    /// `act(x[j] + bias[j])` over one output row, in place.
    #[inline]
    pub(crate) fn apply_row<T: Real>(self, row: &mut [T], bias: &[T]) {
        let it = row.iter_mut().zip(bias);
        match self {
            Activation::Identity => it.for_each(|(x, &b)| *x = x.add(b)),
            Activation::Relu => it.for_each(|(x, &b)| *x = relu(x.add(b))),
            Activation::Relu6 => it.for_each(|(x, &b)| *x = relu6(x.add(b))),
            Activation::Elu => it.for_each(|(x, &b)| *x = elu(x.add(b))),
            Activation::LeakyRelu(a) => {
                let a = T::from_f32(a);
                it.for_each(|(x, &b)| *x = leaky(x.add(b), a))
            }
            Activation::Tanh => it.for_each(|(x, &b)| *x = x.add(b).tanh()),
            Activation::Sigmoid => {
                it.for_each(|(x, &b)| *x = T::ONE.div(T::ONE.add((T::ZERO.sub(x.add(b))).exp_fast())))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn softplus_and_softsign_gradients_match_tf() {
        assert!(crate::array::oracle::run_cases("math.json", &["SoftplusGrad", "SoftsignGrad"], 1e-5) >= 5);
    }

    #[test]
    fn oracle_cases() {
        crate::array::oracle::run_cases(
            "matmul_nn.json",
            &["Relu", "Relu6", "Elu", "LeakyRelu", "ReluGrad", "Relu6Grad", "EluGrad", "LeakyReluGrad"],
            1e-5,
        );
    }
}
