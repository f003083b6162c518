//! Updates of reference variables (`AssignAdd`, `AssignSub`, `Scatter*`, `ScatterNd*`, the ref
//! forms of every optimizer update `Apply*` and `SparseApply*`): each is its resource-variable
//! counterpart (`AssignAddVariableOp`, `ResourceScatter*`, `ResourceApply*`, ...) run on the
//! referenced variables, so one kernel computes each update, with its checks and TF's values, and
//! the ref form follows it; the op then gives back the reference to its first input, as TF's do.
//! (TF's own kernels share their functors between the two forms the same way.)
//!
//! The counterpart is built from the node: same inputs (the `Ref(T)` ones become handles), its
//! attrs taken by name (`dtype` from `T` where the resource op names the type so). The referenced
//! variables are lent to it in a resource manager of the call's own, under the handles' names. A
//! ref op whose counterpart ferroflow lacks fails to build with TF's "No registered ... OpKernel".
//! The executor has already refused references to uninitialized variables ("Attempting to use
//! uninitialized value ...", as TF's executor does for every op not allowed them).
//!
//! Concurrency: stateless; the counterpart takes the variables' update locks as it always does.

use ferroflow_framework::node_def::NodeDefBuilder;
use ferroflow_framework::{
    Cost, Error, Kernel, KernelInit, KernelKind, OpKernel, OpKernelContext, OpRegistry, ResourceHandle, ResourceMgr, Result, Tensor,
    TensorShape,
};
use ferroflow_proto::NodeDef;
use std::sync::Arc;

/// The container the referenced variables are lent under.
const LENT_CONTAINER: &str = "ref";

