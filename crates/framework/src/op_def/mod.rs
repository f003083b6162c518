//! Op definitions: one per op, holding everything ferroflow knows of it — its signature in TF's own
//! `REGISTER_OP` syntax (inputs, outputs, attrs with kinds, allowed values, minimums and defaults),
//! whether it is stateful, how much work its kernel does ([`Cost`]) and the factory that builds its
//! kernel. Each op is defined once, in its kernel family's file:
//!
//! ```ignore
//! reg.op("Unpack")
//!     .input("value: T")
//!     .output("output: num * T")
//!     .attr("num: int >= 0")
//!     .attr("T: type")
//!     .attr("axis: int = 0")
//!     .cost(Cost::InputElements)
//!     .kernel(build_unpack);
//! ```
//!
//! From the definition follow, as in TF: the defaults a node may omit, the validation of a node
//! (attrs present and of the right kind, allowed values, minimums, the number of inputs) with TF's
//! messages, and the types of a node's inputs and outputs, which the master needs without kernels.
//!
//! Definitions are immutable once registered and shared by every graph; pure functions over
//! borrowed nodes.

pub mod registry;
pub mod spec;

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::kernel::KernelFactory;
use crate::tensor::Tensor;
use ferroflow_proto::attr_value::Value;
use ferroflow_proto::{AttrValue, NodeDef};
pub use registry::{OpBuilder, OpRegistry};
use spec::{ArgDef, ArgType, AttrDef, AttrKind, dtype_name};
use std::borrow::Borrow;
use std::sync::Arc;

/// The most tensors one argument of a node may stand for (`N * T`, `num` outputs): far beyond any
/// real graph, and small enough that a node asking for more is refused rather than allocated for.
pub const MAX_ARG_TENSORS: i64 = 1 << 20;

/// How much work a kernel does, for the executor's choice between running a ready node on the thread
/// at hand (cheap) and sending it to the compute pool. The estimate is in element operations, from
/// the shapes of the inputs; see [`Cost::estimate`].
#[derive(Clone, Default)]
pub enum Cost {
    /// Constant work whatever the inputs (metadata, buffer sharing, rendezvous hand-offs).
    Trivial,
    /// Element-wise: one operation per element of the output, whose shape is the broadcast of the
    /// inputs' shapes.
    Elementwise,
    /// Work and output bounded by the inputs' elements (reductions, rearrangements, updates).
    InputElements,
    /// A matrix product: rows × columns × depth of its first two inputs (batched over leading dims).
    MatMul,
    /// An estimate the kernel computes itself from its inputs (set by a factory that knows attrs).
    Custom(Arc<dyn Fn(&[&Tensor]) -> u64 + Send + Sync>),
    /// Always the compute pool: work or output size depends on input values (`Fill`, `Tile`), or is
    /// large by nature.
    #[default]
    Expensive,
}

impl std::fmt::Debug for Cost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Cost::Trivial => "Trivial",
            Cost::Elementwise => "Elementwise",
            Cost::InputElements => "InputElements",
            Cost::MatMul => "MatMul",
            Cost::Custom(_) => "Custom",
            Cost::Expensive => "Expensive",
        })
    }
}

impl Cost {
    /// Element operations the kernel will do on `inputs`; `None` when it is always expensive.
    pub fn estimate(&self, inputs: &[&Tensor]) -> Option<u64> {
        self.estimate_of(inputs)
    }

    /// [`Cost::estimate`] over owned or borrowed tensors (how the executor holds a node's inputs).
    pub fn estimate_of<T: Borrow<Tensor>>(&self, inputs: &[T]) -> Option<u64> {
        let elems = |t: &T| t.borrow().num_elements() as u64;
        match self {
            Cost::Trivial => Some(0),
            Cost::Elementwise => Some(broadcast_elements(inputs).max(inputs.iter().map(|t| elems(t)).sum())),
            Cost::InputElements => Some(inputs.iter().map(|t| elems(t)).sum()),
            Cost::MatMul => Some(matmul_work(inputs)),
            Cost::Custom(f) => Some(f(&inputs.iter().map(Borrow::borrow).collect::<Vec<&Tensor>>())),
            Cost::Expensive => None,
        }
    }
}

