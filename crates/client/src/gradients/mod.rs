//! Symbolic gradients, as TF's `tf.gradients` (`gradients_util._GradientsHelper`) builds them:
//! the ops between `xs` and `ys`, visited from `ys` back in TF's queue order; each op's incoming
//! gradients summed with `AddN` (colocated with the first); each op's gradient function (TF's
//! formulas, in [`math`], [`nn`] and [`array`]) called in scope `gradients/OP_grad`; zeros made for
//! outputs of differentiable ops that got no gradient; optional gating through `tuple` (what
//! optimizers ask for). Gradients of `gather` travel as indexed slices and are made dense
//! (`UnsortedSegmentSum`) where a dense tensor is needed, as TF converts them.
//!
//! Pure graph construction; nothing runs.

pub mod array;
pub mod math;
pub mod nn;

use crate::graph::{Graph, Operation, Output};
use crate::ops::{array as arr, control, math as m};
use crate::scope::Scope;
use ferroflow_framework::{DType, Error, Result};
use std::collections::{HashMap, HashSet, VecDeque};

/// A gradient: a dense tensor, or TF's `IndexedSlices` (rows `indices` of a tensor of shape
/// `dense_shape` hold `values`; the rest is zero).
#[derive(Debug, Clone)]
pub enum Grad {
    Dense(Output),
    Slices { values: Output, indices: Output, dense_shape: Output },
}

impl Grad {
    pub fn dtype(&self) -> DType {
        match self {
            Grad::Dense(o) => o.dtype(),
            Grad::Slices { values, .. } => values.dtype(),
        }
    }
}

/// What a gradient function sees.
pub struct GradCtx<'a> {
    /// The op's gradient scope (`gradients/NAME_grad`).
    pub scope: &'a Scope,
    pub op: &'a Operation,
    pub inputs: Vec<Output>,
    pub outputs: Vec<Output>,
    zeros: &'a HashSet<Output>,
}

impl GradCtx<'_> {
    /// True for gradients the machinery made as zeros for outputs that got none (TF's
    /// `_is_zeros_tensor`).
    pub fn is_zeros(&self, g: &Grad) -> bool {
        matches!(g, Grad::Dense(o) if self.zeros.contains(o))
    }
}

/// TF's implicit conversion of a gradient to a dense tensor: indexed slices become
/// `unsorted_segment_sum(values, indices, dense_shape[0])`.
pub fn to_dense(scope: &Scope, g: &Grad) -> Result<Output> {
    match g {
        Grad::Dense(o) => Ok(o.clone()),
        Grad::Slices { values, indices, dense_shape } => {
            let rows = array::strided_slice_1d(scope, dense_shape, 0, 1, false, true)?;
            arr::unsorted_segment_sum(scope, values, indices, &rows)
        }
    }
}

type GradFn = fn(&GradCtx, &[Option<Grad>]) -> Result<Vec<Option<Grad>>>;

/// The gradient function of an op type: `Some(None)` for ops TF declares not differentiable,
/// `None` for ops without a gradient.
fn gradient_function(op_type: &str) -> Option<Option<GradFn>> {
    Some(match op_type {
        "AddV2" | "Add" => Some(math::add_grad),
        "Sub" => Some(math::sub_grad),
        "Mul" => Some(math::mul_grad),
        "RealDiv" => Some(math::real_div_grad),
        "Neg" => Some(math::neg_grad),
        "MatMul" => Some(math::mat_mul_grad),
        "Sum" => Some(math::sum_grad),
        "Mean" => Some(math::mean_grad),
        "Max" | "Min" => Some(math::min_or_max_grad),
        "Cast" => Some(math::cast_grad),
        "Square" => Some(math::square_grad),
        "AddN" => Some(math::add_n_grad),
        "Sigmoid" => Some(nn::sigmoid_grad),
        "Tanh" => Some(nn::tanh_grad),
        "Relu" => Some(nn::relu_grad),
        "Softmax" => Some(nn::softmax_grad),
        "BiasAdd" => Some(nn::bias_add_grad),
        "SparseSoftmaxCrossEntropyWithLogits" => Some(nn::sparse_xent_grad),
        "SoftmaxCrossEntropyWithLogits" => Some(nn::xent_grad),
        "Reshape" => Some(array::reshape_grad),
        "ExpandDims" | "Squeeze" => Some(array::reshape_to_input_grad),
        "ConcatV2" => Some(array::concat_v2_grad),
        "GatherV2" => Some(array::gather_v2_grad),
        "Identity" | "ReadVariableOp" | "Snapshot" => Some(array::identity_grad),
        "Fill" => Some(array::fill_grad),
        "ArgMax" | "ArgMin" | "Equal" | "NotEqual" | "Greater" | "GreaterEqual" | "Less" | "LessEqual" | "Shape" | "Size" | "Rank" | "ZerosLike"
        | "OnesLike" | "StopGradient" | "Range" | "BroadcastGradientArgs" | "FloorDiv" | "VarIsInitializedOp" | "RandomUniform"
        | "RandomStandardNormal" | "TruncatedNormal" | "ConcatOffset" => None,
        _ => return None,
    })
}

