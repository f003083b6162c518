//! Partially known shapes at run time (TF's `PartialTensorShape`): unknown rank, or a known rank
//! with `-1` for unknown dimensions. Kernels that carry element shapes (TensorLists, TensorArrays)
//! merge and compare them with TF's rules and messages. Plain data.

use crate::error::{Error, Result};
use crate::shape::TensorShape;
use ferroflow_proto::TensorShapeProto;

/// A shape of unknown rank (`None`) or known rank with `-1` for each unknown dimension.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct PartialTensorShape(Option<Vec<i64>>);

impl PartialTensorShape {
    /// The shape of unknown rank.
    pub fn unknown() -> PartialTensorShape {
        PartialTensorShape(None)
    }

    /// A shape of known rank; `-1` marks an unknown dimension, anything below is INVALID_ARGUMENT
    /// (TF's `MakePartialShape`).
    pub fn from_dims(dims: &[i64]) -> Result<PartialTensorShape> {
        if let Some(d) = dims.iter().find(|&&d| d < -1) {
            return Err(Error::invalid_argument(format!("Dimension {d} must be >= -1")));
        }
        let mut n: i128 = 1;
        for &d in dims.iter().filter(|&&d| d >= 0) {
            n *= d as i128;
            if n > i64::MAX as i128 {
                return Err(Error::invalid_argument(format!(
                    "Encountered overflow when multiplying {} with {d}, result: -1",
                    n / d as i128
                )));
            }
        }
        Ok(PartialTensorShape(Some(dims.to_vec())))
    }

    pub fn from_shape(shape: &TensorShape) -> PartialTensorShape {
        PartialTensorShape(Some(shape.dims().to_vec()))
    }

    /// Reads a shape message (`unknown_rank`, `-1` sizes).
    pub fn from_proto(p: &TensorShapeProto) -> Result<PartialTensorShape> {
        if p.unknown_rank {
            return Ok(PartialTensorShape::unknown());
        }
        let dims: Vec<i64> = p.dim.iter().map(|d| d.size).collect();
        PartialTensorShape::from_dims(&dims)
    }

    /// From a shape attribute as `Attrs::get_shape` gives it (`None` for unknown rank).
    pub fn from_attr(dims: Option<Vec<i64>>) -> Result<PartialTensorShape> {
        match dims {
            None => Ok(PartialTensorShape::unknown()),
            Some(d) => PartialTensorShape::from_dims(&d),
        }
    }

    pub fn to_proto(&self) -> TensorShapeProto {
        match &self.0 {
            None => TensorShapeProto { dim: vec![], unknown_rank: true },
            Some(dims) => TensorShapeProto {
                dim: dims.iter().map(|&size| ferroflow_proto::tensor_shape_proto::Dim { size, name: String::new() }).collect(),
                unknown_rank: false,
            },
        }
    }

    pub fn unknown_rank(&self) -> bool {
        self.0.is_none()
    }

    /// The dimensions (`-1` unknown), or `None` for unknown rank.
    pub fn dims(&self) -> Option<&[i64]> {
        self.0.as_deref()
    }

    pub fn rank(&self) -> Option<usize> {
        self.0.as_ref().map(Vec::len)
    }

    /// Size of dimension `i`: `-1` when unknown (or when the rank is unknown, as TF answers).
    pub fn dim(&self, i: usize) -> i64 {
        self.0.as_ref().and_then(|d| d.get(i).copied()).unwrap_or(-1)
    }

    pub fn is_fully_defined(&self) -> bool {
        self.0.as_ref().is_some_and(|d| d.iter().all(|&x| x >= 0))
    }

    /// The shape when fully defined.
    pub fn as_tensor_shape(&self) -> Option<TensorShape> {
        if self.is_fully_defined() { self.0.clone().map(TensorShape::new) } else { None }
    }