pub(crate) fn register(reg: &mut OpRegistry) {
    reg.op("AssignAdd")
        .input("ref: Ref(T)")
        .input("value: T")
        .output("output_ref: Ref(T)")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("use_locking: bool = false")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("AssignSub")
        .input("ref: Ref(T)")
        .input("value: T")
        .output("output_ref: Ref(T)")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("use_locking: bool = false")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("ApplyGradientDescent")
        .input("var: Ref(T)")
        .input("alpha: T")
        .input("delta: T")
        .output("out: Ref(T)")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("use_locking: bool = false")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("ApplyAdam")
        .input("var: Ref(T)")
        .input("m: Ref(T)")
        .input("v: Ref(T)")
        .input("beta1_power: T")
        .input("beta2_power: T")
        .input("lr: T")
        .input("beta1: T")
        .input("beta2: T")
        .input("epsilon: T")
        .input("grad: T")
        .output("out: Ref(T)")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("use_locking: bool = false")
        .attr("use_nesterov: bool = false")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("ApplyMomentum")
        .input("var: Ref(T)")
        .input("accum: Ref(T)")
        .input("lr: T")
        .input("grad: T")
        .input("momentum: T")
        .output("out: Ref(T)")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("use_locking: bool = false")
        .attr("use_nesterov: bool = false")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("ApplyAdagrad")
        .input("var: Ref(T)")
        .input("accum: Ref(T)")
        .input("lr: T")
        .input("grad: T")
        .output("out: Ref(T)")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("use_locking: bool = false")
        .attr("update_slots: bool = true")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("ApplyAdagradV2")
        .input("var: Ref(T)")
        .input("accum: Ref(T)")
        .input("lr: T")
        .input("epsilon: T")
        .input("grad: T")
        .output("out: Ref(T)")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("use_locking: bool = false")
        .attr("update_slots: bool = true")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("ApplyRMSProp")
        .input("var: Ref(T)")
        .input("ms: Ref(T)")
        .input("mom: Ref(T)")
        .input("lr: T")
        .input("rho: T")
        .input("momentum: T")
        .input("epsilon: T")
        .input("grad: T")
        .output("out: Ref(T)")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("use_locking: bool = false")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("ApplyCenteredRMSProp")
        .input("var: Ref(T)")
        .input("mg: Ref(T)")
        .input("ms: Ref(T)")
        .input("mom: Ref(T)")
        .input("lr: T")
        .input("rho: T")
        .input("momentum: T")
        .input("epsilon: T")
        .input("grad: T")
        .output("out: Ref(T)")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("use_locking: bool = false")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("ApplyAdadelta")
        .input("var: Ref(T)")
        .input("accum: Ref(T)")
        .input("accum_update: Ref(T)")
        .input("lr: T")
        .input("rho: T")
        .input("epsilon: T")
        .input("grad: T")
        .output("out: Ref(T)")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("use_locking: bool = false")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("ApplyFtrl")
        .input("var: Ref(T)")
        .input("accum: Ref(T)")
        .input("linear: Ref(T)")
        .input("grad: T")
        .input("lr: T")
        .input("l1: T")
        .input("l2: T")
        .input("lr_power: T")
        .output("out: Ref(T)")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("use_locking: bool = false")
        .attr("multiply_linear_by_lr: bool = false")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("ApplyFtrlV2")
        .input("var: Ref(T)")
        .input("accum: Ref(T)")
        .input("linear: Ref(T)")
        .input("grad: T")
        .input("lr: T")
        .input("l1: T")
        .input("l2: T")
        .input("l2_shrinkage: T")
        .input("lr_power: T")
        .output("out: Ref(T)")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("use_locking: bool = false")
        .attr("multiply_linear_by_lr: bool = false")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("ApplyAdagradDA")
        .input("var: Ref(T)")
        .input("gradient_accumulator: Ref(T)")
        .input("gradient_squared_accumulator: Ref(T)")
        .input("grad: T")
        .input("lr: T")
        .input("l1: T")
        .input("l2: T")
        .input("global_step: int64")
        .output("out: Ref(T)")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("use_locking: bool = false")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("ApplyProximalAdagrad")
        .input("var: Ref(T)")
        .input("accum: Ref(T)")
        .input("lr: T")
        .input("l1: T")
        .input("l2: T")
        .input("grad: T")
        .output("out: Ref(T)")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("use_locking: bool = false")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("ApplyProximalGradientDescent")
        .input("var: Ref(T)")
        .input("alpha: T")
        .input("l1: T")
        .input("l2: T")
        .input("delta: T")
        .output("out: Ref(T)")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("use_locking: bool = false")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("ApplyAddSign")
        .input("var: Ref(T)")
        .input("m: Ref(T)")
        .input("lr: T")
        .input("alpha: T")
        .input("sign_decay: T")
        .input("beta: T")
        .input("grad: T")
        .output("out: Ref(T)")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("use_locking: bool = false")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("ApplyPowerSign")
        .input("var: Ref(T)")
        .input("m: Ref(T)")
        .input("lr: T")
        .input("logbase: T")
        .input("sign_decay: T")
        .input("beta: T")
        .input("grad: T")
        .output("out: Ref(T)")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("use_locking: bool = false")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("ApplyAdaMax")
        .input("var: Ref(T)")
        .input("m: Ref(T)")
        .input("v: Ref(T)")
        .input("beta1_power: T")
        .input("lr: T")
        .input("beta1: T")
        .input("beta2: T")
        .input("epsilon: T")
        .input("grad: T")
        .output("out: Ref(T)")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("use_locking: bool = false")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("SparseApplyAdagrad")
        .input("var: Ref(T)")
        .input("accum: Ref(T)")
        .input("lr: T")
        .input("grad: T")
        .input("indices: Tindices")
        .output("out: Ref(T)")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("Tindices: {int32, int64}")
        .attr("use_locking: bool = false")
        .attr("update_slots: bool = true")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("SparseApplyAdagradV2")
        .input("var: Ref(T)")
        .input("accum: Ref(T)")
        .input("lr: T")
        .input("epsilon: T")
        .input("grad: T")
        .input("indices: Tindices")
        .output("out: Ref(T)")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("Tindices: {int32, int64}")
        .attr("use_locking: bool = false")
        .attr("update_slots: bool = true")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("SparseApplyAdagradDA")
        .input("var: Ref(T)")
        .input("gradient_accumulator: Ref(T)")
        .input("gradient_squared_accumulator: Ref(T)")
        .input("grad: T")
        .input("indices: Tindices")
        .input("lr: T")
        .input("l1: T")
        .input("l2: T")
        .input("global_step: int64")
        .output("out: Ref(T)")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("Tindices: {int32, int64}")
        .attr("use_locking: bool = false")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("SparseApplyAdadelta")
        .input("var: Ref(T)")
        .input("accum: Ref(T)")
        .input("accum_update: Ref(T)")
        .input("lr: T")
        .input("rho: T")
        .input("epsilon: T")
        .input("grad: T")
        .input("indices: Tindices")
        .output("out: Ref(T)")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("Tindices: {int32, int64}")
        .attr("use_locking: bool = false")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("SparseApplyCenteredRMSProp")
        .input("var: Ref(T)")
        .input("mg: Ref(T)")
        .input("ms: Ref(T)")
        .input("mom: Ref(T)")
        .input("lr: T")
        .input("rho: T")
        .input("momentum: T")
        .input("epsilon: T")
        .input("grad: T")
        .input("indices: Tindices")
        .output("out: Ref(T)")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("Tindices: {int32, int64}")
        .attr("use_locking: bool = false")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("SparseApplyFtrl")
        .input("var: Ref(T)")
        .input("accum: Ref(T)")
        .input("linear: Ref(T)")
        .input("grad: T")
        .input("indices: Tindices")
        .input("lr: T")
        .input("l1: T")
        .input("l2: T")
        .input("lr_power: T")
        .output("out: Ref(T)")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("Tindices: {int32, int64}")
        .attr("use_locking: bool = false")
        .attr("multiply_linear_by_lr: bool = false")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("SparseApplyFtrlV2")
        .input("var: Ref(T)")
        .input("accum: Ref(T)")
        .input("linear: Ref(T)")
        .input("grad: T")
        .input("indices: Tindices")
        .input("lr: T")
        .input("l1: T")
        .input("l2: T")
        .input("l2_shrinkage: T")
        .input("lr_power: T")
        .output("out: Ref(T)")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("Tindices: {int32, int64}")
        .attr("use_locking: bool = false")
        .attr("multiply_linear_by_lr: bool = false")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("SparseApplyMomentum")
        .input("var: Ref(T)")
        .input("accum: Ref(T)")
        .input("lr: T")
        .input("grad: T")
        .input("indices: Tindices")
        .input("momentum: T")
        .output("out: Ref(T)")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("Tindices: {int32, int64}")
        .attr("use_locking: bool = false")
        .attr("use_nesterov: bool = false")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("SparseApplyProximalAdagrad")
        .input("var: Ref(T)")
        .input("accum: Ref(T)")
        .input("lr: T")
        .input("l1: T")
        .input("l2: T")
        .input("grad: T")
        .input("indices: Tindices")
        .output("out: Ref(T)")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("Tindices: {int32, int64}")
        .attr("use_locking: bool = false")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("SparseApplyProximalGradientDescent")
        .input("var: Ref(T)")
        .input("alpha: T")
        .input("l1: T")
        .input("l2: T")
        .input("grad: T")
        .input("indices: Tindices")
        .output("out: Ref(T)")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("Tindices: {int32, int64}")
        .attr("use_locking: bool = false")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("SparseApplyRMSProp")
        .input("var: Ref(T)")
        .input("ms: Ref(T)")
        .input("mom: Ref(T)")
        .input("lr: T")
        .input("rho: T")
        .input("momentum: T")
        .input("epsilon: T")
        .input("grad: T")
        .input("indices: Tindices")
        .output("out: Ref(T)")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("Tindices: {int32, int64}")
        .attr("use_locking: bool = false")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("ScatterUpdate")
        .input("ref: Ref(T)")
        .input("indices: Tindices")
        .input("updates: T")
        .output("output_ref: Ref(T)")
        .attr("T: type")
        .attr("Tindices: {int32, int64}")
        .attr("use_locking: bool = true")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("ScatterAdd")
        .input("ref: Ref(T)")
        .input("indices: Tindices")
        .input("updates: T")
        .output("output_ref: Ref(T)")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("Tindices: {int32, int64}")
        .attr("use_locking: bool = false")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("ScatterSub")
        .input("ref: Ref(T)")
        .input("indices: Tindices")
        .input("updates: T")
        .output("output_ref: Ref(T)")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("Tindices: {int32, int64}")
        .attr("use_locking: bool = false")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("ScatterMul")
        .input("ref: Ref(T)")
        .input("indices: Tindices")
        .input("updates: T")
        .output("output_ref: Ref(T)")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("Tindices: {int32, int64}")
        .attr("use_locking: bool = false")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("ScatterDiv")
        .input("ref: Ref(T)")
        .input("indices: Tindices")
        .input("updates: T")
        .output("output_ref: Ref(T)")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("Tindices: {int32, int64}")
        .attr("use_locking: bool = false")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("ScatterMin")
        .input("ref: Ref(T)")
        .input("indices: Tindices")
        .input("updates: T")
        .output("output_ref: Ref(T)")
        .attr("T: {half, bfloat16, float, double, int32, int64}")
        .attr("Tindices: {int32, int64}")
        .attr("use_locking: bool = false")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("ScatterMax")
        .input("ref: Ref(T)")
        .input("indices: Tindices")
        .input("updates: T")
        .output("output_ref: Ref(T)")
        .attr("T: {half, bfloat16, float, double, int32, int64}")
        .attr("Tindices: {int32, int64}")
        .attr("use_locking: bool = false")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("ScatterNdUpdate")
        .input("ref: Ref(T)")
        .input("indices: Tindices")
        .input("updates: T")
        .output("output_ref: Ref(T)")
        .attr("T: type")
        .attr("Tindices: {int32, int64}")
        .attr("use_locking: bool = true")
        .attr("bad_indices_policy: string = ''")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("ScatterNdAdd")
        .input("ref: Ref(T)")
        .input("indices: Tindices")
        .input("updates: T")
        .output("output_ref: Ref(T)")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("Tindices: {int32, int64}")
        .attr("use_locking: bool = false")
        .attr("bad_indices_policy: string = ''")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
    reg.op("ScatterNdSub")
        .input("ref: Ref(T)")
        .input("indices: Tindices")
        .input("updates: T")
        .output("output_ref: Ref(T)")
        .attr("T: {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}")
        .attr("Tindices: {int32, int64}")
        .attr("use_locking: bool = false")
        .attr("bad_indices_policy: string = ''")
        .cost(Cost::InputElements)
        .kernel(build_ref_update);
}