/// TF's `backprop_util.IsTrainable` for the dtypes ferroflow has.
fn is_trainable(d: DType) -> bool {
    matches!(d, DType::Float | DType::Double | DType::Resource)
}

/// Options of [`gradients_with`].
#[derive(Debug, Clone, Default)]
pub struct GradientOptions {
    /// Gradients of each `ys` entry (ones of its shape when absent).
    pub grad_ys: Option<Vec<Output>>,
    /// Gate each op's input gradients together (`tuple`), as optimizers ask with `GATE_OP`.
    pub gate_gradients: bool,
    /// The name scope (`gradients` by default).
    pub name: Option<String>,
}

/// `tf.gradients(ys, xs)`: d(sum of ys)/d(x) for each x, `None` where x does not reach `ys`.
/// For a variable, take the gradient with respect to its handle (`Variable::handle`), as TF does.
pub fn gradients(graph: &Graph, ys: &[Output], xs: &[Output]) -> Result<Vec<Option<Output>>> {
    gradients_with(&graph.scope(), ys, xs, &GradientOptions::default())
}

/// [`gradients`] with options, in `scope`.
pub fn gradients_with(scope: &Scope, ys: &[Output], xs: &[Output], opts: &GradientOptions) -> Result<Vec<Option<Output>>> {
    let grads = gradients_raw(scope, ys, xs, opts)?;
    grads.iter().map(|g| g.as_ref().map(|g| to_dense(scope, g)).transpose()).collect()
}

/// Per-output gradients of one op: pending contributions, then the aggregated value.
enum Slot {
    Pending(Vec<Grad>),
    Done(Option<Grad>),
}

