//! Output types of graph nodes, inferred from their op and attributes as TF's op registry would
//! (`T`, `dtype`, `out_type`, `DstT`, `output_type`, `Tout`, `tensor_type`, ... and op-specific
//! rules). The master needs them without kernels: for the `tensor_type`/`T` of the `_Recv`/`_Send`
//! pairs that cut an edge, for the type of fed and fetched tensors, for output-index checks, and to
//! know which edges carry resource handles (the placer colocates those).
//!
//! Covers every op ferroflow's kernels implement plus the common TF ops around them; an op it does
//! not know is UNIMPLEMENTED, naming the op and the node. Pure functions.

use ferroflow_framework::{Attrs, DType, Error, Result};
use ferroflow_proto::NodeDef;

/// Ops whose outputs all have the type of attr `T`, one output each.
#[rustfmt::skip]
const SAME_AS_T: &[&str] = &[
    // identity-like and control flow
    "Identity", "Snapshot", "StopGradient", "PreventGradient", "CheckNumerics", "Print", "Enter", "Exit",
    "NextIteration", "RefEnter", "RefExit", "RefNextIteration", "RefIdentity", "DebugIdentity", "EnsureShape",
    // unary
    "Abs", "Neg", "Exp", "Expm1", "Log", "Log1p", "Sqrt", "Rsqrt", "Square", "Reciprocal", "Inv", "Sign", "Floor",
    "Ceil", "Round", "Rint", "Tanh", "Sigmoid", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh",
    "Acosh", "Atanh", "Erf", "Erfc", "Lgamma", "Digamma", "Softplus", "Softsign", "Relu", "Relu6", "Elu", "Selu",
    "LeakyRelu", "OnesLike", "ZerosLike", "Invert", "ClipByValue", "Conj",
    // gradients of unary ops
    "ReluGrad", "Relu6Grad", "EluGrad", "SeluGrad", "LeakyReluGrad", "SoftplusGrad", "SoftsignGrad", "SigmoidGrad",
    "TanhGrad", "SqrtGrad", "RsqrtGrad", "ReciprocalGrad", "InvGrad", "BiasAddGrad",
    // binary and n-ary
    "Add", "AddV2", "Sub", "Mul", "Div", "RealDiv", "DivNoNan", "MulNoNan", "FloorDiv", "FloorMod", "TruncateDiv",
    "TruncateMod", "Mod", "Pow", "Maximum", "Minimum", "SquaredDifference", "Atan2", "Xdivy", "Xlogy", "Xlog1py",
    "BitwiseAnd", "BitwiseOr", "BitwiseXor", "LeftShift", "RightShift", "AddN", "AccumulateNV2",
    // array
    "Reshape", "ExpandDims", "Squeeze", "Transpose", "ConjugateTranspose", "Tile", "Pad", "PadV2", "MirrorPad",
    "Slice", "StridedSlice", "StridedSliceGrad", "Reverse", "ReverseV2", "BroadcastTo", "Pack", "Concat", "ConcatV2",
    "Fill", "Select", "SelectV2", "InvertPermutation", "DynamicStitch", "ParallelDynamicStitch", "Roll", "OneHot",
    "Cumsum", "Cumprod", "Diag", "DiagPart", "MatrixDiag", "MatrixDiagPart", "MatrixBandPart", "TensorScatterUpdate",
    "TensorScatterAdd", "TensorScatterSub", "ScatterNd", "LinSpace", "TileGrad",
    // math and nn
    "MatMul", "BatchMatMul", "BatchMatMulV2", "_FusedMatMul", "Sum", "Mean", "Prod", "Max", "Min", "EuclideanNorm",
    "L2Loss", "UnsortedSegmentSum", "Softmax", "LogSoftmax", "BiasAdd", "BiasAddV1", "Conv2D", "Conv2DBackpropInput",
    "Conv2DBackpropFilter", "DepthwiseConv2dNative", "DepthwiseConv2dNativeBackpropInput",
    "DepthwiseConv2dNativeBackpropFilter", "_FusedConv2D", "MaxPool", "AvgPool", "MaxPoolGrad", "AvgPoolGrad",
    "MaxPoolV2", "MaxPoolGradV2", "LRN", "Einsum", "Cross",
    // ref-variable updates return the updated ref
    "Assign", "AssignAdd", "AssignSub", "ScatterUpdate", "ScatterAdd", "ScatterSub", "ScatterMul", "ScatterDiv",
];

