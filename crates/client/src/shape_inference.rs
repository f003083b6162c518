//! Static shapes of new nodes, computed when they are added (TF runs its C++ shape functions at
//! that point): what the op functions and gradient functions consult to take TF's static-shape
//! paths. Ops without a rule here get unknown shapes, which is always correct, only less precise.
//! Also `constant_value`, TF's `tensor_util.constant_value` for the ops that matter for shapes.
//!
//! Pure functions over the graph's current state.

use crate::graph::{Graph, Output};
use crate::shape::{Shape, broadcast};
use ferroflow_framework::{Attrs, DType, Result, Tensor};
use ferroflow_proto::NodeDef;

/// The value of `o` when it can be known without running the graph.
pub fn constant_value(o: &Output) -> Option<Tensor> {
    let node = o.op().node_def();
    match node.op.as_str() {
        "Const" => Attrs::new(&node).get_tensor("value").ok(),
        "Identity" | "StopGradient" => constant_value(&o.op().inputs().ok()?[0]),
        "Shape" => {
            let dims = o.op().inputs().ok()?[0].shape().to_vec()?;
            int_vector(&node, "out_type", dims)
        }
        "Size" => {
            let n = o.op().inputs().ok()?[0].shape().num_elements()?;
            int_scalar(&node, "out_type", n)
        }
        "Rank" => Some(Tensor::scalar(o.op().inputs().ok()?[0].shape().rank()? as i32)),
        "Pack" => {
            let inputs = o.op().inputs().ok()?;
            let mut values = Vec::new();
            for i in &inputs {
                let t = constant_value(i)?;
                if t.rank() != 0 {
                    return None;
                }
                values.push(t.to_i64_vec().ok()?[0]);
            }
            int_vector(&node, "T", values)
        }
        "ConcatV2" => {
            let inputs = o.op().inputs().ok()?;
            let (values, _axis) = inputs.split_at(inputs.len() - 1);
            let mut all = Vec::new();
            for v in values {
                let t = constant_value(v)?;
                if t.rank() != 1 {
                    return None;
                }
                all.extend(t.to_i64_vec().ok()?);
            }
            int_vector(&node, "T", all)
        }
        _ => None,
    }
}

fn int_vector(node: &NodeDef, attr: &str, values: Vec<i64>) -> Option<Tensor> {
    let n = values.len() as i64;
    match Attrs::new(node).get_type_or(attr, DType::Int32).ok()? {
        DType::Int64 => Tensor::from_vec(vec![n], values).ok(),
        _ => Tensor::from_vec(vec![n], values.into_iter().map(|v| v as i32).collect::<Vec<_>>()).ok(),
    }
}

fn int_scalar(node: &NodeDef, attr: &str, value: i64) -> Option<Tensor> {
    match Attrs::new(node).get_type_or(attr, DType::Int32).ok()? {
        DType::Int64 => Some(Tensor::scalar(value)),
        _ => Some(Tensor::scalar(value as i32)),
    }
}

/// TF's `constant_value_as_shape`: the (partial) shape a 1-D shape tensor holds.
pub fn constant_value_as_shape(o: &Output) -> Shape {
    if o.shape().rank() == Some(0) {
        return Shape::unknown();
    }
    let node = o.op().node_def();
    match node.op.as_str() {
        "Shape" => o.op().inputs().map(|i| i[0].shape()).unwrap_or_default(),
        "Pack" => match o.op().inputs() {
            Ok(inputs) => Shape::from_partial(inputs.iter().map(|i| constant_value(i).and_then(|t| t.to_i64_vec().ok()).map(|v| v[0]).filter(|&d| d >= 0)).collect()),
            Err(_) => Shape::unknown(),
        },
        "ConcatV2" => {
            let Ok(inputs) = o.op().inputs() else { return Shape::unknown() };
            let mut dims = Vec::new();
            for v in &inputs[..inputs.len() - 1] {
                match constant_value_as_shape(v).dims() {
                    Some(d) => dims.extend_from_slice(d),
                    None => return Shape::unknown(),
                }
            }
            Shape::from_partial(dims)
        }
        _ => match constant_value(o).and_then(|t| t.to_i64_vec().ok()) {
            Some(v) => Shape::from_dims(&v),
            None => match o.shape().dim(0) {
                Some(n) => Shape::unknown_dims(n as usize),
                None => Shape::unknown(),
            },
        },
    }
}

fn axis_const(o: &Output) -> Option<Vec<i64>> {
    constant_value(o)?.to_i64_vec().ok()
}

fn normalize(axis: i64, rank: usize) -> Option<usize> {
    let r = rank as i64;
    let a = if axis < 0 { axis + r } else { axis };
    (0..r).contains(&a).then_some(a as usize)
}

