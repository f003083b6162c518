//! The op registry: every op definition by name, built once at start-up by the kernel families'
//! `register` functions, then shared read-only by every graph of the process.
//!
//! Building a node's kernel follows TF: unknown op -> NOT_FOUND ("Op type not registered"), defaults
//! filled in, the node validated against the definition, a known op without a kernel -> NOT_FOUND
//! ("No registered ... OpKernel"), then the op's factory.

use super::spec::{self, ArgDef, AttrDef};
use super::{Cost, OpDef};
use crate::attrs::Attrs;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::kernel::{Kernel, KernelFactory, KernelInit};
use ferroflow_proto::NodeDef;
use std::collections::HashMap;

/// Op name -> definition.
#[derive(Default)]
pub struct OpRegistry {
    ops: HashMap<&'static str, OpDef>,
}

/// An op definition being written; [`OpBuilder::kernel`] or [`OpBuilder::no_kernel`] registers it.
#[must_use = "an op is registered by .kernel(...) or .no_kernel()"]
pub struct OpBuilder<'r> {
    registry: &'r mut OpRegistry,
    name: &'static str,
    inputs: Vec<&'static str>,
    outputs: Vec<&'static str>,
    attrs: Vec<&'static str>,
    is_stateful: bool,
    allows_uninitialized_input: bool,
    cost: Cost,
}

impl OpBuilder<'_> {
    /// An input, as TF writes it: `x: T`, `values: N * T`, `args: Tin`, `handle: resource`, `r: Ref(T)`.
    pub fn input(mut self, spec: &'static str) -> Self {
        self.inputs.push(spec);
        self
    }

    /// An output, in the syntax of [`OpBuilder::input`].
    pub fn output(mut self, spec: &'static str) -> Self {
        self.outputs.push(spec);
        self
    }

    /// An attr, as TF writes it: `T: {float, double}`, `N: int >= 1`, `axis: int = 0`, ...
    pub fn attr(mut self, spec: &'static str) -> Self {
        self.attrs.push(spec);
        self
    }

    /// The op has state outside its inputs (variables, random generators, queues, I/O).
    pub fn stateful(mut self) -> Self {
        self.is_stateful = true;
        self
    }

    /// The op may take a reference to an uninitialized variable (TF's `SetAllowsUninitializedInput`).
    pub fn allows_uninitialized_input(mut self) -> Self {
        self.allows_uninitialized_input = true;
        self
    }

    /// How much work the op's kernel does (default: always expensive).
    pub fn cost(mut self, cost: Cost) -> Self {
        self.cost = cost;
        self
    }

    /// Registers the op with the factory that builds its kernels.
    pub fn kernel(self, factory: KernelFactory) {
        self.finish(Some(factory));
    }

    /// Registers the op without a kernel (ops the master rewrites away, or only other runtimes run).
    pub fn no_kernel(self) {
        self.finish(None);
    }

    fn finish(self, kernel: Option<KernelFactory>) {
        let name = self.name;
        let fail = |e: String| -> ! { panic!("op {name}: {e}") };
        let attrs: Vec<AttrDef> = self.attrs.iter().map(|s| spec::parse_attr(s).unwrap_or_else(|e| fail(e))).collect();
        let args = |specs: &[&str]| -> Vec<ArgDef> {
            specs
                .iter()
                .map(|s| {
                    let mut a = spec::parse_arg(s).unwrap_or_else(|e| fail(e));
                    spec::resolve(&mut a, &attrs, s).unwrap_or_else(|e| fail(e));
                    a
                })
                .collect()
        };
        let def = OpDef {
            name,
            inputs: args(&self.inputs),
            outputs: args(&self.outputs),
            attrs,
            is_stateful: self.is_stateful,
            allows_uninitialized_input: self.allows_uninitialized_input,
            cost: self.cost,
            kernel,
        };
        if self.registry.ops.insert(name, def).is_some() {
            panic!("op {name} is defined twice");
        }
    }
}

impl OpRegistry {
    pub fn new() -> OpRegistry {
        OpRegistry::default()
    }

    /// Starts the definition of op `name`.
    pub fn op(&mut self, name: &'static str) -> OpBuilder<'_> {
        OpBuilder {
            registry: self,
            name,
            inputs: Vec::new(),
            outputs: Vec::new(),
            attrs: Vec::new(),
            is_stateful: false,
            allows_uninitialized_input: false,
            cost: Cost::Expensive,
        }
    }

    pub fn get(&self, op: &str) -> Option<&OpDef> {
        self.ops.get(op)
    }

    /// True if `op` is defined and has a kernel.
    pub fn contains(&self, op: &str) -> bool {
        self.ops.get(op).is_some_and(|d| d.kernel.is_some())
    }

    /// Every op with a kernel, sorted by name.
    pub fn op_names(&self) -> Vec<&'static str> {
        let mut v: Vec<_> = self.ops.values().filter(|d| d.kernel.is_some()).map(|d| d.name).collect();
        v.sort_unstable();
        v
    }

    /// Every definition, sorted by name.
    pub fn definitions(&self) -> Vec<&OpDef> {
        let mut v: Vec<_> = self.ops.values().collect();
        v.sort_unstable_by_key(|d| d.name);
        v
    }

    fn lookup(&self, node: &NodeDef) -> Result<&OpDef> {
        self.ops.get(node.op.as_str()).ok_or_else(|| {
            Error::not_found(format!(
                "Op type not registered '{}' in binary running on ferroflow. Make sure the Op and Kernel are registered in the binary running in this process.",
                node.op
            ))
        })
    }

    /// The types of a node's outputs, from its op's definition and its attrs (defaults filled):
    /// NOT_FOUND for an unknown op, UNIMPLEMENTED for a type ferroflow does not support.
    pub fn output_types(&self, node: &NodeDef) -> Result<Vec<DType>> {
        let def = self.lookup(node)?;
        super::dtypes(&def.output_types(&def.with_defaults(node))?)
    }

    /// The types of a node's inputs, one per data input.
    pub fn input_types(&self, node: &NodeDef) -> Result<Vec<DType>> {
        let def = self.lookup(node)?;
        super::dtypes(&def.input_types(&def.with_defaults(node))?)
    }

    /// Builds the kernel of a node with `num_inputs` data inputs.
    pub fn build(&self, node: &NodeDef, num_inputs: usize) -> Result<Kernel> {
        let def = self.lookup(node)?;
        let node = def.with_defaults(node);
        def.validate(&node, num_inputs)?;
        let Some(factory) = def.kernel else {
            return Err(Error::not_found(format!(
                "No registered '{}' OpKernel for 'CPU' devices compatible with node {{{{node {}}}}}",
                node.op, node.name
            )));
        };
        let init = KernelInit { node: &node, attrs: Attrs::new(&node), num_inputs, op_def: def };
        let mut kernel = factory(&init).map_err(|e| if e.message.contains("{{node ") { e } else { e.with_node(&node.name) })?;
        if kernel.cost.is_none() {
            kernel.cost = Some(def.cost.clone());
        }
        Ok(kernel)
    }
}