/// The resource-variable op computing the same update as ref op `op`.
pub fn resource_counterpart(op: &str) -> Option<String> {
    match op {
        "AssignAdd" => Some("AssignAddVariableOp".into()),
        "AssignSub" => Some("AssignSubVariableOp".into()),
        _ if op.starts_with("Apply") || op.starts_with("SparseApply") || op.starts_with("Scatter") => Some(format!("Resource{op}")),
        _ => None,
    }
}

/// A ref op running its resource counterpart on the variables its `Ref(T)` inputs refer to.
struct RefUpdateOp {
    inner: Box<dyn OpKernel>,
    /// The positions of the `Ref(T)` inputs.
    ref_inputs: Vec<usize>,
}

/// The counterpart's node: its op, the same inputs and the attrs it declares.
fn counterpart_node(node: &NodeDef, registry: &OpRegistry) -> Result<(NodeDef, usize)> {
    let op = resource_counterpart(&node.op).ok_or_else(|| Error::internal(format!("{} has no resource-variable counterpart", node.op)))?;
    let Some(def) = registry.get(&op) else {
        return Err(no_kernel(node));
    };
    let mut inner = NodeDefBuilder::new(&node.name, &op).build();
    inner.input = node.input.clone();
    inner.device = node.device.clone();
    for a in &def.attrs {
        let from = node.attr.get(&a.name).or_else(|| if a.name == "dtype" { node.attr.get("T") } else { None });
        if let Some(v) = from {
            inner.attr.insert(a.name.clone(), v.clone());
        }
    }
    Ok((inner, def.outputs.len()))
}

