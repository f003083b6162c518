//! Diagonals and bands of matrices, as TF's `matrix_diag_op.cc`, `matrix_set_diag_op.cc`,
//! `diag_op.cc` and `matrix_band_part_op.cc` define them: `MatrixDiag` builds batches of matrices
//! from diagonals, `MatrixDiagPart` reads them out, `MatrixSetDiag` replaces them, each for one
//! diagonal or a band `k = [lower, upper]` (V2/V3, with `num_rows`/`num_cols` and a padding value);
//! V3's `align` says whether super- and subdiagonals shorter than the longest sit at the left or
//! the right of their row of the packed diagonals (V1 and V2 are left-left). `Diag`/`DiagPart` are
//! the rank-`2k` diagonal tensor of a rank-`k` one and back, `MatrixBandPart` zeroes what lies
//! outside a band. Every fixed-width dtype (and strings) through the word-generic element filler;
//! outputs sized by inputs are allocated against the memory budget.
//!
//! Concurrency: stateless kernels, shared by every step of a graph.

use super::elems::{Elem, Filler, fill_elements};
use super::kernel;
use ferroflow_framework::{DType, Error, KernelInit, OpKernelContext, OpRegistry, Result, Tensor, TensorShape};

pub(crate) fn register(reg: &mut OpRegistry) {
    const ALIGN: &str = "align: {'LEFT_RIGHT', 'RIGHT_LEFT', 'LEFT_LEFT', 'RIGHT_RIGHT'} = 'RIGHT_LEFT'";
    reg.op("MatrixDiag").input("diagonal: T").output("output: T").attr("T: type").kernel(build_diag);
    for (name, align) in [("MatrixDiagV2", false), ("MatrixDiagV3", true)] {
        let op = (reg.op(name).input("diagonal: T").input("k: int32").input("num_rows: int32"))
            .input("num_cols: int32")
            .input("padding_value: T")
            .output("output: T")
            .attr("T: type");
        if align { op.attr(ALIGN).kernel(build_diag) } else { op.kernel(build_diag) };
    }
    reg.op("MatrixDiagPart").input("input: T").output("diagonal: T").attr("T: type").kernel(build_diag_part);
    for (name, align) in [("MatrixDiagPartV2", false), ("MatrixDiagPartV3", true)] {
        let op = (reg.op(name).input("input: T").input("k: int32").input("padding_value: T"))
            .output("diagonal: T")
            .attr("T: type");
        if align { op.attr(ALIGN).kernel(build_diag_part) } else { op.kernel(build_diag_part) };
    }
    reg.op("MatrixSetDiag").input("input: T").input("diagonal: T").output("output: T").attr("T: type").kernel(build_set_diag);
    for (name, align) in [("MatrixSetDiagV2", false), ("MatrixSetDiagV3", true)] {
        let op = (reg.op(name).input("input: T").input("diagonal: T").input("k: int32"))
            .output("output: T")
            .attr("T: type");
        if align { op.attr(ALIGN).kernel(build_set_diag) } else { op.kernel(build_set_diag) };
    }
    const NUMBERS: &str = "T: {bfloat16, half, float, double, int32, int64, complex64, complex128}";
    reg.op("Diag").input("diagonal: T").output("output: T").attr(NUMBERS).kernel(|_| Ok(kernel(1, diag)));
    reg.op("DiagPart").input("input: T").output("diagonal: T").attr(NUMBERS).kernel(|_| Ok(kernel(1, diag_part)));
    reg.op("MatrixBandPart")
        .input("input: T")
        .input("num_lower: Tindex")
        .input("num_upper: Tindex")
        .output("band: T")
        .attr("T: type")
        .attr("Tindex: {int32, int64} = DT_INT64")
        .kernel(|_| Ok(kernel(1, band_part)));
}

/// Where diagonals shorter than the longest sit in their row of the packed form.
#[derive(Clone, Copy)]
struct Alignment {
    left_superdiagonals: bool,
    left_subdiagonals: bool,
}

