//! `ReduceJoin` (`tf.strings.reduce_join`): strings joined with a separator along the given
//! dimensions (negative ones count from the end; none given joins nothing), the dimensions dropped
//! or kept as size 1 (`keep_dims`). Along several dimensions the strings are joined in TF's order:
//! the first dimension named varies fastest.
//!
//! Concurrency: stateless kernel.

use crate::array::kernel;
use bytes::Bytes;
use ferroflow_framework::{Cost, Error, OpRegistry, Result, Tensor};

pub(super) fn register(reg: &mut OpRegistry) {
    reg.op("ReduceJoin")
        .input("inputs: string")
        .input("reduction_indices: int32")
        .output("output: string")
        .attr("keep_dims: bool = false")
        .attr("separator: string = ''")
        .cost(Cost::InputElements)
        .kernel(|init| {
            let keep_dims = init.attrs.get_bool_or("keep_dims", false)?;
            let separator = Bytes::from(init.attrs.get_string_or("separator", "")?.into_bytes());
            Ok(kernel(1, move |ctx| {
                let input = ctx.input(0);
                let dims = input.dims().to_vec();
                let reduced = reduced_dims(&ctx.input(1).values::<i32>()?, dims.len())?;
                let strings = input.strings()?;
                let mut strides = vec![1usize; dims.len()];
                for d in (0..dims.len().saturating_sub(1)).rev() {
                    strides[d] = strides[d + 1] * dims[d + 1] as usize;
                }
                let kept: Vec<usize> = (0..dims.len()).filter(|d| !reduced.contains(d)).collect();
                let out_count: usize = kept.iter().map(|&d| dims[d] as usize).product();
                let per_output: usize = reduced.iter().map(|&d| dims[d] as usize).product();
                let mut out = Vec::with_capacity(out_count);
                for o in 0..out_count {
                    let mut base = 0;
                    let mut rest = o;
                    for &d in kept.iter().rev() {
                        base += (rest % dims[d] as usize) * strides[d];
                        rest /= dims[d] as usize;
                    }
                    let mut joined = Vec::new();
                    for r in 0..per_output {
                        let (mut offset, mut rest) = (base, r);
                        for &d in &reduced {
                            offset += (rest % dims[d] as usize) * strides[d];
                            rest /= dims[d] as usize;
                        }
                        if r > 0 {
                            joined.extend_from_slice(&separator);
                        }
                        joined.extend_from_slice(&strings[offset]);
                    }
                    out.push(Bytes::from(joined));
                }
                let out_dims: Vec<i64> = (0..dims.len())
                    .filter_map(|d| if reduced.contains(&d) { keep_dims.then_some(1) } else { Some(dims[d]) })
                    .collect();
                ctx.set_output(0, Tensor::from_strings(out_dims, out)?);
                Ok(())
            }))
        });
}

/// The reduction dimensions, made non-negative, checked against the rank and for repeats.
fn reduced_dims(indices: &[i32], rank: usize) -> Result<Vec<usize>> {
    let mut reduced = Vec::with_capacity(indices.len());
    for &i in indices {
        let d = if i < 0 { i as i64 + rank as i64 } else { i as i64 };
        if d < 0 || d >= rank as i64 {
            return Err(Error::out_of_range(format!("Invalid reduction dimension {i} for input with {rank} dimension(s)")));
        }
        if reduced.contains(&(d as usize)) {
            return Err(Error::invalid_argument(format!("Duplicate reduction dimension {i}")));
        }
        reduced.push(d as usize);
    }
    Ok(reduced)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reduction_dims_are_checked() {
        assert_eq!(reduced_dims(&[-1, 0], 3).unwrap(), [2, 0]);
        assert_eq!(reduced_dims(&[2], 2).unwrap_err().code, ferroflow_framework::Code::OutOfRange);
        assert!(reduced_dims(&[0, -2], 2).unwrap_err().message.starts_with("Duplicate reduction dimension"));
    }
}
