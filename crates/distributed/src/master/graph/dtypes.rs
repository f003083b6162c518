//! Types of graph nodes' outputs and inputs, for the master, which needs them without kernels: the
//! `tensor_type`/`T` of the `_Recv`/`_Send` pairs that cut an edge, the types of fed and fetched
//! tensors, output-index checks, and which edges carry resource handles (the placer colocates
//! those). They come from the op definitions of ferroflow's registry (each op's signature, as TF
//! declares it). For an op ferroflow does not define — one only a TF worker of the cluster runs —
//! the type of an output is what TF's op definitions most often give, attr `T` or `dtype`.
//!
//! Pure functions.

use ferroflow_framework::{Attrs, DType, Error, Result};
use ferroflow_proto::NodeDef;

/// The types of every output of `node`, in order; UNIMPLEMENTED (naming op and node) for an op
/// ferroflow does not define.
pub fn output_types(node: &NodeDef) -> Result<Vec<DType>> {
    let registry = ferroflow_kernels::registry();
    if registry.get(&node.op).is_none() {
        return Err(Error::unimplemented(format!(
            "ferroflow cannot infer the output types of op '{}' (node '{}')",
            node.op, node.name
        )));
    }
    registry.output_types(node)
}

/// The type of output `slot` of `node`; INVALID_ARGUMENT if the node has no such output.
pub fn output_type(node: &NodeDef, slot: usize) -> Result<DType> {
    let types = match output_types(node) {
        Ok(types) => types,
        Err(e) if e.code == ferroflow_framework::Code::Unimplemented => {
            let attrs = Attrs::new(node);
            let guess = ["T", "dtype"].iter().find_map(|a| attrs.get_type(a).ok());
            return guess.ok_or(e);
        }
        Err(e) => return Err(e),
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

/// True if input `slot` of `node` takes a resource handle, for when the producer's types are
/// unknown. An op ferroflow does not define is judged by TF's naming: resource-variable updates
/// (`ResourceApply*`, `ResourceSparseApply*`, `ResourceScatter*`) take the variable first.
pub fn is_resource_input(node: &NodeDef, slot: usize) -> bool {
    let registry = ferroflow_kernels::registry();
    match registry.get(&node.op) {
        Some(_) => registry.input_types(node).is_ok_and(|t| t.get(slot) == Some(&DType::Resource)),
        None => {
            slot == 0
                && ["ResourceApply", "ResourceSparseApply", "ResourceScatter"].iter().any(|p| node.op.starts_with(p))
        }
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
    fn types_follow_the_op_definitions() {
        let n = |op| NodeDefBuilder::new("n", op);
        assert_eq!(types(n("MatMul").attr_type("T", DType::Float)).unwrap(), vec![DType::Float]);
        assert_eq!(types(n("Const").attr_type("dtype", DType::Int32)).unwrap(), vec![DType::Int32]);
        // Shape's out_type defaults to int32.
        assert_eq!(types(n("Shape").attr_type("T", DType::Float)).unwrap(), vec![DType::Int32]);
        assert_eq!(types(n("Shape").attr_type("out_type", DType::Int64).attr_type("T", DType::Float)).unwrap(), vec![DType::Int64]);
        assert_eq!(types(n("Equal").attr_type("T", DType::Int64)).unwrap(), vec![DType::Bool]);
        assert_eq!(types(n("VarHandleOp").attr_type("dtype", DType::Float)).unwrap(), vec![DType::Resource]);
        assert_eq!(types(n("ArgMax").attr_type("T", DType::Float)).unwrap(), vec![DType::Int64]);
        assert_eq!(types(n("BroadcastGradientArgs")).unwrap(), vec![DType::Int32; 2]);
        assert_eq!(types(n("Unpack").attr_type("T", DType::Float).attr_int("num", 3)).unwrap(), vec![DType::Float; 3]);
        assert_eq!(types(n("_Recv").attr_type("tensor_type", DType::Double)).unwrap(), vec![DType::Double]);
        assert_eq!(types(n("Switch").attr_type("T", DType::Float)).unwrap(), vec![DType::Float; 2]);
        assert!(types(n("ResourceApplyAdam").attr_type("T", DType::Float)).unwrap().is_empty());
        assert!(types(n("NoOp")).unwrap().is_empty());
    }

    #[test]
    fn unknown_ops_are_guessed_or_unimplemented_and_bad_counts_are_errors() {
        let e = types(NodeDefBuilder::new("q", "FancyOp")).unwrap_err();
        assert_eq!(e.code, ferroflow_framework::Code::Unimplemented);
        assert!(e.message.contains("'FancyOp'") && e.message.contains("'q'"), "{}", e.message);
        assert_eq!(output_type(&NodeDefBuilder::new("q", "FancyOp").attr_type("T", DType::Int64).build(), 7).unwrap(), DType::Int64);
        let e = types(NodeDefBuilder::new("m", "MatMul")).unwrap_err();
        assert!(e.message.contains("missing attr 'T'"), "{}", e.message);
        let e = output_type(&NodeDefBuilder::new("c", "Const").attr_type("dtype", DType::Float).build(), 1).unwrap_err();
        assert!(e.message.contains("output 1 does not exist"), "{}", e.message);
        // A count the size of the address space is an error, never an allocation.
        let huge = NodeDefBuilder::new("u", "Unpack").attr_type("T", DType::Float).attr_int("num", 1 << 40).build();
        assert_eq!(output_types(&huge).unwrap_err().code, ferroflow_framework::Code::InvalidArgument);
    }

    #[test]
    fn resource_inputs_come_from_signatures() {
        let node = |op| NodeDefBuilder::new("n", op).attr_type("T", DType::Float).attr_type("dtype", DType::Float).build();
        assert!(is_resource_input(&node("ReadVariableOp"), 0));
        assert!(is_resource_input(&node("ResourceApplyAdam"), 2));
        assert!(!is_resource_input(&node("ResourceApplyAdam"), 3));
        assert!(is_resource_input(&node("ResourceApplySomethingNew"), 0));
        assert!(!is_resource_input(&node("MatMul"), 0));
    }
}