/// The alignment of a V3 op's `align` attr; V1 and V2 ops (without it) are left-left.
fn alignment(init: &KernelInit<'_>) -> Result<Alignment> {
    let align = if init.attrs.has("align") { init.attrs.get_string("align")? } else { "LEFT_LEFT".to_string() };
    Ok(Alignment {
        left_superdiagonals: align == "LEFT_LEFT" || align == "LEFT_RIGHT",
        left_subdiagonals: align == "LEFT_LEFT" || align == "RIGHT_LEFT",
    })
}

/// The diagonals `lower..=upper` of `rows x cols` matrices, packed `max_len` to a row.
#[derive(Clone, Copy)]
struct Band {
    lower: i64,
    upper: i64,
    max_len: i64,
    rows: i64,
    cols: i64,
    align: Alignment,
}

impl Band {
    fn num_diags(&self) -> i64 {
        self.upper - self.lower + 1
    }

    /// TF's `ComputeDiagLenAndContentOffset`: diagonal `d`'s length and where it starts in its row.
    fn len_and_offset(&self, d: i64) -> (i64, i64) {
        let left = (d >= 0 && self.align.left_superdiagonals) || (d <= 0 && self.align.left_subdiagonals);
        let len = (self.rows + d.min(0)).min(self.cols - d.max(0));
        (len, if left { 0 } else { self.max_len - len })
    }

    /// The packed position (in one batch's block) of matrix element `(i, j)`, if it is in the band.
    fn packed(&self, i: i64, j: i64) -> Option<usize> {
        let d = j - i;
        if d < self.lower || d > self.upper {
            return None;
        }
        let (_, offset) = self.len_and_offset(d);
        Some(((self.upper - d) * self.max_len + i.min(j) + offset) as usize)
    }

    /// The matrix element (row, column) at packed position `p` of diagonal `d`, if it holds one.
    fn element(&self, d: i64, p: i64) -> Option<(i64, i64)> {
        let (len, offset) = self.len_and_offset(d);
        let n = p - offset;
        if n < 0 || n >= len {
            return None;
        }
        Some(if d >= 0 { (n, n + d) } else { (n - d, n) })
    }
}

/// The `k` input (one offset or `[lower, upper]`), checked as TF checks it.
fn diag_indices(k: &Tensor, needs_an_element: bool) -> Result<(i64, i64)> {
    if k.rank() > 1 {
        return Err(Error::invalid_argument(format!("diag_index must be a scalar or vector, received shape: {}", k.shape())));
    }
    let values = k.values::<i32>()?;
    if needs_an_element && values.is_empty() {
        return Err(Error::invalid_argument("diag_index must have at least one element"));
    }
    if k.rank() == 1 && !(1..=2).contains(&values.len()) {
        return Err(Error::invalid_argument(format!("diag_index must have only one or two elements, received {} elements.", values.len())));
    }
    let lower = i64::from(values[0]);
    Ok((lower, values.get(1).map_or(lower, |&u| i64::from(u))))
}

fn check_order(lower: i64, upper: i64) -> Result<()> {
    if lower > upper {
        return Err(Error::invalid_argument(format!(
            "lower_diag_index must not be larger than upper_diag_index: {lower} > {upper}"
        )));
    }
    Ok(())
}

/// The bounds check of `MatrixDiagPart` (`part`, with a period after the index) and `MatrixSetDiag`.
fn check_in_matrix(lower: i64, upper: i64, rows: i64, cols: i64, part: bool) -> Result<()> {
    let inside = |d: i64| (-rows < d && d < cols) || d == 0;
    if !inside(lower) {
        let stop = if part { "." } else { "" };
        return Err(Error::invalid_argument(format!(
            "lower_diag_index is out of bound: {lower}{stop} It must be between {} and {cols}",
            -rows
        )));
    }
    if !inside(upper) {
        return Err(Error::invalid_argument(format!("upper_diag_index is out of bound: {upper} It must be between {} and {cols}", -rows)));
    }
    check_order(lower, upper)
}

