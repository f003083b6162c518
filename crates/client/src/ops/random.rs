//! Random tensors as TF's `random_ops` makes them, with TF's seed derivation
//! (`random_seed.get_seed`): a graph-level seed plus a per-graph counter when the op has no seed of
//! its own, TF's default graph seed when only the op has one.

use super::array::int_vector;
use super::math::{add, op_mul, op_sub};
use super::nn::float_scalar;
use crate::graph::{Graph, Output};
use crate::scope::{OpBuilder, Scope};
use ferroflow_framework::{DType, Result};

/// TF's `DEFAULT_GRAPH_SEED`.
pub const DEFAULT_GRAPH_SEED: i64 = 87654321;
const MAXINT32: i64 = (1 << 31) - 1;

/// `(seed, seed2)` for a random op with `op_seed`, advancing the graph's counter as TF does.
pub fn get_seed(graph: &Graph, op_seed: Option<i64>) -> (i64, i64) {
    let seeds = graph.with(|g| match (g.seed, op_seed) {
        (Some(global), Some(op)) => Some((global.rem_euclid(MAXINT32), op.rem_euclid(MAXINT32))),
        (Some(global), None) => {
            let op = g.op_seed_counter;
            g.op_seed_counter += 1;
            Some((global.rem_euclid(MAXINT32), op.rem_euclid(MAXINT32)))
        }
        (None, Some(op)) => Some((DEFAULT_GRAPH_SEED, op.rem_euclid(MAXINT32))),
        (None, None) => None,
    });
    match seeds {
        Some((0, 0)) => (0, MAXINT32),
        Some(s) => s,
        None => (0, 0),
    }
}

fn random_op(s: &Scope, op_type: &str, shape: &Output, dtype: DType, seed: Option<i64>) -> Result<Output> {
    let (seed1, seed2) = get_seed(s.graph(), seed);
    OpBuilder::new(s, op_type).input(shape).attr_type("dtype", dtype).attr_int("seed", seed1).attr_int("seed2", seed2).build_output()
}

/// `tf.random.uniform(shape, minval, maxval, dtype, seed)` for float dtypes.
pub fn random_uniform(scope: &Scope, shape: &[i64], minval: f64, maxval: f64, dtype: DType, seed: Option<i64>) -> Result<Output> {
    let s = scope.op_scope("random_uniform")?;
    let shape = int_vector(&s, "shape", shape)?;
    let unit = minval == 0.0 && maxval == 1.0;
    let bounds = if unit { None } else { Some((float_scalar(&s, "min", minval, dtype)?, float_scalar(&s, "max", maxval, dtype)?)) };
    let rnd = random_op(&s, "RandomUniform", &shape, dtype, seed)?;
    match bounds {
        None => Ok(rnd),
        Some((lo, hi)) => {
            let range = op_sub(&s, &hi, &lo)?;
            let scaled = op_mul(&s, &rnd, &range)?;
            add(&s.named(&format!("{}/", s.name_stack())), &scaled, &lo)
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn normal(scope: &Scope, default: &str, op_type: &str, shape: &[i64], mean: f64, stddev: f64, dtype: DType, seed: Option<i64>) -> Result<Output> {
    let s = scope.op_scope(default)?;
    let shape = int_vector(&s, "shape", shape)?;
    let mean = float_scalar(&s, "mean", mean, dtype)?;
    let stddev = float_scalar(&s, "stddev", stddev, dtype)?;
    let rnd = random_op(&s, op_type, &shape, dtype, seed)?;
    let scaled = op_mul(&s, &rnd, &stddev)?;
    add(&s.named(&format!("{}/", s.name_stack())), &scaled, &mean)
}

/// `tf.random.normal(shape, mean, stddev, dtype, seed)`.
pub fn random_normal(scope: &Scope, shape: &[i64], mean: f64, stddev: f64, dtype: DType, seed: Option<i64>) -> Result<Output> {
    normal(scope, "random_normal", "RandomStandardNormal", shape, mean, stddev, dtype, seed)
}

/// `tf.random.truncated_normal(shape, mean, stddev, dtype, seed)`.
pub fn truncated_normal(scope: &Scope, shape: &[i64], mean: f64, stddev: f64, dtype: DType, seed: Option<i64>) -> Result<Output> {
    normal(scope, "truncated_normal", "TruncatedNormal", shape, mean, stddev, dtype, seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_follow_tf() {
        let g = Graph::new();
        assert_eq!(get_seed(&g, None), (0, 0));
        assert_eq!(get_seed(&g, Some(5)), (DEFAULT_GRAPH_SEED, 5));
        g.set_random_seed(42);
        assert_eq!(get_seed(&g, None), (42, 0));
        assert_eq!(get_seed(&g, None), (42, 1));
        assert_eq!(get_seed(&g, Some(7)), (42, 7));
        g.set_random_seed(0);
        assert_eq!(get_seed(&g, Some(0)), (0, MAXINT32));
    }
}
