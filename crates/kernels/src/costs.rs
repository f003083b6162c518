//! How much work each op's kernel does, for the executor's choice between running a ready node on
//! the thread at hand and sending it to the compute pool (see `KernelCost`). Ops not listed are
//! `Expensive`: always the pool. Plain data.

use ferroflow_framework::{KernelCost, KernelRegistry};

/// Constant work: metadata, sharing an input's buffer, rendezvous hand-offs, resource lookups.
const TRIVIAL: &[&str] = &[
    "Const", "Identity", "IdentityN", "Snapshot", "StopGradient", "PreventGradient", "NoOp", "Placeholder",
    "PlaceholderWithDefault", "_Arg", "_Retval", "_Send", "_HostSend", "_Recv", "_HostRecv", "Shape", "Size", "Rank",
    "Reshape", "Squeeze", "ExpandDims", "VarHandleOp", "VarIsInitializedOp", "ReadVariableOp", "VariableShape",
    "DestroyResourceOp", "AssignVariableOp", "BroadcastGradientArgs", "ConcatOffset", "InvertPermutation",
];

/// Work and output bounded by the inputs' size.
const PROPORTIONAL: &[&str] = &[
    // element-wise
    "Abs", "AddN", "AddV2", "Cast", "Elu", "EluGrad", "Equal", "Exp", "Floor", "FloorDiv", "FloorMod", "Greater",
    "GreaterEqual", "LeakyRelu", "LeakyReluGrad", "Less", "LessEqual", "Log", "LogicalAnd", "LogicalNot", "LogicalOr",
    "Maximum", "Minimum", "Mul", "Neg", "NotEqual", "OnesLike", "Pow", "RealDiv", "Reciprocal", "Relu", "Relu6",
    "Relu6Grad", "ReluGrad", "Rsqrt", "RsqrtGrad", "Select", "SelectV2", "Sigmoid", "SigmoidGrad", "Sign", "Sqrt",
    "SqrtGrad", "Square", "SquaredDifference", "Sub", "Tanh", "TanhGrad", "TruncateDiv", "ZerosLike",
    // reductions and nn
    "All", "Any", "ArgMax", "ArgMin", "Max", "Mean", "Min", "Prod", "Sum", "L2Loss", "BiasAdd", "BiasAddV1",
    "BiasAddGrad", "Softmax", "LogSoftmax", "SoftmaxCrossEntropyWithLogits", "SparseSoftmaxCrossEntropyWithLogits",
    "MatMul", "_FusedMatMul",
    // rearrangements
    "Concat", "ConcatV2", "Pack", "Unpack", "Gather", "GatherV2", "Slice", "StridedSlice", "Transpose",
    "DynamicStitch",
    // variable updates (the update is as large as the gradient input)
    "AssignAddVariableOp", "AssignSubVariableOp", "ResourceApplyGradientDescent", "ResourceApplyAdam",
    "ResourceApplyAdamWithAmsgrad", "ResourceApplyAdagrad", "ResourceApplyMomentum", "ResourceApplyRMSProp",
];

pub(crate) fn register(reg: &mut KernelRegistry) {
    for op in TRIVIAL {
        reg.set_cost(op, KernelCost::Trivial);
    }
    for op in PROPORTIONAL {
        reg.set_cost(op, KernelCost::ProportionalToInputs);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_costed_op_has_a_kernel_and_generators_stay_expensive() {
        let reg = crate::registry();
        for op in TRIVIAL.iter().chain(PROPORTIONAL) {
            assert!(reg.contains(op), "{op} has a cost but no kernel");
        }
        for op in ["Fill", "Tile", "BroadcastTo", "Range", "RandomUniform", "Pad", "UnsortedSegmentSum", "StridedSliceGrad"] {
            assert_eq!(reg.cost(op), KernelCost::Expensive, "{op}: output size comes from an input's value");
        }
    }
}