/// The shapes of the outputs of `node`, whose inputs are `inputs` with static `shapes`.
pub fn infer(graph: &Graph, node: &NodeDef, inputs: &[Output], shapes: &[Shape], num_outputs: usize) -> Result<Vec<Shape>> {
    let _ = graph;
    let attrs = Attrs::new(node);
    let s = |i: usize| shapes.get(i).cloned().unwrap_or_default();
    let one = |x: Shape| Ok(vec![x]);
    match node.op.as_str() {
        "Placeholder" | "PlaceholderWithDefault" => {
            return one(attrs.get("shape").ok().and_then(|a| match &a.value {
                Some(ferroflow_proto::attr_value::Value::Shape(p)) => Some(Shape::from_proto(p)),
                _ => None,
            }).unwrap_or_default());
        }
        "Const" => return one(attrs.get_tensor("value").map(|t| Shape::from_dims(t.dims())).unwrap_or_default()),
        "VarHandleOp" | "VarIsInitializedOp" | "Size" | "Rank" => return one(Shape::scalar()),
        "ReadVariableOp" => {
            let var = inputs[0].op().node_def();
            let shape = if var.op == "VarHandleOp" { Attrs::new(&var).get_shape("shape").ok().flatten().map(|d| Shape::from_dims(&d)) } else { None };
            return one(shape.unwrap_or_default());
        }
        "Identity" | "Snapshot" | "StopGradient" | "PreventGradient" | "ZerosLike" | "OnesLike" | "Relu" | "Relu6" | "Elu" | "LeakyRelu" | "Sigmoid"
        | "Tanh" | "Softmax" | "LogSoftmax" | "Neg" | "Square" | "Exp" | "Log" | "Sqrt" | "Rsqrt" | "Reciprocal" | "Abs" | "Sign" | "Floor" | "Cast"
        | "LogicalNot" => return one(s(0)),
        "ReluGrad" | "Relu6Grad" | "EluGrad" | "LeakyReluGrad" | "SigmoidGrad" | "TanhGrad" | "SqrtGrad" | "RsqrtGrad" => {
            return one(s(0).merge(&s(1)).unwrap_or_default());
        }
        "AddV2" | "Sub" | "Mul" | "RealDiv" | "Maximum" | "Minimum" | "FloorMod" | "FloorDiv" | "TruncateDiv" | "Pow" | "SquaredDifference" | "Equal"
        | "NotEqual" | "Greater" | "GreaterEqual" | "Less" | "LessEqual" | "LogicalAnd" | "LogicalOr" => return one(broadcast(&s(0), &s(1))?),
        "SelectV2" => return one(broadcast(&broadcast(&s(0), &s(1))?, &s(2))?),
        "AddN" => {
            let mut out = Shape::unknown();
            for x in shapes {
                out = out.merge(x)?;
            }
            return one(out);
        }
        "MatMul" => {
            let (a, b) = (s(0), s(1));
            let ta = attrs.get_bool_or("transpose_a", false)?;
            let tb = attrs.get_bool_or("transpose_b", false)?;
            let m = if a.rank() == Some(2) { a.dim(if ta { 1 } else { 0 }) } else { None };
            let n = if b.rank() == Some(2) { b.dim(if tb { 0 } else { 1 }) } else { None };
            return one(Shape::from_partial(vec![m, n]));
        }
        "BiasAdd" | "BiasAddV1" => return one(s(0)),
        "BiasAddGrad" => {
            return one(match s(0).dims() {
                Some(d) if !d.is_empty() => Shape::from_partial(vec![d[d.len() - 1]]),
                _ => Shape::unknown_dims(1),
            });
        }
        "SparseSoftmaxCrossEntropyWithLogits" => {
            let logits = s(0);
            let batch = logits.dim(0).or_else(|| s(1).dim(0));
            return Ok(vec![Shape::from_partial(vec![batch]), Shape::from_partial(vec![batch, logits.dim(1)])]);
        }
        "SoftmaxCrossEntropyWithLogits" => {
            let b = broadcast(&s(0), &s(1)).unwrap_or_else(|_| Shape::unknown_dims(2));
            let b = if b.rank() == Some(2) { b } else { Shape::unknown_dims(2) };
            return Ok(vec![Shape::from_partial(vec![b.dim(0)]), b]);
        }
        "Sum" | "Mean" | "Max" | "Min" | "Prod" | "All" | "Any" => return one(reduced(&s(0), inputs.get(1), attrs.get_bool_or("keep_dims", false)?)),
        "ArgMax" | "ArgMin" => {
            let x = s(0);
            return one(match (x.dims(), inputs.get(1).and_then(axis_const)) {
                (Some(d), Some(a)) if a.len() == 1 => match normalize(a[0], d.len()) {
                    Some(ax) => Shape::from_partial(d.iter().enumerate().filter(|(i, _)| *i != ax).map(|(_, v)| *v).collect()),
                    None => Shape::unknown(),
                },
                (Some(d), _) if !d.is_empty() => Shape::unknown_dims(d.len() - 1),
                _ => Shape::unknown(),
            });
        }
        "Reshape" => return one(reshaped(&s(0), &inputs[1])),
        "ConcatV2" => return one(concatenated(&shapes[..shapes.len() - 1], &inputs[inputs.len() - 1])),
        "GatherV2" => {
            let axis = axis_const(&inputs[2]).and_then(|a| a.first().copied());
            let (p, ind) = (s(0), s(1));
            return one(match (p.dims(), ind.dims(), axis, attrs.get_int_or("batch_dims", 0)?) {
                (Some(pd), Some(id), Some(a), 0) => match normalize(a, pd.len()) {
                    Some(ax) => Shape::from_partial(pd[..ax].iter().chain(id).chain(&pd[ax + 1..]).copied().collect()),
                    None => Shape::unknown(),
                },
                _ => Shape::unknown(),
            });
        }
        "Shape" => return one(Shape::from_partial(vec![s(0).rank().map(|r| r as i64)])),
        "Fill" | "RandomUniform" | "RandomStandardNormal" | "TruncatedNormal" | "BroadcastTo" => {
            let from = if node.op == "BroadcastTo" { &inputs[1] } else { &inputs[0] };
            return one(constant_value_as_shape(from));
        }
        "Tile" => {
            let x = s(0);
            return one(match (x.dims(), axis_const(&inputs[1])) {
                (Some(d), Some(m)) if m.len() == d.len() => Shape::from_partial(d.iter().zip(&m).map(|(d, m)| d.map(|d| d * m)).collect()),
                (Some(d), _) => Shape::unknown_dims(d.len()),
                _ => Shape::unknown(),
            });
        }
        "ExpandDims" => {
            let x = s(0);
            return one(match (x.dims(), axis_const(&inputs[1])) {
                (Some(d), Some(a)) if a.len() == 1 => match normalize(a[0], d.len() + 1) {
                    Some(ax) => {
                        let mut v = d.to_vec();
                        v.insert(ax, Some(1));
                        Shape::from_partial(v)
                    }
                    None => Shape::unknown(),
                },
                (Some(d), _) => Shape::unknown_dims(d.len() + 1),
                _ => Shape::unknown(),
            });
        }
        "Squeeze" => {
            let x = s(0);
            let dims = attrs.get_list_int("squeeze_dims")?;
            return one(match x.dims() {
                Some(d) if !dims.is_empty() => {
                    let drop: Vec<usize> = dims.iter().filter_map(|&a| normalize(a, d.len())).collect();
                    Shape::from_partial(d.iter().enumerate().filter(|(i, _)| !drop.contains(i)).map(|(_, v)| *v).collect())
                }
                Some(d) if d.iter().all(Option::is_some) => Shape::from_partial(d.iter().filter(|v| **v != Some(1)).copied().collect()),
                _ => Shape::unknown(),
            });
        }
        "BroadcastGradientArgs" => return Ok(vec![Shape::unknown_dims(1), Shape::unknown_dims(1)]),
        "Pack" => {
            let n = shapes.len() as i64;
            let mut out = Shape::unknown();
            for x in shapes {
                out = out.merge(x)?;
            }
            return one(match out.dims() {
                Some(d) => match normalize(attrs.get_int_or("axis", 0)?, d.len() + 1) {
                    Some(ax) => {
                        let mut v = d.to_vec();
                        v.insert(ax, Some(n));
                        Shape::from_partial(v)
                    }
                    None => Shape::unknown(),
                },
                None => Shape::unknown(),
            });
        }
        "UnsortedSegmentSum" => {
            let (data, ids) = (s(0), s(1));
            let n = constant_value(&inputs[2]).and_then(|t| t.to_i64_vec().ok()).map(|v| v[0]);
            return one(match (data.dims(), ids.rank()) {
                (Some(d), Some(r)) if r <= d.len() => Shape::from_partial(std::iter::once(n).chain(d[r..].iter().copied()).collect()),
                _ => Shape::unknown(),
            });
        }
        "Transpose" => {
            let x = s(0);
            return one(match (x.dims(), axis_const(&inputs[1])) {
                (Some(d), Some(p)) if p.len() == d.len() => {
                    Shape::from_partial(p.iter().map(|&i| normalize(i, d.len()).and_then(|i| d[i])).collect())
                }
                (Some(d), _) => Shape::unknown_dims(d.len()),
                _ => Shape::unknown(),
            });
        }
        "Slice" => {
            let x = s(0);
            return one(match (axis_const(&inputs[1]), axis_const(&inputs[2]), x.dims()) {
                (Some(b), Some(z), Some(d)) if b.len() == d.len() && z.len() == d.len() => Shape::from_partial(
                    z.iter().zip(&b).zip(d).map(|((&z, &b), &d)| if z >= 0 { Some(z) } else { d.map(|d| d - b) }).collect(),
                ),
                _ => match s(1).dim(0) {
                    Some(n) => Shape::unknown_dims(n as usize),
                    None => Shape::unknown(),
                },
            });
        }
        "ConcatOffset" => return Ok(shapes[1..].to_vec()),
        _ => {}
    }
    Ok(vec![Shape::unknown(); num_outputs])
}

