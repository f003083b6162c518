//! Default attr values of the ops registered here, as TF's op definitions declare them. A NodeDef
//! may omit an attr that has a default (graphs rewritten by TF's master often do); the registry
//! fills these in before a kernel is built. Facts from TF's op registrations; plain data.

use ferroflow_framework::{DType, KernelRegistry};
use ferroflow_proto::{AttrValue, attr_value::{ListValue, Value}};

fn ty(d: DType) -> AttrValue {
    AttrValue { value: Some(Value::Type(d.to_proto())) }
}
fn b(v: bool) -> AttrValue {
    AttrValue { value: Some(Value::B(v)) }
}
fn i(v: i64) -> AttrValue {
    AttrValue { value: Some(Value::I(v)) }
}
fn f(v: f32) -> AttrValue {
    AttrValue { value: Some(Value::F(v)) }
}
fn s(v: &str) -> AttrValue {
    AttrValue { value: Some(Value::S(v.as_bytes().to_vec().into())) }
}
fn empty_list() -> AttrValue {
    AttrValue { value: Some(Value::List(ListValue::default())) }
}

pub(crate) fn register(reg: &mut KernelRegistry) {
    use DType::*;
    let int32_index: &[(&str, &str)] = &[
        ("ExpandDims", "Tdim"),
        ("Reshape", "Tshape"),
        ("Tile", "Tmultiples"),
        ("Fill", "index_type"),
        ("ConcatV2", "Tidx"),
        ("Transpose", "Tperm"),
        ("Range", "Tidx"),
        ("Pad", "Tpaddings"),
        ("UnsortedSegmentSum", "Tnumsegments"),
        ("Shape", "out_type"),
        ("Size", "out_type"),
        ("BroadcastGradientArgs", "T"),
        ("ArgMax", "Tidx"),
        ("ArgMin", "Tidx"),
        ("VariableShape", "out_type"),
        ("BroadcastTo", "Tidx"),
        ("ConcatOffset", "shape_type"),
    ];
    for (op, attr) in int32_index {
        reg.set_default(op, attr, ty(Int32));
    }
    for op in ["Sum", "Mean", "Prod", "Max", "Min", "All", "Any"] {
        reg.set_default(op, "keep_dims", b(false));
        reg.set_default(op, "Tidx", ty(Int32));
    }
    for op in ["ArgMax", "ArgMin"] {
        reg.set_default(op, "output_type", ty(Int64));
    }
    for op in ["MatMul", "_FusedMatMul"] {
        reg.set_default(op, "transpose_a", b(false));
        reg.set_default(op, "transpose_b", b(false));
    }
    reg.set_default("_FusedMatMul", "num_args", i(0));
    reg.set_default("_FusedMatMul", "epsilon", f(0.0001));
    reg.set_default("_FusedMatMul", "leakyrelu_alpha", f(0.2));
    reg.set_default("_FusedMatMul", "fused_ops", empty_list());
    reg.set_default("Cast", "Truncate", b(false));
    reg.set_default("GatherV2", "batch_dims", i(0));
    reg.set_default("Squeeze", "squeeze_dims", empty_list());
    for mask in ["begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask"] {
        reg.set_default("StridedSlice", mask, i(0));
        reg.set_default("StridedSliceGrad", mask, i(0));
    }
    reg.set_default("Pack", "axis", i(0));
    reg.set_default("Unpack", "axis", i(0));
    for op in ["RandomUniform", "RandomStandardNormal", "TruncatedNormal", "RandomUniformInt"] {
        reg.set_default(op, "seed", i(0));
        reg.set_default(op, "seed2", i(0));
    }
    reg.set_default("VarHandleOp", "container", s(""));
    reg.set_default("VarHandleOp", "shared_name", s(""));
    reg.set_default("AssignVariableOp", "validate_shape", b(false));
    reg.set_default("DestroyResourceOp", "ignore_lookup_error", b(true));
    for op in [
        "ResourceApplyGradientDescent",
        "ResourceApplyAdam",
        "ResourceApplyMomentum",
        "ResourceApplyAdagrad",
        "ResourceApplyRMSProp",
        "ResourceApplyAdamWithAmsgrad",
    ] {
        reg.set_default(op, "use_locking", b(false));
    }
    reg.set_default("ResourceApplyAdam", "use_nesterov", b(false));
    reg.set_default("ResourceApplyMomentum", "use_nesterov", b(false));
    reg.set_default("ResourceApplyAdagrad", "update_slots", b(true));
    reg.set_default("SparseSoftmaxCrossEntropyWithLogits", "Tlabels", ty(Int64));
    reg.set_default("Equal", "incompatible_shape_error", b(true));
    reg.set_default("NotEqual", "incompatible_shape_error", b(true));
    reg.set_default("BiasAdd", "data_format", s("NHWC"));
    reg.set_default("BiasAddGrad", "data_format", s("NHWC"));
    reg.set_default("LeakyRelu", "alpha", f(0.2));
    for op in ["_Send", "_Recv", "_HostSend", "_HostRecv"] {
        reg.set_default(op, "client_terminated", b(false));
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::{node, run};
    use ferroflow_framework::Tensor;

    #[test]
    fn omitted_defaulted_attrs_are_filled_in() {
        // BroadcastGradientArgs without its T attr (int32 by default), as TF's master may send it.
        let s0 = Tensor::from_vec(vec![2], vec![2i32, 3]).unwrap();
        let s1 = Tensor::from_vec(vec![1], vec![3i32]).unwrap();
        let out = run(node("BroadcastGradientArgs"), vec![s0, s1]).unwrap();
        assert_eq!(out[1].values::<i32>().unwrap().as_ref(), &[0]);
        // Sum without keep_dims and Tidx.
        let x = Tensor::from_vec(vec![2, 2], vec![1.0f32, 2.0, 3.0, 4.0]).unwrap();
        let out = run(node("Sum").attr_type("T", ferroflow_framework::DType::Float), vec![x, Tensor::scalar(0i32)]).unwrap();
        assert_eq!(out[0].values::<f32>().unwrap().as_ref(), &[4.0, 6.0]);
    }
}