/// [`gradients_with`] without making indexed slices dense.
pub fn gradients_raw(scope: &Scope, ys: &[Output], xs: &[Output], opts: &GradientOptions) -> Result<Vec<Option<Grad>>> {
    let graph = scope.graph().clone();
    let s = scope.op_scope(opts.name.as_deref().unwrap_or("gradients"))?;
    graph.with(|g| g.unique_name(&format!("{}/uid", s.name_stack()), true));
    let grad_ys = default_grad_ys(&s, ys, opts.grad_ys.as_deref())?;
    let ops = graph.operations();
    let inputs: Vec<Vec<Output>> = ops.iter().map(Operation::inputs).collect::<Result<_>>()?;
    let mut consumers: Vec<Vec<usize>> = vec![Vec::new(); ops.len()];
    for (i, ins) in inputs.iter().enumerate() {
        for x in ins {
            consumers[x.op().index()].push(i);
        }
    }
    let from_ops: Vec<usize> = xs.iter().map(|x| x.op().index()).collect();
    let to_ops: Vec<usize> = ys.iter().map(|y| y.op().index()).collect();
    let mut reached = vec![false; ops.len()];
    let mut queue: VecDeque<usize> = from_ops.iter().copied().collect();
    while let Some(op) = queue.pop_front() {
        if !reached[op] {
            reached[op] = true;
            queue.extend(consumers[op].iter().copied());
        }
    }
    let reachable_to: HashSet<usize> = to_ops.iter().copied().filter(|&o| reached[o]).collect();
    let mut between = vec![false; ops.len()];
    let mut between_list = Vec::new();
    let mut queue: VecDeque<usize> = to_ops.iter().copied().collect();
    while let Some(op) = queue.pop_front() {
        if reached[op] {
            between[op] = true;
            between_list.push(op);
            reached[op] = false;
            queue.extend(inputs[op].iter().map(|x| x.op().index()));
        }
    }
    let mut pending: HashMap<usize, i64> = HashMap::new();
    for &op in &between_list {
        for x in &inputs[op] {
            if between[x.op().index()] {
                *pending.entry(x.op().index()).or_default() += 1;
            }
        }
    }
    let pending_of = |p: &HashMap<usize, i64>, op: usize| p.get(&op).copied().unwrap_or(0);
    let mut grads: HashMap<usize, Vec<Slot>> = HashMap::new();
    let set_grad = |grads: &mut HashMap<usize, Vec<Slot>>, t: &Output, g: Grad| {
        let slots = grads.entry(t.op().index()).or_insert_with(|| (0..t.op().num_outputs()).map(|_| Slot::Pending(Vec::new())).collect());
        if let Slot::Pending(v) = &mut slots[t.index()] {
            v.push(g);
        }
    };
    for (y, gy) in ys.iter().zip(&grad_ys) {
        set_grad(&mut grads, y, Grad::Dense(gy.clone()));
    }
    let mut queue = VecDeque::new();
    let mut queued = HashSet::new();
    for &op in &to_ops {
        if pending_of(&pending, op) == 0 && reachable_to.contains(&op) && queued.insert(op) {
            queue.push_back(op);
        }
    }
    let stop_ops: HashSet<usize> = from_ops.iter().copied().filter(|&op| inputs[op].iter().all(|x| pending_of(&pending, x.op().index()) <= 0)).collect();
    let mut zeros: HashSet<Output> = HashSet::new();
    while let Some(opi) = queue.pop_front() {
        let op = &ops[opi];
        let mut out_grads = aggregate(&s, &mut grads, op)?;
        let has_out_grads = out_grads.iter().any(Option::is_some);
        let mut grad_fn: Option<GradFn> = None;
        if has_out_grads && !stop_ops.contains(&opi) {
            let op_type = op.op_type();
            grad_fn = gradient_function(&op_type).ok_or_else(|| no_gradient(op, &op_type))?;
        }
        let in_grads = match grad_fn {
            Some(f) if has_out_grads => {
                for (i, g) in out_grads.iter_mut().enumerate() {
                    let out = op.output(i);
                    if g.is_none() && is_trainable(out.dtype()) && out.dtype() != DType::Resource {
                        let z = arr::zeros_like(&s, &out, false)?;
                        zeros.insert(z.clone());
                        *g = Some(Grad::Dense(z));
                    }
                }
                let gs = s.name_scope(&format!("{}_grad", op.name()))?;
                let ctx = GradCtx { scope: &gs, op, inputs: inputs[opi].clone(), outputs: op.outputs(), zeros: &zeros };
                let mut in_grads = f(&ctx, &out_grads)?;
                if in_grads.len() != inputs[opi].len() {
                    return Err(Error::internal(format!(
                        "Num gradients {} generated for op {} do not match num inputs {}",
                        in_grads.len(),
                        op.name(),
                        inputs[opi].len()
                    )));
                }
                if opts.gate_gradients && in_grads.iter().filter(|g| g.is_some()).count() > 1 {
                    in_grads = gate(&gs, in_grads)?;
                }
                in_grads
            }
            _ => vec![None; inputs[opi].len()],
        };
        for (t_in, g) in inputs[opi].iter().zip(in_grads) {
            if let Some(g) = g {
                if let Grad::Dense(o) = &g
                    && t_in.dtype() != DType::Resource
                {
                    graph.set_shape(o, &t_in.shape()).map_err(|e| {
                        Error::invalid_argument(format!(
                            "Incompatible shapes between op input and calculated input gradient. Forward operation: {}. Input: {}. {}",
                            op.name(),
                            t_in.name(),
                            e.message
                        ))
                    })?;
                }
                set_grad(&mut grads, t_in, g);
            }
        }
        for x in &inputs[opi] {
            let p = pending.entry(x.op().index()).or_default();
            *p -= 1;
            if *p == 0 {
                queue.push_back(x.op().index());
            }
        }
    }
    Ok(xs
        .iter()
        .map(|x| match grads.get(&x.op().index()).map(|slots| &slots[x.index()]) {
            Some(Slot::Done(g)) => g.clone(),
            Some(Slot::Pending(v)) if v.len() == 1 => Some(v[0].clone()),
            _ => None,
        })
        .collect())
}

fn no_gradient(op: &Operation, op_type: &str) -> Error {
    Error::not_found(format!(
        "No gradient defined for operation'{}' (op type: {op_type}). In general every operation must have an associated `@tf.RegisterGradient` for correct autodiff, which this op is lacking. If you want to pretend this operation is a constant in your program, you may insert `tf.stop_gradient`.",
        op.name()
    ))
}

/// TF's `_DefaultGradYs`: ones shaped like each y, named `grad_ys_N`, or the given ones through
/// an `Identity`.
fn default_grad_ys(s: &Scope, ys: &[Output], given: Option<&[Output]>) -> Result<Vec<Output>> {
    if let Some(g) = given
        && g.len() != ys.len()
    {
        return Err(Error::invalid_argument(format!("Length mismatch. Passed {} grad_ys for {} ys", g.len(), ys.len())));
    }
    let mut out = Vec::with_capacity(ys.len());
    for (i, y) in ys.iter().enumerate() {
        match given.map(|g| &g[i]) {
            Some(g) => out.push(arr::identity(&s.named(&format!("grad_ys_{i}")), g)?),
            None => {
                if !matches!(y.dtype(), DType::Float | DType::Double) && !y.dtype().is_integer() {
                    return Err(Error::invalid_argument(format!("Tensor {} with type {} must be numeric to obtain a default gradient", y.name(), y.dtype())));
                }
                let shape = arr::shape(s, y, DType::Int32)?;
                out.push(arr::ones_dynamic(&s.named(&format!("grad_ys_{i}")), &shape, y.dtype())?);
            }
        }
    }
    Ok(out)
}

