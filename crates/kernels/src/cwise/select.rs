//! `Select` and `SelectV2`: pick elements of `then` where `condition` is true, of `else` elsewhere.
//!
//! `Select` (v1) takes a scalar condition (choosing a whole tensor), a vector condition choosing
//! rows of higher-rank operands, or a condition of exactly the operands' shape. `SelectV2`
//! broadcasts all three. Both accept every real type, bool and string, with TF's error messages.
//! Stateless kernels, `Send + Sync`.

use super::{ALL_TYPES, REAL_BOOL_STRING, pod_tensor, pod_values, type_attr};
use crate::broadcast::{BroadcastPlan, checked_num_elements};
use bytes::Bytes;
use ferroflow_framework::{Cost, 
    DType, Error, Kernel, KernelInit, OpRegistry, OpKernel, OpKernelContext, Result, Tensor, TensorShape, dispatch,
};
use std::borrow::Cow;

/// How the elements of one dtype are read from and put into tensors.
trait Elem: Clone + Default + Send + Sync + 'static {
    fn read(t: &Tensor, dtype: DType) -> Result<Cow<'_, [Self]>>;
    fn build(dtype: DType, shape: TensorShape, values: Vec<Self>) -> Result<Tensor>;
}

macro_rules! pod_elem {
    ($($t:ty),*) => {$(
        impl Elem for $t {
            fn read(t: &Tensor, dtype: DType) -> Result<Cow<'_, [Self]>> {
                pod_values::<$t>(t, dtype)
            }
            fn build(dtype: DType, shape: TensorShape, values: Vec<Self>) -> Result<Tensor> {
                pod_tensor(dtype, shape, values)
            }
        }
    )*};
}
pod_elem!(f32, f64, i8, i16, i32, i64, u8, u16, u32, u64);

impl Elem for Bytes {
    fn read(t: &Tensor, _: DType) -> Result<Cow<'_, [Self]>> {
        Ok(Cow::Borrowed(t.strings()?))
    }
    fn build(_: DType, shape: TensorShape, values: Vec<Self>) -> Result<Tensor> {
        Tensor::from_strings(shape, values)
    }
}

fn same_size_error(then: &Tensor, els: &Tensor) -> Error {
    Error::invalid_argument(format!(
        "'then' and 'else' must have the same size.  but received: {} vs. {}",
        then.shape(),
        els.shape()
    ))
}

fn check_dtype(t: &Tensor, dtype: DType) -> Result<()> {
    if t.dtype() != dtype {
        return Err(Error::invalid_argument(format!(
            "Expected a {dtype} tensor, got {} with shape {}",
            t.dtype(),
            t.shape()
        )));
    }
    Ok(())
}

/// `Select`: scalar, row-vector or same-shape condition.
fn select_v1<E: Elem>(node: &str, inputs: [&Tensor; 3], dtype: DType) -> Result<Tensor> {
    let [cond, then, els] = inputs;
    let c = pod_values::<u8>(cond, DType::Bool)?;
    if cond.rank() == 0 {
        if then.shape() != els.shape() {
            return Err(same_size_error(then, els));
        }
        check_dtype(then, dtype)?;
        check_dtype(els, dtype)?;
        return Ok(if c[0] != 0 { then.clone() } else { els.clone() });
    }
    if cond.rank() == 1 && then.rank() != 1 {
        if then.rank() == 0 {
            return Err(Error::invalid_argument(format!(
                "'then' must be at least a vector, but saw shape: {}",
                then.shape()
            )));
        }
        if then.dims()[0] as usize != c.len() {
            return Err(Error::invalid_argument(format!(
                "Number of batches of 'then' must match size of 'cond', but saw: {} vs. {}",
                then.dims()[0],
                c.len()
            )));
        }
        if then.shape() != els.shape() {
            return Err(same_size_error(then, els));
        }
        let (t, e) = (E::read(then, dtype)?, E::read(els, dtype)?);
        let row = checked_num_elements(&then.dims()[1..])
            .ok_or_else(|| Error::invalid_argument(format!("Shape {} has too many elements", then.shape())))?;
        let mut out = Vec::with_capacity(t.len());
        for (i, &ci) in c.iter().enumerate() {
            let src = if ci != 0 { &t } else { &e };
            out.extend_from_slice(&src[i * row..(i + 1) * row]);
        }
        return E::build(dtype, then.shape().clone(), out);
    }
    for (i, x) in [(1, then), (2, els)] {
        if x.shape() != cond.shape() {
            return Err(Error::invalid_argument(format!(
                "Inputs to operation {node} of type Select must have the same size and shape.  Input 0: {} != input {i}: {}",
                cond.shape(),
                x.shape()
            )));
        }
    }
    ternary::<E>(cond, then, els, dtype, &c)
}

/// `SelectV2`: all three operands broadcast.
fn select_v2<E: Elem>(_: &str, inputs: [&Tensor; 3], dtype: DType) -> Result<Tensor> {
    let [cond, then, els] = inputs;
    let c = pod_values::<u8>(cond, DType::Bool)?;
    ternary::<E>(cond, then, els, dtype, &c)
}

fn ternary<E: Elem>(cond: &Tensor, then: &Tensor, els: &Tensor, dtype: DType, c: &[u8]) -> Result<Tensor> {
    let plan = BroadcastPlan::ternary(cond.shape(), then.shape(), els.shape()).ok_or_else(|| {
        Error::invalid_argument(format!(
            "condition {}, then {}, and else {} must be broadcastable",
            cond.shape(),
            then.shape(),
            els.shape()
        ))
    })?;
    let (t, e) = (E::read(then, dtype)?, E::read(els, dtype)?);
    let out = plan.apply3(c, &t, &e, |&ci, x, y| if ci != 0 { x.clone() } else { y.clone() })?;
    E::build(dtype, plan.out_shape().clone(), out)
}

type SelFn = fn(&str, [&Tensor; 3], DType) -> Result<Tensor>;

struct SelectKernel {
    dtype: DType,
    f: SelFn,
}

impl OpKernel for SelectKernel {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        let out = (self.f)(ctx.node_name, [ctx.input(0), ctx.input(1), ctx.input(2)], self.dtype)?;
        ctx.set_output(0, out);
        Ok(())
    }
}

fn pick<const V2: bool>(dtype: DType) -> Option<SelFn> {
    fn f<E: Elem, const V2: bool>() -> SelFn {
        if V2 { select_v2::<E> } else { select_v1::<E> }
    }
    match dtype {
        DType::Bool => Some(f::<u8, V2>()),
        DType::String => Some(f::<Bytes, V2>()),
        _ => dispatch!(real, dtype, T => Some(f::<T, V2>()), None),
    }
}

fn factory<const V2: bool>(init: &KernelInit<'_>) -> Result<Kernel> {
    let dtype = type_attr(init, "T", ALL_TYPES, REAL_BOOL_STRING)?;
    init.expect_inputs(3)?;
    let f = pick::<V2>(dtype).ok_or_else(|| Error::internal(format!("no select kernel for {dtype}")))?;
    Ok(Kernel::sync(SelectKernel { dtype, f }, 1))
}

pub(super) fn register(reg: &mut OpRegistry) {
    reg.op("Select")
        .input("condition: bool")
        .input("t: T")
        .input("e: T")
        .output("output: T")
        .attr("T: type")
        .cost(Cost::Elementwise)
        .kernel(factory::<false>);
    reg.op("SelectV2")
        .input("condition: bool")
        .input("t: T")
        .input("e: T")
        .output("output: T")
        .attr("T: type")
        .cost(Cost::Elementwise)
        .kernel(factory::<true>);
}