/// Ops with one boolean output.
#[rustfmt::skip]
const BOOL_OUT: &[&str] = &[
    "Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual", "LogicalAnd", "LogicalOr", "LogicalNot",
    "IsNan", "IsInf", "IsFinite", "ApproximateEqual", "All", "Any", "VarIsInitializedOp", "IsVariableInitialized",
    "LoopCond", "InTopK", "InTopKV2",
];

/// Ops with one output of the type in attr `dtype`.
#[rustfmt::skip]
const DTYPE_OUT: &[&str] = &[
    "Const", "Placeholder", "PlaceholderV2", "PlaceholderWithDefault", "ReadVariableOp", "RandomUniform",
    "RandomStandardNormal", "TruncatedNormal", "ParameterizedTruncatedNormal", "ResourceGather", "ResourceGatherNd",
    "ImmutableConst", "Empty", "VariableV2", "Variable", "TemporaryVariable", "HostConst",
];

/// Ops with no outputs (besides the ones matched by prefix in [`no_outputs`]).
#[rustfmt::skip]
const NO_OUT: &[&str] = &[
    "NoOp", "_Send", "_HostSend", "_Retval", "AssignVariableOp", "AssignAddVariableOp", "AssignSubVariableOp",
    "DestroyResourceOp", "ControlTrigger", "SaveV2", "Save", "SaveSlices", "Assert", "PrintV2",
    "ResourceStridedSliceAssign",
];

fn no_outputs(op: &str) -> bool {
    NO_OUT.contains(&op)
        || op.starts_with("ResourceApply")
        || op.starts_with("ResourceSparseApply")
        || op.starts_with("ResourceScatter")
}

