//! TF's v1 optimizers (`tf.compat.v1.train.GradientDescentOptimizer`, `MomentumOptimizer`,
//! `AdamOptimizer`) as graph ops, with the nodes TF makes: gradients gated per op (`GATE_OP`),
//! slot variables `VAR/Momentum`, `VAR/Adam`, `VAR/Adam_1` colocated with their variable, Adam's
//! `beta1_power`/`beta2_power` colocated with the first variable by name, one
//! `OPT/update_VAR/ResourceApply*` per variable, the power updates after them, and a `NoOp` named
//! after the optimizer grouping everything (added to the `train_op` collection).
//!
//! Pure graph construction.

use crate::gradients::{GradientOptions, gradients_with};
use crate::graph::{Operation, Output};
use crate::ops::{Input, control, nn::float_scalar};
use crate::scope::{OpBuilder, Scope};
use crate::variables::{Initializer, Variable, make_variable};
use ferroflow_framework::{Error, Result};

/// The update rule of an optimizer.
#[derive(Debug, Clone)]
pub enum Optimizer {
    GradientDescent { learning_rate: f64 },
    Momentum { learning_rate: f64, momentum: f64, use_nesterov: bool },
    Adam { learning_rate: f64, beta1: f64, beta2: f64, epsilon: f64 },
}

impl Optimizer {
    pub fn gradient_descent(learning_rate: f64) -> Optimizer {
        Optimizer::GradientDescent { learning_rate }
    }

    pub fn momentum(learning_rate: f64, momentum: f64) -> Optimizer {
        Optimizer::Momentum { learning_rate, momentum, use_nesterov: false }
    }

    /// `AdamOptimizer(learning_rate)` with TF's defaults (beta1 0.9, beta2 0.999, epsilon 1e-8).
    pub fn adam(learning_rate: f64) -> Optimizer {
        Optimizer::Adam { learning_rate, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }
    }