fn scalar_padding(t: &Tensor, message: &str) -> Result<()> {
    if t.rank() != 0 {
        return Err(Error::invalid_argument(message.to_string()));
    }
    Ok(())
}

/// `(batch dims, rows, cols)` of a matrix-or-higher input.
fn matrix_dims(t: &Tensor) -> Result<(&[i64], i64, i64)> {
    let dims = t.shape().dims();
    if dims.len() < 2 {
        return Err(Error::invalid_argument(format!("input must be at least 2-dim, received shape: {}", t.shape())));
    }
    let r = dims.len();
    Ok((&dims[..r - 2], dims[r - 2], dims[r - 1]))
}

// ---------------------------------------------------------------------------------------------
// MatrixDiag

fn build_diag(init: &KernelInit<'_>) -> Result<ferroflow_framework::Kernel> {
    let align = alignment(init)?;
    Ok(kernel(1, move |ctx| matrix_diag(ctx, align)))
}

fn matrix_diag(ctx: &mut OpKernelContext<'_>, align: Alignment) -> Result<()> {
    let diagonal = ctx.input(0);
    let (mut lower, mut upper, mut rows, mut cols, mut padding) = (0, 0, -1i64, -1i64, None);
    if ctx.num_inputs() > 1 {
        (lower, upper) = diag_indices(ctx.input(1), false)?;
        rows = i64::from(ctx.input(2).scalar_value::<i32>()?);
        cols = i64::from(ctx.input(3).scalar_value::<i32>()?);
        scalar_padding(ctx.input(4), "padding_value must be a scalar")?;
        padding = Some(ctx.input(4));
    }
    let dims = diagonal.shape().dims();
    if dims.is_empty() {
        return Err(Error::invalid_argument(format!("diagonal must be at least 1-dim, received shape: {}", diagonal.shape())));
    }
    check_order(lower, upper)?;
    let num_diags = upper - lower + 1;
    let r = dims.len();
    if lower != upper && (r < 2 || dims[r - 2] != num_diags) {
        return Err(Error::invalid_argument(
            "The number of diagonals provided in the input does not match the lower_diag_index and upper_diag_index range.",
        ));
    }
    let max_len = dims[r - 1];
    let (min_rows, min_cols) = (max_len - upper.min(0), max_len + lower.max(0));
    if rows != -1 && rows < min_rows {
        return Err(Error::invalid_argument("The number of rows is too small."));
    }
    if cols != -1 && cols < min_cols {
        return Err(Error::invalid_argument("The number of columns is too small."));
    }
    match (rows, cols) {
        (-1, -1) => {
            rows = min_rows.max(min_cols);
            cols = rows;
        }
        (-1, _) => rows = min_rows,
        (_, -1) => cols = min_cols,
        _ => {}
    }
    if rows != min_rows && cols != min_cols {
        return Err(Error::invalid_argument(
            "The number of rows or columns is not consistent with the specified d_lower, d_upper, and diagonal.",
        ));
    }
    let batch_dims = if num_diags == 1 { &dims[..r - 1] } else { &dims[..r - 2] };
    let mut out_dims = batch_dims.to_vec();
    out_dims.extend([rows, cols]);
    let band = Band { lower, upper, max_len, rows, cols, align };
    let mut srcs = vec![diagonal];
    srcs.extend(padding);
    let out = fill_elements(ctx, diagonal.dtype(), &srcs, TensorShape::new(out_dims), &DiagFiller(band))?;
    ctx.set_output(0, out);
    Ok(())
}

struct DiagFiller(Band);