/// The types of every output of `node`, in order.
pub fn output_types(node: &NodeDef) -> Result<Vec<DType>> {
    let a = Attrs::new(node);
    let op = node.op.as_str();
    let t = || a.get_type("T");
    let n_of = |count_attr: &str, d: DType| -> Result<Vec<DType>> {
        let n = a.get_int(count_attr)?;
        Ok(vec![d; usize::try_from(n).unwrap_or(0)])
    };
    if no_outputs(op) {
        return Ok(Vec::new());
    }
    if SAME_AS_T.contains(&op) {
        return Ok(vec![t()?]);
    }
    if BOOL_OUT.contains(&op) {
        return Ok(vec![DType::Bool]);
    }
    if DTYPE_OUT.contains(&op) {
        return Ok(vec![a.get_type("dtype")?]);
    }
    // Ref-variable optimizers (`ApplyAdam`, `SparseApplyMomentum`, ...) return the updated ref.
    if op.starts_with("Apply") || op.starts_with("SparseApply") {
        return Ok(vec![t()?]);
    }
    let one = |d: Result<DType>| d.map(|d| vec![d]);
    match op {
        "VarHandleOp" | "_VarHandle" | "HashTableV2" | "MutableHashTableV2" => Ok(vec![DType::Resource]),
        "_Recv" | "_HostRecv" => one(a.get_type("tensor_type")),
        "_Arg" => one(t()),
        "Cast" => one(a.get_type("DstT")),
        "Bitcast" => one(a.get_type("type")),
        "Shape" | "Size" | "VariableShape" => one(a.get_type_or("out_type", DType::Int32)),
        "Rank" | "Bucketize" => Ok(vec![DType::Int32]),
        "ShapeN" => n_of("N", a.get_type_or("out_type", DType::Int32)?),
        "ArgMax" | "ArgMin" => one(a.get_type_or("output_type", DType::Int64)),
        "Multinomial" => one(a.get_type_or("output_dtype", DType::Int64)),
        "RandomUniformInt" | "BatchMatMulV3" => one(a.get_type("Tout")),
        "StatelessRandomUniform" | "StatelessRandomNormal" | "StatelessTruncatedNormal" => {
            one(a.get_type_or("dtype", DType::Float))
        }
        "StatelessRandomUniformInt" => one(a.get_type("dtype")),
        "Range" => one(a.get_type_or("Tidx", DType::Int32)),
        "Where" => Ok(vec![DType::Int64]),
        "Gather" | "GatherV2" | "GatherNd" => one(a.get_type("Tparams")),
        "BroadcastGradientArgs" => Ok(vec![a.get_type_or("T", DType::Int32)?; 2]),
        "SparseSoftmaxCrossEntropyWithLogits" | "SoftmaxCrossEntropyWithLogits" | "Switch" | "RefSwitch" => {
            Ok(vec![t()?; 2])
        }
        "Merge" | "RefMerge" => Ok(vec![t()?, DType::Int32]),
        "Unpack" => n_of("num", t()?),
        "Split" | "SplitV" => n_of("num_split", t()?),
        "DynamicPartition" => n_of("num_partitions", t()?),
        "ConcatOffset" => n_of("N", a.get_type_or("shape_type", DType::Int32)?),
        "IdentityN" => a.get_list_type("T"),
        "RestoreV2" => a.get_list_type("dtypes"),
        "TopK" | "TopKV2" => Ok(vec![t()?, a.get_type_or("index_type", DType::Int32)?]),
        "Unique" => Ok(vec![t()?, a.get_type_or("out_idx", DType::Int32)?]),
        "FusedBatchNorm" | "FusedBatchNormGrad" => Ok(vec![t()?; 5]),
        "FusedBatchNormV2" | "FusedBatchNormGradV2" => {
            let u = a.get_type("U")?;
            Ok(vec![t()?, u, u, u, u])
        }
        "FusedBatchNormV3" | "FusedBatchNormGradV3" => {
            let u = a.get_type("U")?;
            Ok(vec![t()?, u, u, u, u, u])
        }
        _ => Err(Error::unimplemented(format!(
            "ferroflow cannot infer the output types of op '{op}' (node '{}')",
            node.name
        ))),
    }
}

/// The type of output `slot` of `node`; INVALID_ARGUMENT if the node has no such output.
pub fn output_type(node: &NodeDef, slot: usize) -> Result<DType> {
    let types = match output_types(node) {
        Ok(types) => types,
        // An op the master has no rule for (perhaps one only a TF worker implements): most ops name
        // their output type `T` or `dtype`, which is what TF's op definitions would give.
        Err(e) => {
            let attrs = Attrs::new(node);
            let guess = ["T", "dtype"].iter().find_map(|a| attrs.get_type(a).ok());
            return guess.ok_or(e);
        }
    };
    types.get(slot).copied().ok_or_else(|| {
        Error::invalid_argument(format!(
            "Node '{}' (op '{}') has {} outputs; output {slot} does not exist",
            node.name,
            node.op,
            types.len()
        ))
    })
}