    /// TF's optimizer `name` (its scope and slot names).
    pub fn name(&self) -> &'static str {
        match self {
            Optimizer::GradientDescent { .. } => "GradientDescent",
            Optimizer::Momentum { .. } => "Momentum",
            Optimizer::Adam { .. } => "Adam",
        }
    }

    /// `optimizer.minimize(loss, var_list)`: gradients of `loss` for `vars` (the graph's trainable
    /// variables when `None`), then [`Optimizer::apply_gradients`].
    pub fn minimize(&self, scope: &Scope, loss: &Output, vars: Option<&[Variable]>) -> Result<Operation> {
        let grads_and_vars = self.compute_gradients(scope, loss, vars)?;
        self.apply_gradients(scope, &grads_and_vars)
    }

    /// `optimizer.compute_gradients(loss, var_list)` with `GATE_OP`.
    pub fn compute_gradients(&self, scope: &Scope, loss: &Output, vars: Option<&[Variable]>) -> Result<Vec<(Option<Output>, Variable)>> {
        let vars: Vec<Variable> = match vars {
            Some(v) => v.to_vec(),
            None => scope.graph().trainable_variables(),
        };
        if vars.is_empty() {
            return Err(Error::invalid_argument("No variables to optimize."));
        }
        let handles: Vec<Output> = vars.iter().map(|v| v.handle().clone()).collect();
        let opts = GradientOptions { gate_gradients: true, ..Default::default() };
        let grads = gradients_with(scope, std::slice::from_ref(loss), &handles, &opts)?;
        Ok(grads.into_iter().zip(vars).collect())
    }

    /// `optimizer.apply_gradients(grads_and_vars)`: the train op.
    pub fn apply_gradients(&self, scope: &Scope, grads_and_vars: &[(Option<Output>, Variable)]) -> Result<Operation> {
        let pairs: Vec<(&Output, &Variable)> = grads_and_vars.iter().filter_map(|(g, v)| g.as_ref().map(|g| (g, v))).collect();
        if pairs.is_empty() {
            let names: Vec<String> = grads_and_vars.iter().map(|(_, v)| format!("{v:?}")).collect();
            return Err(Error::invalid_argument(format!(
                "No gradients provided for any variable, check your graph for ops that do not support gradients, between variables [{}] and loss.",
                names.join(", ")
            )));
        }
        let vars: Vec<Variable> = pairs.iter().map(|(_, v)| (*v).clone()).collect();
        let slots = self.create_slots(scope, &vars)?;
        let s = scope.name_scope(self.name())?;
        let hyper = self.prepare(&s)?;
        let mut updates = Vec::with_capacity(pairs.len());
        for (i, (grad, var)) in pairs.iter().enumerate() {
            let u = s.name_scope(&format!("update_{}", var.name()))?.colocate_with(var.handle().op(), false);
            updates.push(self.apply_dense(&u, grad, var, &hyper, &slots, i)?);
        }
        let train = self.finish(&s, updates, &slots, &hyper)?;
        scope.graph().add_to_collection("train_op", train.name());
        Ok(train)
    }

    /// The hyperparameter constants (`OPT/learning_rate`, ...).
    fn prepare(&self, s: &Scope) -> Result<Vec<Output>> {
        let dt = ferroflow_framework::DType::Float;
        Ok(match self {
            Optimizer::GradientDescent { learning_rate } => vec![float_scalar(s, "learning_rate", *learning_rate, dt)?],
            Optimizer::Momentum { learning_rate, momentum, .. } => {
                vec![float_scalar(s, "learning_rate", *learning_rate, dt)?, float_scalar(s, "momentum", *momentum, dt)?]
            }
            Optimizer::Adam { learning_rate, beta1, beta2, epsilon } => vec![
                float_scalar(s, "learning_rate", *learning_rate, dt)?,
                float_scalar(s, "beta1", *beta1, dt)?,
                float_scalar(s, "beta2", *beta2, dt)?,
                float_scalar(s, "epsilon", *epsilon, dt)?,
            ],
        })
    }

    fn create_slots(&self, scope: &Scope, vars: &[Variable]) -> Result<Slots> {
        let root = scope.without_control_dependencies();
        let mut slots = Slots::default();
        match self {
            Optimizer::GradientDescent { .. } => {}
            Optimizer::Momentum { .. } => {
                for v in vars {
                    slots.per_var.push(vec![zeros_slot(&root, v, "Momentum")?]);
                }
            }
            Optimizer::Adam { beta1, beta2, .. } => {
                let first = vars.iter().min_by(|a, b| a.name().cmp(b.name())).ok_or_else(|| Error::internal("no variables"))?;
                let c = root.colocate_with(first.handle().op(), false);
                let dt = first.dtype();
                let b1 = make_variable(&c, "beta1_power", &[], dt, &Initializer::Value(crate::ops::scalar_tensor(*beta1, dt)?), false)?;
                let b2 = make_variable(&c, "beta2_power", &[], dt, &Initializer::Value(crate::ops::scalar_tensor(*beta2, dt)?), false)?;
                slots.non_slot = vec![b1, b2];
                for v in vars {
                    slots.per_var.push(vec![zeros_slot(&root, v, "Adam")?, zeros_slot(&root, v, "Adam")?]);
                }
            }
        }
        Ok(slots)
    }

    fn apply_dense(&self, u: &Scope, grad: &Output, var: &Variable, hyper: &[Output], slots: &Slots, i: usize) -> Result<Operation> {
        match self {
            Optimizer::GradientDescent { .. } => {
                let s = u.op_scope("ResourceApplyGradientDescent")?;
                OpBuilder::new(&s, "ResourceApplyGradientDescent").named_as_scope().input(var.handle()).input(&hyper[0]).input(grad).build()
            }
            Optimizer::Momentum { use_nesterov, .. } => {
                let s = u.op_scope("ResourceApplyMomentum")?;
                let accum = &slots.per_var[i][0];
                OpBuilder::new(&s, "ResourceApplyMomentum")
                    .named_as_scope()
                    .input(var.handle())
                    .input(accum.handle())
                    .input(&hyper[0])
                    .input(grad)
                    .input(&hyper[1])
                    .attr_bool("use_nesterov", *use_nesterov)
                    .build()
            }
            Optimizer::Adam { .. } => {
                let s = u.op_scope("ResourceApplyAdam")?;
                let (m, v) = (&slots.per_var[i][0], &slots.per_var[i][1]);
                let b1 = crate::ops::convert(&s, Input::Variable(slots.non_slot[0].clone()), "beta1_power", None)?;
                let b2 = crate::ops::convert(&s, Input::Variable(slots.non_slot[1].clone()), "beta2_power", None)?;
                OpBuilder::new(&s, "ResourceApplyAdam")
                    .named_as_scope()
                    .input(var.handle())
                    .input(m.handle())
                    .input(v.handle())
                    .input(&b1)
                    .input(&b2)
                    .input(&hyper[0])
                    .input(&hyper[1])
                    .input(&hyper[2])
                    .input(&hyper[3])
                    .input(grad)
                    .build()
            }
        }
    }

    /// TF's `_finish`: Adam's power updates after the variable updates, then the group.
    fn finish(&self, s: &Scope, mut updates: Vec<Operation>, slots: &Slots, hyper: &[Output]) -> Result<Operation> {
        if let Optimizer::Adam { .. } = self {
            let c = s.with_control_dependencies(&updates);
            let (b1, b2) = (&slots.non_slot[0], &slots.non_slot[1]);
            let c = c.colocate_with(b1.handle().op(), false);
            let mut power_updates = Vec::new();
            for (power, beta) in [(b1, &hyper[1]), (b2, &hyper[2])] {
                let value = power.read_in(&c)?;
                let product = crate::ops::math::op_mul(&c, &value, beta)?;
                let (assign, _) = power.assign(&c, &product, true)?;
                power_updates.push(assign);
            }
            updates.extend(power_updates);
        }
        control::group(&s.named(&format!("{}/", s.name_stack())), &updates)
    }
}

#[derive(Default)]
struct Slots {
    per_var: Vec<Vec<Variable>>,
    non_slot: Vec<Variable>,
}

/// TF's `slot_creator.create_zeros_slot(var, name)`: variable `VAR/NAME` (then `VAR/NAME_1`, ...)
/// of zeros, colocated with `var`.
fn zeros_slot(root: &Scope, var: &Variable, name: &str) -> Result<Variable> {
    let shape = var.shape().to_vec().ok_or_else(|| Error::unimplemented(format!("slots of {} need a fully defined shape", var.name())))?;
    let existing: Vec<String> = root.graph().global_variables().iter().map(|v| v.name().to_string()).collect();
    let base = format!("{}/{name}", var.name());
    let mut slot_name = base.clone();
    let mut i = 1;
    while existing.contains(&slot_name) {
        slot_name = format!("{base}_{i}");
        i += 1;
    }
    let c = root.name_scope("")?.colocate_with(var.handle().op(), false);
    make_variable(&c, &slot_name, &shape, var.dtype(), &Initializer::Zeros, false)
}
