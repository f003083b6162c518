//! `Where` (one input): the coordinates of an input's true (non-zero) elements, as an int64
//! `[num_true, rank]` matrix in row-major order — what `tf.where(cond)`, `tf.boolean_mask` and
//! `report_uninitialized_variables` build on. Stateless kernel; the output is sized by the input
//! (at most its element count times its rank), so it never exceeds what the input already holds
//! by more than the rank.

use super::kernel;
use ferroflow_framework::{Cost, DType, Error, Kernel, KernelInit, OpRegistry, Result, Tensor};

/// Ranks TF's `WhereOp` handles (it says "Unhandled input dimensions" outside them).
const MAX_RANK: usize = 8;

pub(super) fn register(reg: &mut OpRegistry) {
    reg.op("Where")
        .input("input: T")
        .output("index: int64")
        .attr("T: {float, double, int32, uint8, int16, int8, int64, bool, uint16, uint32, uint64} = DT_BOOL")
        .cost(Cost::InputElements)
        .kernel(where_true);
}

fn where_true(init: &KernelInit<'_>) -> Result<Kernel> {
    use DType::*;
    let allowed = [Float, Double, Int32, UInt8, Int16, Int8, Int64, Bool, UInt16, UInt32, UInt64];
    let dtype = super::type_attr_or(init, "T", Bool, &allowed)?;
    Ok(kernel(1, move |ctx| {
        let x = ctx.input(0);
        if x.dtype() != dtype {
            return Err(Error::invalid_argument(format!("Where expects a {dtype} input, got {}", x.dtype())));
        }
        let rank = x.rank();
        if rank == 0 || rank > MAX_RANK {
            return Err(Error::invalid_argument(format!("WhereOp : Unhandled input dimensions: {rank}")));
        }
        let truth = truth_of(x)?;
        let out = coordinates(&truth, x.dims())?;
        ctx.set_output(0, out);
        Ok(())
    }))
}

/// Whether each element is non-zero as TF's `value != T(0)` decides: any set bit for integers and
/// bools; any bit but the sign for floats, so `-0.0` is false and NaN true.
fn truth_of(x: &Tensor) -> Result<Vec<bool>> {
    let bytes = x.raw_bytes().ok_or_else(|| Error::internal(format!("{} tensor has no flat buffer", x.dtype())))?;
    let width = x.dtype().size().ok_or_else(|| Error::internal(format!("Where of a {} tensor", x.dtype())))?;
    let is_float = x.dtype().is_float();
    let mut truth = Vec::new();
    truth
        .try_reserve_exact(x.num_elements())
        .map_err(|_| Error::resource_exhausted(format!("OOM when evaluating Where of shape {}", x.shape())))?;
    truth.extend(bytes.chunks_exact(width).map(|e| {
        // Little-endian: the sign bit is the top bit of the last byte.
        let (last, rest) = e.split_last().expect("elements are at least one byte wide");
        let last = if is_float { last & 0x7f } else { *last };
        last != 0 || rest.iter().any(|&b| b != 0)
    }));
    Ok(truth)
}

/// The row-major coordinates of the true entries of a tensor of `dims`.
fn coordinates(truth: &[bool], dims: &[i64]) -> Result<Tensor> {
    let rank = dims.len();
    let num_true = truth.iter().filter(|&&t| t).count();
    let mut out: Vec<i64> = Vec::new();
    out.try_reserve_exact(num_true * rank)
        .map_err(|_| Error::resource_exhausted(format!("OOM when allocating tensor with shape[{num_true},{rank}] on the CPU")))?;
    let mut coord = vec![0i64; rank];
    for &t in truth {
        if t {
            out.extend_from_slice(&coord);
        }
        // Advance the row-major counter.
        for d in (0..rank).rev() {
            coord[d] += 1;
            if coord[d] < dims[d] {
                break;
            }
            coord[d] = 0;
        }
    }
    Tensor::from_vec(vec![num_true as i64, rank as i64], out)
}

#[cfg(test)]
mod tests {
    use crate::testutil::{node, run};
    use ferroflow_framework::Tensor;

    #[test]
    fn oracle_cases() {
        assert!(crate::array::oracle::run_cases("array2.json", &["Where"], 0.0) > 10);
    }

    #[test]
    fn the_default_type_is_bool() {
        let x = Tensor::from_bools(vec![3i64], vec![false, true, true]).unwrap();
        let out = run(node("Where"), vec![x]).unwrap();
        assert_eq!(out[0].dims(), &[2, 1]);
        assert_eq!(out[0].to_vec::<i64>().unwrap(), vec![1, 2]);
    }
}