    /// True when some fully defined shape matches both (TF's `IsCompatibleWith`).
    pub fn is_compatible_with(&self, other: &PartialTensorShape) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => a.len() == b.len() && a.iter().zip(b).all(|(&x, &y)| x < 0 || y < 0 || x == y),
            _ => true,
        }
    }

    pub fn is_compatible_with_shape(&self, shape: &TensorShape) -> bool {
        self.is_compatible_with(&PartialTensorShape::from_shape(shape))
    }

    /// Same rank and dimensions, or both of unknown rank (TF's `IsIdenticalTo`).
    pub fn is_identical_to(&self, other: &PartialTensorShape) -> bool {
        self.0 == other.0
    }

    /// The most specific shape compatible with both, or TF's INVALID_ARGUMENT
    /// (`PartialTensorShape: Incompatible shapes during merge: [1,3] vs. [?,2]`).
    pub fn merge_with(&self, other: &PartialTensorShape) -> Result<PartialTensorShape> {
        let (a, b) = match (&self.0, &other.0) {
            (None, _) => return Ok(other.clone()),
            (_, None) => return Ok(self.clone()),
            (Some(a), Some(b)) => (a, b),
        };
        if a.len() != b.len() {
            return Err(Error::invalid_argument(format!(
                "PartialTensorShape: Incompatible ranks during merge: {} vs. {}",
                a.len(),
                b.len()
            )));
        }
        let mut out = Vec::with_capacity(a.len());
        for (&x, &y) in a.iter().zip(b) {
            if x >= 0 && y >= 0 && x != y {
                return Err(Error::invalid_argument(format!(
                    "PartialTensorShape: Incompatible shapes during merge: {self} vs. {other}"
                )));
            }
            out.push(if x >= 0 { x } else { y });
        }
        Ok(PartialTensorShape(Some(out)))
    }

    pub fn merge_with_shape(&self, shape: &TensorShape) -> Result<PartialTensorShape> {
        self.merge_with(&PartialTensorShape::from_shape(shape))
    }

    /// This shape without its first dimension (unknown rank stays unknown; a scalar stays a scalar).
    pub fn without_first_dim(&self) -> PartialTensorShape {
        PartialTensorShape(self.0.as_ref().map(|d| d.iter().skip(1).copied().collect()))
    }

    /// `prefix` followed by this shape's dimensions (unknown rank stays unknown).
    pub fn with_prefix(&self, prefix: &[i64]) -> PartialTensorShape {
        PartialTensorShape(self.0.as_ref().map(|d| prefix.iter().chain(d).copied().collect()))
    }
}

impl From<&TensorShape> for PartialTensorShape {
    fn from(s: &TensorShape) -> PartialTensorShape {
        PartialTensorShape::from_shape(s)
    }
}

impl std::fmt::Display for PartialTensorShape {
    /// TF's `DebugString`: `<unknown>`, or `[?,3]`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Some(dims) = &self.0 else {
            return f.write_str("<unknown>");
        };
        f.write_str("[")?;
        for (i, &d) in dims.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if d < 0 { f.write_str("?")? } else { write!(f, "{d}")? }
        }
        f.write_str("]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(d: &[i64]) -> PartialTensorShape {
        PartialTensorShape::from_dims(d).unwrap()
    }

    #[test]
    fn merges_and_compatibility_follow_tensorflow() {
        assert_eq!(p(&[-1, 2]).merge_with(&p(&[3, -1])).unwrap(), p(&[3, 2]));
        assert_eq!(PartialTensorShape::unknown().merge_with(&p(&[1])).unwrap(), p(&[1]));
        let e = p(&[1, 3]).merge_with(&p(&[-1, 2])).unwrap_err();
        assert_eq!(e.message, "PartialTensorShape: Incompatible shapes during merge: [1,3] vs. [?,2]");
        let e = p(&[1]).merge_with(&p(&[1, 1])).unwrap_err();
        assert_eq!(e.message, "PartialTensorShape: Incompatible ranks during merge: 1 vs. 2");
        assert!(p(&[-1, 2]).is_compatible_with(&p(&[5, 2])));
        assert!(!p(&[-1, 2]).is_compatible_with(&p(&[5, 3])));
        assert!(!p(&[2]).is_compatible_with(&p(&[2, 1])));
        assert!(PartialTensorShape::unknown().is_compatible_with(&p(&[2, 1])));
        assert!(!PartialTensorShape::unknown().is_identical_to(&p(&[])));
    }

    #[test]
    fn displays_and_converts_like_tensorflow() {
        assert_eq!(PartialTensorShape::unknown().to_string(), "<unknown>");
        assert_eq!(p(&[-1, 3]).to_string(), "[?,3]");
        assert_eq!(p(&[]).to_string(), "[]");
        assert!(p(&[]).is_fully_defined() && !PartialTensorShape::unknown().is_fully_defined());
        assert_eq!(p(&[2, 3]).as_tensor_shape(), Some(TensorShape::new(vec![2, 3])));
        assert_eq!(PartialTensorShape::from_dims(&[2, -2]).unwrap_err().message, "Dimension -2 must be >= -1");
        let back = PartialTensorShape::from_proto(&p(&[-1, 4]).to_proto()).unwrap();
        assert_eq!(back, p(&[-1, 4]));
        assert!(PartialTensorShape::from_proto(&PartialTensorShape::unknown().to_proto()).unwrap().unknown_rank());
        assert_eq!(p(&[2, -1]).with_prefix(&[4]).to_string(), "[4,2,?]");
        assert_eq!(p(&[2, -1]).without_first_dim().to_string(), "[?]");
    }
}