fn reduced(x: &Shape, axes: Option<&Output>, keep_dims: bool) -> Shape {
    let Some(d) = x.dims() else { return Shape::unknown() };
    let Some(axes) = axes.and_then(axis_const) else {
        return if keep_dims { Shape::unknown_dims(d.len()) } else { Shape::unknown() };
    };
    let mut reduce = vec![false; d.len()];
    for a in axes {
        match normalize(a, d.len()) {
            Some(i) => reduce[i] = true,
            None => return Shape::unknown(),
        }
    }
    Shape::from_partial(
        d.iter().zip(&reduce).filter_map(|(v, &r)| if r { keep_dims.then_some(Some(1)) } else { Some(*v) }).collect(),
    )
}

fn reshaped(x: &Shape, shape: &Output) -> Shape {
    let target = constant_value_as_shape(shape);
    let Some(dims) = target.dims() else { return target };
    let raw = constant_value(shape).and_then(|t| t.to_i64_vec().ok());
    let Some(raw) = raw else { return target };
    if let (Some(total), 1) = (x.num_elements(), raw.iter().filter(|&&d| d == -1).count()) {
        let known: i64 = raw.iter().filter(|&&d| d != -1).product();
        if known > 0 && total % known == 0 {
            return Shape::from_partial(raw.iter().map(|&d| Some(if d == -1 { total / known } else { d })).collect());
        }
    }
    Shape::from_partial(dims.to_vec())
}