/// Elements of the shape the inputs broadcast to (TF's rule, right-aligned; incompatible shapes
/// count their largest sizes, the kernel reports the error).
fn broadcast_elements<T: Borrow<Tensor>>(inputs: &[T]) -> u64 {
    let rank = inputs.iter().map(|t| t.borrow().rank()).max().unwrap_or(0);
    let mut total: u64 = 1;
    for axis in 0..rank {
        let mut d: u64 = 1;
        for t in inputs {
            let t = t.borrow();
            let r = t.rank();
            if axis + r >= rank {
                d = d.max(t.dims()[axis + r - rank].max(0) as u64);
            }
        }
        total = total.saturating_mul(d);
    }
    total
}

/// An upper bound of a matrix product's multiply-adds: `a` and `b` hold m·k·batch and k·n·batch
/// elements; without the transpose attrs, k is taken as the smallest of their last two dims.
fn matmul_work<T: Borrow<Tensor>>(inputs: &[T]) -> u64 {
    let (Some(a), Some(b)) = (inputs.first().map(Borrow::borrow), inputs.get(1).map(Borrow::borrow)) else { return 0 };
    let last_two = |t: &Tensor| t.dims().iter().rev().take(2).map(|&d| d.max(1) as u64).collect::<Vec<_>>();
    let k = last_two(a).into_iter().chain(last_two(b)).min().unwrap_or(1).max(1);
    (a.num_elements() as u64).saturating_mul(b.num_elements() as u64) / k
}

/// One op's definition.
pub struct OpDef {
    pub name: &'static str,
    pub inputs: Vec<ArgDef>,
    pub outputs: Vec<ArgDef>,
    pub attrs: Vec<AttrDef>,
    pub is_stateful: bool,
    /// The op may take a reference to an uninitialized variable (`Assign`, `IsVariableInitialized`,
    /// `RefIdentity`, `RefSwitch`); for any other op the executor refuses one, as TF's does.
    pub allows_uninitialized_input: bool,
    pub cost: Cost,
    /// The kernel factory; `None` for ops ferroflow knows but runs no kernel for (functional ops the
    /// master lowers, ops only other runtimes execute).
    pub kernel: Option<KernelFactory>,
}

impl OpDef {
    pub fn attr(&self, name: &str) -> Option<&AttrDef> {
        self.attrs.iter().find(|a| a.name == name)
    }