impl Filler for DiagFiller {
    fn fill<E: Elem>(&self, srcs: &[&[E]], out: &mut [E]) -> Result<()> {
        let b = &self.0;
        let pad = srcs.get(1).and_then(|p| p.first()).cloned().unwrap_or_default();
        let (rows, cols) = (b.rows as usize, b.cols as usize);
        let block = (b.num_diags() * b.max_len) as usize;
        if rows * cols == 0 {
            return Ok(());
        }
        for (batch, matrix) in out.chunks_mut(rows * cols).enumerate() {
            let packed = srcs[0].get(batch * block..(batch + 1) * block).unwrap_or_default();
            for (i, row) in matrix.chunks_mut(cols).enumerate() {
                for (j, o) in row.iter_mut().enumerate() {
                    *o = match b.packed(i as i64, j as i64).and_then(|p| packed.get(p)) {
                        Some(v) => v.clone(),
                        None => pad.clone(),
                    };
                }
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// MatrixDiagPart

fn build_diag_part(init: &KernelInit<'_>) -> Result<ferroflow_framework::Kernel> {
    let align = alignment(init)?;
    Ok(kernel(1, move |ctx| matrix_diag_part(ctx, align)))
}

fn matrix_diag_part(ctx: &mut OpKernelContext<'_>, align: Alignment) -> Result<()> {
    let input = ctx.input(0);
    let (mut lower, mut upper, mut padding) = (0, 0, None);
    if ctx.num_inputs() > 1 {
        (lower, upper) = diag_indices(ctx.input(1), false)?;
        scalar_padding(ctx.input(2), "Padding must be scalar.")?;
        padding = Some(ctx.input(2));
    }
    let (batch_dims, rows, cols) = matrix_dims(input)?;
    check_in_matrix(lower, upper, rows, cols, true)?;
    let num_diags = upper - lower + 1;
    let max_len = (rows + upper.min(0)).min(cols - lower.max(0));
    let mut out_dims = batch_dims.to_vec();
    if num_diags > 1 {
        out_dims.push(num_diags);
    }
    out_dims.push(max_len);
    let band = Band { lower, upper, max_len, rows, cols, align };
    let mut srcs = vec![input];
    srcs.extend(padding);
    let out = fill_elements(ctx, input.dtype(), &srcs, TensorShape::new(out_dims), &DiagPartFiller(band))?;
    ctx.set_output(0, out);
    Ok(())
}

struct DiagPartFiller(Band);

impl Filler for DiagPartFiller {
    fn fill<E: Elem>(&self, srcs: &[&[E]], out: &mut [E]) -> Result<()> {
        let b = &self.0;
        let pad = srcs.get(1).and_then(|p| p.first()).cloned().unwrap_or_default();
        let matrix = (b.rows * b.cols) as usize;
        let block = (b.num_diags() * b.max_len) as usize;
        if block == 0 {
            return Ok(());
        }
        for (batch, packed) in out.chunks_mut(block).enumerate() {
            let m = srcs[0].get(batch * matrix..(batch + 1) * matrix).unwrap_or_default();
            for (k, row) in packed.chunks_mut(b.max_len as usize).enumerate() {
                let d = b.upper - k as i64;
                for (p, o) in row.iter_mut().enumerate() {
                    let at = b.element(d, p as i64).and_then(|(i, j)| m.get((i * b.cols + j) as usize));
                    *o = at.cloned().unwrap_or_else(|| pad.clone());
                }
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// MatrixSetDiag

fn build_set_diag(init: &KernelInit<'_>) -> Result<ferroflow_framework::Kernel> {
    let align = alignment(init)?;
    Ok(kernel(1, move |ctx| matrix_set_diag(ctx, align)))
}

fn matrix_set_diag(ctx: &mut OpKernelContext<'_>, align: Alignment) -> Result<()> {
    let (input, diagonal) = (ctx.input(0), ctx.input(1));
    let (lower, upper) = if ctx.num_inputs() > 2 { diag_indices(ctx.input(2), true)? } else { (0, 0) };
    let (batch_dims, rows, cols) = matrix_dims(input)?;
    if diagonal.rank() == 0 {
        return Err(Error::invalid_argument(format!("diagonal must be at least 1-dim, received shape: {}", diagonal.shape())));
    }
    check_in_matrix(lower, upper, rows, cols, false)?;
    let num_diags = upper - lower + 1;
    let input_rank = batch_dims.len() + 2;
    if lower != upper && diagonal.shape().dims().get(input_rank - 2) != Some(&num_diags) {
        return Err(Error::invalid_argument(
            "The number of diagonals provided in `diag` is not consistent with `lower_diag_index` and `upper_diag_index`",
        ));
    }
    let max_len = (rows + upper.min(0)).min(cols - lower.max(0));
    let mut expected = batch_dims.to_vec();
    if num_diags > 1 {
        expected.push(num_diags);
    }
    expected.push(max_len);
    if diagonal.shape().dims() != expected.as_slice() {
        return Err(Error::invalid_argument(format!(
            "Either first dimensions of diagonal don't match input.shape[:-2], or diagonal.shape[:-1] is not equal to the longests diagonal in range [lower_diag_index:upper_diag_index].\nInput shape: {}\nDiagonal shape: {}\nExpected diagonal shape: {}",
            input.shape(),
            diagonal.shape(),
            TensorShape::new(expected)
        )));
    }
    if input.num_elements() == 0 {
        ctx.set_output(0, input.clone());
        return Ok(());
    }
    let band = Band { lower, upper, max_len, rows, cols, align };
    let out = fill_elements(ctx, input.dtype(), &[input, diagonal], input.shape().clone(), &SetDiagFiller(band))?;
    ctx.set_output(0, out);
    Ok(())
}

struct SetDiagFiller(Band);

impl Filler for SetDiagFiller {
    fn fill<E: Elem>(&self, srcs: &[&[E]], out: &mut [E]) -> Result<()> {
        let b = &self.0;
        out.clone_from_slice(srcs[0]);
        let matrix = (b.rows * b.cols) as usize;
        let block = (b.num_diags() * b.max_len) as usize;
        for (batch, m) in out.chunks_mut(matrix).enumerate() {
            let packed = srcs[1].get(batch * block..(batch + 1) * block).unwrap_or_default();
            for k in 0..b.num_diags() {
                let d = b.upper - k;
                for p in 0..b.max_len {
                    if let (Some((i, j)), Some(v)) = (b.element(d, p), packed.get((k * b.max_len + p) as usize)) {
                        m[(i * b.cols + j) as usize] = v.clone();
                    }
                }
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Diag, DiagPart, MatrixBandPart

fn diag(ctx: &mut OpKernelContext<'_>) -> Result<()> {
    let x = ctx.input(0);
    if x.rank() == 0 {
        return Err(Error::invalid_argument(format!("Input must be at least rank 1, got {}", x.rank())));
    }
    let mut dims = x.shape().dims().to_vec();
    dims.extend_from_within(..);
    let out = fill_elements(ctx, x.dtype(), &[x], super::checked_shape(&dims)?, &DiagonalTensor)?;
    ctx.set_output(0, out);
    Ok(())
}

/// `Diag`: element `i` of the input at `(i, i)` of an `n x n` layout, zeros elsewhere.
struct DiagonalTensor;

impl Filler for DiagonalTensor {
    fn fill<E: Elem>(&self, srcs: &[&[E]], out: &mut [E]) -> Result<()> {
        let n = srcs[0].len();
        for (i, v) in srcs[0].iter().enumerate() {
            out[i * n + i] = v.clone();
        }
        Ok(())
    }
}

fn diag_part(ctx: &mut OpKernelContext<'_>) -> Result<()> {
    let x = ctx.input(0);
    let dims = x.shape().dims();
    let k = dims.len() / 2;
    if dims.is_empty() || dims.len() % 2 != 0 {
        return Err(Error::invalid_argument(format!(
            "The rank of the tensor should be                                          even and positive, got shape {}",
            x.shape()
        )));
    }
    if let Some(i) = (0..k).find(|&i| dims[i] != dims[i + k]) {
        return Err(Error::invalid_argument(format!("Invalid shape {}: dimensions {i} and {} do not match.", x.shape(), i + k)));
    }
    let out = fill_elements(ctx, x.dtype(), &[x], TensorShape::new(dims[..k].to_vec()), &DiagonalOfTensor)?;
    ctx.set_output(0, out);
    Ok(())
}

/// `DiagPart`: element `(i, i)` of the input's `n x n` layout.
struct DiagonalOfTensor;

impl Filler for DiagonalOfTensor {
    fn fill<E: Elem>(&self, srcs: &[&[E]], out: &mut [E]) -> Result<()> {
        let n = out.len();
        for (i, o) in out.iter_mut().enumerate() {
            *o = srcs[0][i * n + i].clone();
        }
        Ok(())
    }
}

/// A `num_lower`/`num_upper` input: a scalar, negative (the whole triangle) or at most `limit`.
fn band_bound(t: &Tensor, name: &str, limit: i64, what: &str) -> Result<i64> {
    if t.rank() != 0 {
        return Err(Error::invalid_argument(format!("{name} must be scalar, got shape {}", t.shape())));
    }
    let v = match t.dtype() {
        DType::Int32 => i64::from(t.scalar_value::<i32>()?),
        _ => t.scalar_value::<i64>()?,
    };
    if v > limit {
        return Err(Error::invalid_argument(format!("{name} must be negative or less or equal to number of {what} ({limit}) got: {v}")));
    }
    Ok(v)
}

fn band_part(ctx: &mut OpKernelContext<'_>) -> Result<()> {
    let x = ctx.input(0);
    let (_, rows, cols) = matrix_dims(x)?;
    let lower = band_bound(ctx.input(1), "num_lower", rows, "rows")?;
    let upper = band_bound(ctx.input(2), "num_upper", cols, "columns")?;
    let out = fill_elements(ctx, x.dtype(), &[x], x.shape().clone(), &BandFiller { lower, upper, rows, cols })?;
    ctx.set_output(0, out);
    Ok(())
}

/// `MatrixBandPart`: keeps `(i, j)` with `i - j <= lower` and `j - i <= upper` (negative: no bound),
/// zeros elsewhere.
struct BandFiller {
    lower: i64,
    upper: i64,
    rows: i64,
    cols: i64,
}

impl Filler for BandFiller {
    fn fill<E: Elem>(&self, srcs: &[&[E]], out: &mut [E]) -> Result<()> {
        let (rows, cols) = (self.rows as usize, self.cols as usize);
        if rows * cols == 0 {
            return Ok(());
        }
        let keeps = |i: i64, j: i64| (self.lower < 0 || i - j <= self.lower) && (self.upper < 0 || j - i <= self.upper);
        for (o_matrix, x_matrix) in out.chunks_mut(rows * cols).zip(srcs[0].chunks(rows * cols)) {
            for (i, (o_row, x_row)) in o_matrix.chunks_mut(cols).zip(x_matrix.chunks(cols)).enumerate() {
                for (j, (o, x)) in o_row.iter_mut().zip(x_row).enumerate() {
                    if keeps(i as i64, j as i64) {
                        *o = x.clone();
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn oracle_cases() {
        let ops = [
            "MatrixDiag",
            "MatrixDiagV2",
            "MatrixDiagV3",
            "MatrixDiagPart",
            "MatrixDiagPartV2",
            "MatrixDiagPartV3",
            "MatrixSetDiag",
            "MatrixSetDiagV2",
            "MatrixSetDiagV3",
            "Diag",
            "DiagPart",
            "MatrixBandPart",
        ];
        assert!(crate::array::oracle::run_cases("diag.json", &ops, 0.0) >= 250);
    }
}