fn concatenated(values: &[Shape], axis: &Output) -> Shape {
    let Some(rank) = values.iter().find_map(Shape::rank) else { return Shape::unknown() };
    let Some(ax) = axis_const(axis).and_then(|a| a.first().copied()).and_then(|a| normalize(a, rank)) else {
        return Shape::unknown_dims(rank);
    };
    let mut out: Vec<Option<i64>> = vec![None; rank];
    let mut total = Some(0i64);
    for (k, v) in values.iter().enumerate() {
        let Some(d) = v.dims() else {
            total = None;
            continue;
        };
        if d.len() != rank {
            return Shape::unknown();
        }
        for i in 0..rank {
            if i == ax {
                total = total.and_then(|t| d[i].map(|x| t + x));
            } else if k == 0 || out[i].is_none() {
                out[i] = out[i].or(d[i]);
            }
        }
    }
    out[ax] = total;
    Shape::from_partial(out)
}

#[cfg(test)]
mod tests {
    use crate::graph::Graph;
    use crate::ops::{array, math};
    use crate::shape::Shape;
    use ferroflow_framework::DType;

    #[test]
    fn shapes_follow_tf_shape_functions() {
        let g = Graph::new();
        let s = g.scope();
        let x = array::placeholder(&s, DType::Float, [6, 4]).unwrap();
        assert_eq!(array::expand_dims(&s, &x, -1).unwrap().shape(), Shape::from_dims(&[6, 4, 1]));
        assert_eq!(array::expand_dims(&s, &x, 0).unwrap().shape(), Shape::from_dims(&[1, 6, 4]));
        assert_eq!(array::reshape_to(&s, &x, &[-1, 8]).unwrap().shape(), Shape::from_dims(&[3, 8]));
        assert_eq!(math::reduce_sum(&s, &x, 1i64, true).unwrap().shape(), Shape::from_dims(&[6, 1]));
        assert_eq!(math::reduce_mean(&s, &x, math::Axes::All, false).unwrap().shape(), Shape::scalar());
        let y = array::placeholder(&s, DType::Float, [-1, 4]).unwrap();
        assert_eq!(array::concat(&s, vec![x.clone().into(), y.clone().into()], 0).unwrap().shape(), Shape::from_dims(&[-1, 4]));
        assert_eq!(math::matmul(&s, &y, &x, false, true).unwrap().shape(), Shape::from_dims(&[-1, 6]));
        let sh = array::shape(&s, &y, DType::Int32).unwrap();
        assert_eq!(sh.op().op_type(), "Shape");
        assert_eq!(array::reshape(&s, &x, array::shape(&s, &x, DType::Int32).unwrap()).unwrap().shape(), Shape::from_dims(&[6, 4]));
        assert!(math::op_add(&s, &x, array::placeholder(&s, DType::Float, [5]).unwrap()).is_err());
    }
}