/// TF's NOT_FOUND for an op without a kernel for this device.
fn no_kernel(node: &NodeDef) -> Error {
    Error::not_found(format!(
        "No registered '{}' OpKernel for 'CPU' devices compatible with node {{{{node {}}}}}",
        node.op, node.name
    ))
}

fn build_ref_update(init: &KernelInit<'_>) -> Result<Kernel> {
    let registry = crate::registry();
    let (inner_node, inner_outputs) = counterpart_node(init.node, &registry)?;
    if inner_outputs != 0 {
        return Err(Error::internal(format!("{} gives outputs; a ref update's counterpart may not", inner_node.op)));
    }
    let inner = registry.build(&inner_node, init.num_inputs).map_err(|e| {
        if e.code == ferroflow_framework::Code::NotFound { no_kernel(init.node) } else { e }
    })?;
    let KernelKind::Sync(inner) = inner.kind else {
        return Err(Error::internal(format!("{} is not synchronous", inner_node.op)));
    };
    let node = init.op_def.with_defaults(init.node);
    let ref_inputs = init.op_def.input_refs(&node)?.iter().enumerate().filter(|(_, r)| **r).map(|(i, _)| i).collect();
    Ok(Kernel::sync(RefUpdateOp { inner, ref_inputs }, 1))
}