/// TF's `_AggregatedGrads`: each output's contributions summed (`AddN` colocated with the first;
/// indexed slices concatenated).
fn aggregate(s: &Scope, grads: &mut HashMap<usize, Vec<Slot>>, op: &Operation) -> Result<Vec<Option<Grad>>> {
    let Some(slots) = grads.get_mut(&op.index()) else { return Ok(vec![None; op.num_outputs()]) };
    let mut out = Vec::with_capacity(slots.len());
    for slot in slots.iter_mut() {
        let value = match slot {
            Slot::Done(g) => g.clone(),
            Slot::Pending(list) if list.is_empty() => None,
            Slot::Pending(list) if list.len() == 1 => Some(list[0].clone()),
            Slot::Pending(list) if list.iter().all(|g| matches!(g, Grad::Dense(_))) => {
                let dense: Vec<Output> = list.iter().filter_map(|g| if let Grad::Dense(o) = g { Some(o.clone()) } else { None }).collect();
                Some(Grad::Dense(multi_device_add_n(s, &dense)?))
            }
            Slot::Pending(list) => Some(aggregate_slices(s, list)?),
        };
        *slot = Slot::Done(value.clone());
        out.push(value);
    }
    Ok(out)
}

/// TF's `_MultiDeviceAddN`: one `AddN` per device (colocated with its first tensor), then one over
/// those.
fn multi_device_add_n(s: &Scope, tensors: &[Output]) -> Result<Output> {
    let mut by_device: std::collections::BTreeMap<String, Vec<Output>> = std::collections::BTreeMap::new();
    for t in tensors {
        by_device.entry(t.op().device()).or_default().push(t.clone());
    }
    let mut sums = Vec::new();
    for group in by_device.values() {
        let c = s.colocate_with(group[0].op(), true);
        sums.push(m::add_n(&c, group)?);
    }
    m::add_n(s, &sums)
}

/// TF's `AggregateIndexedSlicesGradients`: dense if any contribution is dense, else the slices
/// concatenated.
fn aggregate_slices(s: &Scope, list: &[Grad]) -> Result<Grad> {
    if list.iter().any(|g| matches!(g, Grad::Dense(_))) {
        let dense: Vec<Output> = list.iter().map(|g| to_dense(s, g)).collect::<Result<_>>()?;
        return Ok(Grad::Dense(m::add_n(s, &dense)?));
    }
    let mut values = Vec::new();
    let mut indices = Vec::new();
    let mut shape = None;
    let mixed = list.windows(2).any(|w| match (&w[0], &w[1]) {
        (Grad::Slices { indices: a, .. }, Grad::Slices { indices: b, .. }) => a.dtype() != b.dtype(),
        _ => false,
    });
    for g in list {
        if let Grad::Slices { values: v, indices: i, dense_shape } = g {
            values.push(v.clone().into());
            let i = if mixed { arr::cast(s, i, DType::Int64)? } else { i.clone() };
            indices.push(i.into());
            shape.get_or_insert_with(|| dense_shape.clone());
        }
    }
    let values = arr::concat(s, values, 0)?;
    let indices = arr::concat(s, indices, 0)?;
    Ok(Grad::Slices { values, indices, dense_shape: shape.ok_or_else(|| Error::internal("no slices to aggregate"))? })
}

/// `control_flow_ops.tuple` over an op's input gradients, outside any device or colocation.
fn gate(gs: &Scope, grads: Vec<Option<Grad>>) -> Result<Vec<Option<Grad>>> {
    let scope = gs.without_device().without_colocation();
    let dense: Vec<Option<Output>> = grads.iter().map(|g| match g {
        Some(Grad::Dense(o)) => Some(o.clone()),
        Some(Grad::Slices { values, .. }) => Some(values.clone()),
        None => None,
    }).collect();
    let gated = control::tuple(&scope, &dense)?;
    Ok(grads
        .into_iter()
        .zip(gated)
        .map(|(g, t)| match (g, t) {
            (Some(Grad::Dense(_)), Some(t)) => Some(Grad::Dense(t)),
            (Some(Grad::Slices { indices, dense_shape, .. }), Some(t)) => Some(Grad::Slices { values: t, indices, dense_shape }),
            _ => None,
        })
        .collect())
}
