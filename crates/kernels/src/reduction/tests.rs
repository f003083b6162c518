//! Tests of the reduction kernels: every case of `testdata/reduction.json` (computed by stock
//! TensorFlow through `tools/oracle/reduction_cases.py`), and checks of the parallel paths against
//! a naive reference on tensors too large for the oracle file.

use super::{Max, Mean, Reducer, Sum, groups, reduce};
use crate::cwise::tests::run_oracle_file;
use crate::testutil::{node, run};
use ferroflow_framework::{DType, Tensor};

#[test]
fn every_tensorflow_reduction_case() {
    let n = run_oracle_file("reduction.json");
    assert!(n > 50, "only {n} cases");
}

/// Reference reduction: each input element's output index computed from scratch.
fn naive<R: Reducer<i64>>(input: &[i64], dims: &[i64], mask: &[bool]) -> Vec<i64> {
    let out_n: usize = dims.iter().zip(mask).filter(|(_, m)| !**m).map(|(&d, _)| d as usize).product();
    let mut acc = vec![R::init(); out_n];
    for (flat, &x) in input.iter().enumerate() {
        let (mut rem, mut o, mut scale) = (flat, 0usize, 1usize);
        for d in (0..dims.len()).rev() {
            let i = rem % dims[d] as usize;
            rem /= dims[d] as usize;
            if !mask[d] {
                o += i * scale;
                scale *= dims[d] as usize;
            }
        }
        acc[o] = R::step(acc[o], x);
    }
    let count = input.len().checked_div(out_n).unwrap_or(0);
    acc.into_iter().map(|a| R::finish(a, count)).collect()
}

#[test]
fn groups_alternate_and_skip_unit_dimensions() {
    let g = groups(&[2, 1, 3, 4, 1, 5], &[false, true, true, true, false, false]);
    let sizes: Vec<(usize, bool, usize, usize)> =
        g.iter().map(|g| (g.size, g.reduced, g.in_stride, g.out_stride)).collect();
    assert_eq!(sizes, vec![(2, false, 60, 5), (12, true, 5, 5), (5, false, 1, 1)]);
    assert_eq!(groups(&[1, 1], &[true, false]).len(), 1);
}

#[test]
fn every_axis_pattern_matches_the_reference_small_and_large() {
    for dims in [vec![3i64, 4, 5, 2], vec![7, 131, 3, 37]] {
        let n: i64 = dims.iter().product();
        let input: Vec<i64> = (0..n).map(|i| (i * 7919) % 1013 - 500).collect();
        for bits in 0..16u32 {
            let mask: Vec<bool> = (0..4).map(|d| bits & (1 << d) != 0).collect();
            assert_eq!(
                reduce::<i64, Sum>(&input, &dims, &mask).unwrap(),
                naive::<Sum>(&input, &dims, &mask),
                "sum {dims:?} {mask:?}"
            );
            assert_eq!(
                reduce::<i64, Max>(&input, &dims, &mask).unwrap(),
                naive::<Max>(&input, &dims, &mask),
                "max {dims:?} {mask:?}"
            );
            assert_eq!(
                reduce::<i64, Mean>(&input, &dims, &mask).unwrap(),
                naive::<Mean>(&input, &dims, &mask),
                "mean {dims:?} {mask:?}"
            );
        }
    }
}

#[test]
fn large_float_reductions_through_the_kernels() {
    let (rows, cols) = (1000usize, 300usize);
    let v: Vec<f32> = (0..rows * cols).map(|i| ((i % 17) as f32) * 0.25).collect();
    let x = Tensor::from_vec(vec![rows as i64, cols as i64], v.clone()).unwrap();
    let sum = |axes: Vec<i32>| {
        let idx = Tensor::from_vec(vec![axes.len() as i64], axes).unwrap();
        run(node("Sum").attr_type("T", DType::Float), vec![x.clone(), idx]).unwrap().remove(0).to_vec::<f32>().unwrap()
    };
    let all = sum(vec![0, 1]);
    let want: f64 = v.iter().map(|&x| x as f64).sum();
    assert!((all[0] as f64 - want).abs() < 1e-5 * want);
    let by_col = sum(vec![0]);
    for (c, &g) in by_col.iter().enumerate() {
        let w: f32 = (0..rows).map(|r| v[r * cols + c]).sum();
        assert!((g - w).abs() <= 1e-4 * w.abs().max(1.0), "col {c}: {g} vs {w}");
    }
    let by_row = sum(vec![1]);
    for (r, &g) in by_row.iter().enumerate() {
        let w: f32 = v[r * cols..(r + 1) * cols].iter().sum();
        assert!((g - w).abs() <= 1e-4 * w.abs().max(1.0), "row {r}: {g} vs {w}");
    }
}

#[test]
fn large_arg_reductions_find_the_first_extreme() {
    let n = 300_001usize;
    let mut v: Vec<f32> = (0..n).map(|i| (i % 1000) as f32).collect();
    v[123_456] = 5000.0;
    v[223_456] = 5000.0;
    v[7] = f32::NAN;
    let x = Tensor::from_vec(vec![n as i64], v).unwrap();
    let dim = Tensor::scalar(0i32);
    let am = run(node("ArgMax").attr_type("T", DType::Float), vec![x.clone(), dim.clone()]).unwrap().remove(0);
    assert_eq!(am.to_vec::<i64>().unwrap(), vec![123_456]);
    let row = x.reshaped(vec![1, n as i64].into()).unwrap();
    let node_min = node("ArgMin").attr_type("T", DType::Float).attr_type("output_type", DType::Int32);
    let am = run(node_min, vec![row, Tensor::scalar(1i64)]).unwrap().remove(0);
    assert_eq!((am.dims(), am.to_vec::<i32>().unwrap()), (&[1i64][..], vec![0]));
    let rows = Tensor::from_vec(vec![1000, 300], (0..300_000i32).map(|i| (i * 37) % 1001).collect::<Vec<_>>()).unwrap();
    let got =
        run(node("ArgMax").attr_type("T", DType::Int32), vec![rows.clone(), Tensor::scalar(1i32)]).unwrap().remove(0);
    let vals = rows.to_vec::<i32>().unwrap();
    for (r, &g) in got.to_vec::<i64>().unwrap().iter().enumerate() {
        let row = &vals[r * 300..(r + 1) * 300];
        let max = *row.iter().max().unwrap();
        assert_eq!(g as usize, row.iter().position(|&x| x == max).unwrap());
    }
}