/// Input positions at which `op` takes a resource handle, for ops whose source types may be
/// unknown: the variable ops and the resource optimizers.
pub fn resource_inputs(op: &str) -> &'static [usize] {
    match op {
        "ReadVariableOp"
        | "AssignVariableOp"
        | "AssignAddVariableOp"
        | "AssignSubVariableOp"
        | "VarIsInitializedOp"
        | "ResourceGather"
        | "ResourceGatherNd"
        | "VariableShape"
        | "DestroyResourceOp"
        | "ResourceApplyGradientDescent"
        | "ResourceStridedSliceAssign" => &[0],
        "ResourceApplyMomentum"
        | "ResourceApplyKerasMomentum"
        | "ResourceApplyAdagrad"
        | "ResourceApplyAdagradV2"
        | "ResourceSparseApplyMomentum"
        | "ResourceSparseApplyAdagrad" => &[0, 1],
        "ResourceApplyAdam"
        | "ResourceApplyRMSProp"
        | "ResourceApplyAdadelta"
        | "ResourceApplyAdaMax"
        | "ResourceApplyFtrl"
        | "ResourceApplyFtrlV2"
        | "ResourceSparseApplyRMSProp" => &[0, 1, 2],
        "ResourceApplyAdamWithAmsgrad" | "ResourceApplyCenteredRMSProp" => &[0, 1, 2, 3],
        _ if op.starts_with("ResourceApply")
            || op.starts_with("ResourceSparseApply")
            || op.starts_with("ResourceScatter") =>
        {
            &[0]
        }
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferroflow_framework::node_def::NodeDefBuilder;

    fn types(b: NodeDefBuilder) -> Result<Vec<DType>> {
        output_types(&b.build())
    }

    #[test]
    fn attr_driven_and_op_specific_rules() {
        let n = |op| NodeDefBuilder::new("n", op);
        assert_eq!(types(n("MatMul").attr_type("T", DType::Float)).unwrap(), vec![DType::Float]);
        assert_eq!(types(n("Const").attr_type("dtype", DType::Int32)).unwrap(), vec![DType::Int32]);
        assert_eq!(types(n("Shape").attr_type("T", DType::Float)).unwrap(), vec![DType::Int32]);
        assert_eq!(types(n("Shape").attr_type("out_type", DType::Int64)).unwrap(), vec![DType::Int64]);
        assert_eq!(types(n("Equal").attr_type("T", DType::Int64)).unwrap(), vec![DType::Bool]);
        assert_eq!(types(n("VarHandleOp").attr_type("dtype", DType::Float)).unwrap(), vec![DType::Resource]);
        assert_eq!(types(n("ArgMax").attr_type("T", DType::Float)).unwrap(), vec![DType::Int64]);
        assert_eq!(types(n("BroadcastGradientArgs")).unwrap(), vec![DType::Int32; 2]);
        assert_eq!(
            types(n("SparseSoftmaxCrossEntropyWithLogits").attr_type("T", DType::Float)).unwrap(),
            vec![DType::Float; 2]
        );
        assert_eq!(
            types(n("Cast").attr_type("SrcT", DType::Bool).attr_type("DstT", DType::Float)).unwrap(),
            vec![DType::Float]
        );
        assert_eq!(types(n("Rank")).unwrap(), vec![DType::Int32]);
        assert_eq!(types(n("Unpack").attr_type("T", DType::Float).attr_int("num", 3)).unwrap(), vec![DType::Float; 3]);
        assert_eq!(types(n("_Recv").attr_type("tensor_type", DType::Double)).unwrap(), vec![DType::Double]);
        assert!(types(n("ResourceApplyAdam").attr_type("T", DType::Float)).unwrap().is_empty());
        assert!(types(n("NoOp")).unwrap().is_empty());
        assert_eq!(types(n("ApplyGradientDescent").attr_type("T", DType::Float)).unwrap(), vec![DType::Float]);
    }

    #[test]
    fn unknown_ops_and_missing_attrs_are_errors_naming_the_node() {
        let e = types(NodeDefBuilder::new("q", "FancyOp")).unwrap_err();
        assert_eq!(e.code, ferroflow_framework::Code::Unimplemented);
        assert!(e.message.contains("'FancyOp'") && e.message.contains("'q'"), "{}", e.message);
        let e = types(NodeDefBuilder::new("m", "MatMul")).unwrap_err();
        assert!(e.message.contains("missing attr 'T'"), "{}", e.message);
        let e =
            output_type(&NodeDefBuilder::new("c", "Const").attr_type("dtype", DType::Float).build(), 1).unwrap_err();
        assert!(e.message.contains("output 1 does not exist"), "{}", e.message);
    }

    #[test]
    fn resource_input_positions() {
        assert_eq!(resource_inputs("ReadVariableOp"), &[0]);
        assert_eq!(resource_inputs("ResourceApplyAdam"), &[0, 1, 2]);
        assert_eq!(resource_inputs("ResourceApplySomethingNew"), &[0]);
        assert!(resource_inputs("MatMul").is_empty());
    }
}