impl OpKernel for RefUpdateOp {
    fn compute(&self, ctx: &mut OpKernelContext<'_>) -> Result<()> {
        let lent = Arc::new(ResourceMgr::new());
        let mut inputs: Vec<Tensor> = ctx.inputs().to_vec();
        for &i in &self.ref_inputs {
            let name = i.to_string();
            lent.insert(LENT_CONTAINER, &name, ctx.input_ref(i)?.clone());
            let handle = ResourceHandle { device: ctx.step.device_name.clone(), container: LENT_CONTAINER.into(), name, ..Default::default() };
            inputs[i] = Tensor::from_resources(TensorShape::scalar(), vec![handle])?;
        }
        let step = Arc::new(ctx.step.with_resources(lent));
        let mut inner = OpKernelContext::new(&step, ctx.node_name, &inputs, 0, &[]).with_frame_iter(ctx.frame_iter());
        self.inner.compute(&mut inner)?;
        let var = ctx.input_ref(0)?.clone();
        ctx.set_output_ref(0, var);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::{self, assert_tensor_close, node, tensor_from_json};
    use ferroflow_framework::{Code, KernelKind, OpKernelContext, ResourceMgr, Tensor, Var};
    use std::sync::Arc;

    /// TF's optimizer cases (computed by TF on resource variables: its ref and resource kernels
    /// share one functor per update) run through the ref forms, step by step, on variables held
    /// by reference.
    #[test]
    fn ref_forms_of_the_optimizers_match_tensorflow() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/training.json")).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut ran = 0;
        for case in doc["training"].as_array().unwrap() {
            let resource_op = case["op"].as_str().unwrap();
            let op = resource_op.strip_prefix("Resource").unwrap();
            let slots: Vec<&str> = case["slots"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
            let init = case["init"].as_object().unwrap();
            // Amsgrad has no ref form; a missing variable cannot be a reference.
            if op == "ApplyAdamWithAmsgrad" || slots.iter().any(|s| !init.contains_key(*s)) {
                continue;
            }
            let name = case["name"].as_str().unwrap();
            let args: Vec<&str> = case["args"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
            let vars: Vec<Arc<Var>> = slots
                .iter()
                .map(|s| {
                    let t = tensor_from_json(&init[*s]);
                    let v = Arc::new(Var::new(t.dtype()));
                    v.set(t);
                    v
                })
                .collect();
            let mut n = node(op).name(name).attr_type("T", testutil::dtype_by_name(case["dtype"].as_str().unwrap()));
            if args.contains(&"indices") {
                let first = tensor_from_json(&case["steps"][0]["args"]["indices"]);
                n = n.attr_type("Tindices", first.dtype());
            }
            for (k, v) in case["attrs"].as_object().unwrap() {
                n = n.attr_bool(k, v.as_bool().unwrap());
            }
            n.0.input = slots.iter().chain(args.iter()).map(|s| s.to_string()).collect();
            let kernel = crate::registry().build(&n.0, slots.len() + args.len()).unwrap_or_else(|e| panic!("{name}: {e}"));
            let KernelKind::Sync(k) = kernel.kind else { panic!("ref updates are synchronous") };
            let step = testutil::step_with(Arc::new(ResourceMgr::new()));
            for (i, st) in case["steps"].as_array().unwrap().iter().enumerate() {
                let mut inputs: Vec<Tensor> = vars.iter().map(|v| v.value().unwrap()).collect();
                inputs.extend(args.iter().map(|a| tensor_from_json(&st["args"][*a])));
                let mut refs: Vec<Option<Arc<Var>>> = vars.iter().cloned().map(Some).collect();
                refs.resize(inputs.len(), None);
                let mut ctx = OpKernelContext::new(&step, name, &inputs, 1, &[]).with_ref_inputs(&refs);
                let result = k.compute(&mut ctx);
                let what = format!("{name} ({op}) step {}", i + 1);
                if let Some(err) = st.get("error") {
                    let e = result.expect_err(&what);
                    assert_eq!(e.code.name(), err["code"].as_str().unwrap(), "{what}: {e}");
                    assert_eq!(e.message, err["message"].as_str().unwrap(), "{what}");
                    continue;
                }
                result.unwrap_or_else(|e| panic!("{what}: {e}"));
                let out = ctx.into_outputs().remove(0).unwrap();
                assert!(matches!(&out, ferroflow_framework::Entry::Ref(v) if Arc::ptr_eq(v, &vars[0])), "{what}: output is not the var");
                for (slot, want) in st["after"].as_object().unwrap() {
                    let at = slots.iter().position(|s| s == slot).unwrap();
                    assert_tensor_close(&vars[at].value().unwrap(), &tensor_from_json(want), 1e-6, &format!("{what} {slot}"));
                }
            }
            ran += 1;
        }
        assert!(ran > 40, "only {ran} cases ran");
    }

    #[test]
    fn a_ref_op_without_its_resource_form_has_no_kernel() {
        // Every ref update names a counterpart; those ferroflow lacks fail as TF does for an op
        // without a CPU kernel, the others build.
        let reg = crate::registry();
        for def in reg.definitions() {
            let Some(inner) = super::resource_counterpart(def.name) else { continue };
            if !def.inputs.iter().any(|a| a.is_ref) {
                continue;
            }
            let mut node = node(def.name).attr_type("T", ferroflow_framework::DType::Float);
            if def.attr("Tindices").is_some() {
                node = node.attr_type("Tindices", ferroflow_framework::DType::Int32);
            }
            let result = reg.build(&node.0, def.inputs.len());
            if reg.contains(&inner) {
                assert!(result.is_ok(), "{}: {:?}", def.name, result.err());
            } else {
                let e = result.err().unwrap_or_else(|| panic!("{} built without {inner}", def.name));
                assert_eq!(e.code, Code::NotFound, "{}: {e}", def.name);
                assert!(e.message.starts_with(&format!("No registered '{}' OpKernel for 'CPU' devices", def.name)), "{e}");
            }
        }
    }
}