    /// TF's short description of the op in errors: `Op<name=Unpack; signature=value:T -> output:num*T;
    /// attr=num:int,min=0; attr=T:type; attr=axis:int,default=0>`.
    pub fn summary(&self) -> String {
        let args = |args: &[ArgDef]| {
            args.iter()
                .map(|a| {
                    let ty = match &a.ty {
                        ArgType::Fixed(t) => dtype_name(*t),
                        ArgType::Attr(n) | ArgType::List(n) => n.clone(),
                    };
                    let ty = match &a.number_attr {
                        Some(n) => format!("{n}*{ty}"),
                        None => ty,
                    };
                    if a.is_ref { format!("{}:Ref({ty})", a.name) } else { format!("{}:{ty}", a.name) }
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut s = format!("Op<name={}; signature={} -> {}", self.name, args(&self.inputs), args(&self.outputs));
        for a in &self.attrs {
            s.push_str(&format!("; attr={}:{}", a.name, a.kind.name()));
            if let Some(d) = &a.default {
                s.push_str(&format!(",default={}", attr_value_summary(d)));
            }
            if let Some(m) = a.minimum {
                s.push_str(&format!(",min={m}"));
            }
            if let Some(allowed) = &a.allowed_types {
                let names: Vec<String> = allowed.iter().map(|t| dt_enum_name(*t)).collect();
                s.push_str(&format!(",allowed=[{}]", names.join(", ")));
            }
            if let Some(allowed) = &a.allowed_strings {
                let names: Vec<String> = allowed.iter().map(|v| format!("\"{v}\"")).collect();
                s.push_str(&format!(",allowed=[{}]", names.join(", ")));
            }
        }
        if self.is_stateful {
            s.push_str("; is_stateful=true");
        }
        s.push('>');
        s
    }

    /// The node with every attr it omits that has a default filled in (TF's `AddDefaultsToNodeDef`);
    /// borrowed when nothing is missing.
    pub fn with_defaults<'n>(&self, node: &'n NodeDef) -> std::borrow::Cow<'n, NodeDef> {
        let missing = self.attrs.iter().any(|a| a.default.is_some() && !has_value(node, &a.name));
        if !missing {
            return std::borrow::Cow::Borrowed(node);
        }
        let mut n = node.clone();
        for a in &self.attrs {
            if let Some(d) = &a.default
                && !has_value(&n, &a.name)
            {
                n.attr.insert(a.name.clone(), d.clone());
            }
        }
        std::borrow::Cow::Owned(n)
    }

    /// Checks a node (defaults already filled) against the definition as TF's `ValidateNodeDef`
    /// does: every attr present, of its kind and allowed, no attr the op lacks (but `_`-prefixed
    /// ones), and `num_inputs` data inputs. INVALID_ARGUMENT with TF's wording.
    pub fn validate(&self, node: &NodeDef, num_inputs: usize) -> Result<()> {
        let ctx = || format!("; NodeDef: {{{{node {}}}}}; {}", node.name, self.summary());
        for (name, _) in node.attr.iter() {
            if !name.starts_with('_') && self.attr(name).is_none() {
                return Err(Error::invalid_argument(format!("NodeDef mentions attr '{name}' not in {}{}", self.summary(), ctx())));
            }
        }
        for a in &self.attrs {
            let Some(value) = node.attr.get(&a.name).and_then(|v| v.value.as_ref()) else {
                return Err(Error::invalid_argument(format!(
                    "NodeDef missing attr '{}' from {}; NodeDef: {{{{node {}}}}}",
                    a.name,
                    self.summary(),
                    node.name
                )));
            };
            check_attr(a, value).map_err(|m| Error::invalid_argument(format!("{m}{}", ctx())))?;
        }
        let expected = self.input_types(node)?;
        if expected.len() != num_inputs {
            let names: Vec<String> = expected.iter().map(|t| dtype_name(*t)).collect();
            return Err(Error::invalid_argument(format!(
                "NodeDef expected inputs '{}' do not match {num_inputs} inputs specified{}",
                names.join(", "),
                ctx()
            )));
        }
        Ok(())
    }

    /// The `DataType` numbers of a node's inputs (defaults filled), one per tensor.
    pub fn input_types(&self, node: &NodeDef) -> Result<Vec<i32>> {
        arg_types(&self.inputs, node)
    }

    /// The `DataType` numbers of a node's outputs (defaults filled), one per tensor.
    pub fn output_types(&self, node: &NodeDef) -> Result<Vec<i32>> {
        arg_types(&self.outputs, node)
    }

    /// How many tensors each output argument of a node (defaults filled) stands for.
    pub fn output_arg_sizes(&self, node: &NodeDef) -> Result<Vec<usize>> {
        self.outputs.iter().map(|a| arg_types(std::slice::from_ref(a), node).map(|t| t.len())).collect()
    }

    /// Whether each input (one per tensor) is a reference (`Ref(T)`).
    pub fn input_refs(&self, node: &NodeDef) -> Result<Vec<bool>> {
        arg_flags(&self.inputs, node, |a| a.is_ref)
    }

    /// Whether each output (one per tensor) is a reference (`Ref(T)`).
    pub fn output_refs(&self, node: &NodeDef) -> Result<Vec<bool>> {
        arg_flags(&self.outputs, node, |a| a.is_ref)
    }

    /// The definition as TF's `OpDef` message.
    pub fn to_proto(&self) -> ferroflow_proto::OpDef {
        use ferroflow_proto::op_def::{ArgDef as PArg, AttrDef as PAttr};
        let arg = |a: &ArgDef| PArg {
            name: a.name.clone(),
            r#type: if let ArgType::Fixed(t) = a.ty { t } else { 0 },
            type_attr: if let ArgType::Attr(n) = &a.ty { n.clone() } else { String::new() },
            number_attr: a.number_attr.clone().unwrap_or_default(),
            type_list_attr: if let ArgType::List(n) = &a.ty { n.clone() } else { String::new() },
            is_ref: a.is_ref,
            ..Default::default()
        };
        let attr = |a: &AttrDef| PAttr {
            name: a.name.clone(),
            r#type: a.kind.name(),
            default_value: a.default.clone(),
            has_minimum: a.minimum.is_some(),
            minimum: a.minimum.unwrap_or(0),
            allowed_values: allowed_value(a),
            ..Default::default()
        };
        ferroflow_proto::OpDef {
            name: self.name.to_string(),
            input_arg: self.inputs.iter().map(arg).collect(),
            output_arg: self.outputs.iter().map(arg).collect(),
            attr: self.attrs.iter().map(attr).collect(),
            is_stateful: self.is_stateful,
            allows_uninitialized_input: self.allows_uninitialized_input,
            ..Default::default()
        }
    }
}

fn allowed_value(a: &AttrDef) -> Option<AttrValue> {
    use ferroflow_proto::attr_value::ListValue;
    if let Some(types) = &a.allowed_types {
        return Some(AttrValue { value: Some(Value::List(ListValue { r#type: types.clone(), ..Default::default() })) });
    }
    a.allowed_strings.as_ref().map(|strings| AttrValue {
        value: Some(Value::List(ListValue { s: strings.iter().map(|s| s.as_bytes().to_vec().into()).collect(), ..Default::default() })),
    })
}

fn has_value(node: &NodeDef, attr: &str) -> bool {
    node.attr.get(attr).is_some_and(|v| v.value.is_some())
}

/// `DT_FLOAT` for a `DataType` number.
fn dt_enum_name(t: i32) -> String {
    ferroflow_proto::DataType::try_from(t).map(|d| d.as_str_name().to_string()).unwrap_or_else(|_| t.to_string())
}

fn attr_value_summary(v: &AttrValue) -> String {
    match &v.value {
        Some(Value::S(s)) => format!("\"{}\"", String::from_utf8_lossy(s)),
        Some(Value::I(i)) => i.to_string(),
        Some(Value::F(f)) => f.to_string(),
        Some(Value::B(b)) => b.to_string(),
        Some(Value::Type(t)) => dt_enum_name(*t),
        Some(Value::Shape(s)) if s.unknown_rank => "<unknown>".into(),
        Some(Value::Shape(s)) => format!("[{}]", s.dim.iter().map(|d| d.size.to_string()).collect::<Vec<_>>().join(",")),
        Some(Value::List(l)) => {
            let items: Vec<String> = if !l.i.is_empty() {
                l.i.iter().map(|i| i.to_string()).collect()
            } else if !l.s.is_empty() {
                l.s.iter().map(|s| format!("\"{}\"", String::from_utf8_lossy(s))).collect()
            } else if !l.r#type.is_empty() {
                l.r#type.iter().map(|t| dt_enum_name(*t)).collect()
            } else {
                Vec::new()
            };
            format!("[{}]", items.join(", "))
        }
        _ => "?".into(),
    }
}

/// Checks one attr value against its definition; the message is TF's, without node context.
fn check_attr(a: &AttrDef, value: &Value) -> std::result::Result<(), String> {
    let got = AttrKind::of_value(value);
    let kind_ok = match (&a.kind, value) {
        (AttrKind::List(_), Value::List(l)) => match (spec::list_kind(l), &a.kind) {
            (None, _) => true,
            (Some(k), AttrKind::List(want)) => &k == want.as_ref(),
            _ => false,
        },
        (AttrKind::Func, Value::Func(_)) => true,
        (k, _) => *k == got,
    };
    if !kind_ok {
        return Err(format!("AttrValue had value with type '{}' when '{}' expected", got.name(), a.kind.name()));
    }
    match value {
        Value::Type(t) => check_allowed_type(a, *t)?,
        Value::S(s) => {
            if let Some(allowed) = &a.allowed_strings {
                let s = String::from_utf8_lossy(s);
                if !allowed.iter().any(|x| *x == s) {
                    let list: Vec<String> = allowed.iter().map(|x| format!("\"{x}\"")).collect();
                    return Err(format!(
                        "Value for attr '{}' of \"{s}\" is not in the list of allowed values: {}",
                        a.name,
                        list.join(", ")
                    ));
                }
            }
        }
        Value::I(i) => {
            if let Some(min) = a.minimum
                && *i < min
            {
                return Err(format!("Value for attr '{}' of {i} must be at least minimum {min}", a.name));
            }
        }
        Value::List(l) => {
            for t in &l.r#type {
                check_allowed_type(a, *t)?;
            }
            let len = [l.s.len(), l.i.len(), l.f.len(), l.b.len(), l.r#type.len(), l.shape.len(), l.tensor.len(), l.func.len()]
                .into_iter()
                .max()
                .unwrap_or(0) as i64;
            if let Some(min) = a.minimum
                && len < min
            {
                return Err(format!("Length for attr '{}' of {len} must be at least minimum {min}", a.name));
            }
        }
        _ => {}
    }
    Ok(())
}

fn check_allowed_type(a: &AttrDef, t: i32) -> std::result::Result<(), String> {
    if let Some(allowed) = &a.allowed_types
        && !allowed.contains(&t)
    {
        let list: Vec<String> = allowed.iter().map(|t| dtype_name(*t)).collect();
        return Err(format!(
            "Value for attr '{}' of {} is not in the list of allowed values: {}\n\t",
            a.name,
            dtype_name(t),
            list.join(", ")
        ));
    }
    Ok(())
}

fn count_attr(node: &NodeDef, attr: &str) -> Result<usize> {
    let n = match node.attr.get(attr).and_then(|v| v.value.as_ref()) {
        Some(Value::I(n)) => *n,
        _ => {
            return Err(Error::invalid_argument(format!(
                "NodeDef missing attr '{attr}' from Op<name={}>; NodeDef: {{{{node {}}}}}",
                node.op, node.name
            )));
        }
    };
    if !(0..=MAX_ARG_TENSORS).contains(&n) {
        return Err(Error::invalid_argument(format!(
            "Value for attr '{attr}' of {n} is out of range: ferroflow takes 0 to {MAX_ARG_TENSORS} tensors per argument; NodeDef: {{{{node {}}}}}",
            node.name
        )));
    }
    Ok(n as usize)
}

fn type_attr(node: &NodeDef, attr: &str) -> Result<i32> {
    match node.attr.get(attr).and_then(|v| v.value.as_ref()) {
        Some(Value::Type(t)) => Ok(*t),
        _ => Err(Error::invalid_argument(format!(
            "NodeDef missing attr '{attr}' from Op<name={}>; NodeDef: {{{{node {}}}}}",
            node.op, node.name
        ))),
    }
}

fn type_list_attr(node: &NodeDef, attr: &str) -> Result<Vec<i32>> {
    match node.attr.get(attr).and_then(|v| v.value.as_ref()) {
        Some(Value::List(l)) if l.r#type.len() as i64 <= MAX_ARG_TENSORS => Ok(l.r#type.clone()),
        Some(Value::List(l)) => Err(Error::invalid_argument(format!(
            "Attr '{attr}' lists {} types: ferroflow takes at most {MAX_ARG_TENSORS}; NodeDef: {{{{node {}}}}}",
            l.r#type.len(),
            node.name
        ))),
        _ => Err(Error::invalid_argument(format!(
            "NodeDef missing attr '{attr}' from Op<name={}>; NodeDef: {{{{node {}}}}}",
            node.op, node.name
        ))),
    }
}

fn arg_types(args: &[ArgDef], node: &NodeDef) -> Result<Vec<i32>> {
    let mut out = Vec::new();
    for a in args {
        let one = match &a.ty {
            ArgType::Fixed(t) => *t,
            ArgType::Attr(name) => type_attr(node, name)?,
            ArgType::List(name) => {
                out.extend(type_list_attr(node, name)?);
                continue;
            }
        };
        let n = match &a.number_attr {
            Some(attr) => count_attr(node, attr)?,
            None => 1,
        };
        out.extend(std::iter::repeat_n(one, n));
    }
    Ok(out)
}

fn arg_flags(args: &[ArgDef], node: &NodeDef, flag: impl Fn(&ArgDef) -> bool) -> Result<Vec<bool>> {
    let mut out = Vec::new();
    for a in args {
        let n = match (&a.ty, &a.number_attr) {
            (ArgType::List(name), _) => type_list_attr(node, name)?.len(),
            (_, Some(attr)) => count_attr(node, attr)?,
            _ => 1,
        };
        out.extend(std::iter::repeat_n(flag(a), n));
    }
    Ok(out)
}

/// `DataType` numbers as ferroflow dtypes (reference types as their base); UNIMPLEMENTED for a type
/// ferroflow does not support.
pub fn dtypes(types: &[i32]) -> Result<Vec<DType>> {
    types.iter().map(|&t| DType::from_proto(t)).collect()
}

#[cfg(test)]
mod tests;
