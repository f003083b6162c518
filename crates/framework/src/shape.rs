//! Tensor shapes: a list of non-negative dimension sizes, with TF's `[2,3]` display form. Plain data.

use crate::error::{Error, Result};
use ferroflow_proto::TensorShapeProto;

/// A fully defined tensor shape.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct TensorShape(Vec<i64>);

impl TensorShape {
    pub fn new(dims: impl Into<Vec<i64>>) -> TensorShape {
        TensorShape(dims.into())
    }

    pub fn scalar() -> TensorShape {
        TensorShape(Vec::new())
    }

    pub fn vector(n: i64) -> TensorShape {
        TensorShape(vec![n])
    }

    pub fn dims(&self) -> &[i64] {
        &self.0
    }

    pub fn rank(&self) -> usize {
        self.0.len()
    }

    pub fn dim(&self, i: usize) -> i64 {
        self.0[i]
    }

    pub fn num_elements(&self) -> usize {
        self.0.iter().map(|&d| d as usize).product()
    }

    pub fn is_scalar(&self) -> bool {
        self.0.is_empty()
    }

    /// A shape from dimension sizes, refusing negative ones.
    pub fn from_dims(dims: &[i64]) -> Result<TensorShape> {
        if let Some(d) = dims.iter().find(|&&d| d < 0) {
            return Err(Error::invalid_argument(format!("Dimension {d} must be >= 0")));
        }
        Ok(TensorShape(dims.to_vec()))
    }

    /// Reads a shape message; unknown rank or unknown dimensions are refused.
    pub fn from_proto(p: &TensorShapeProto) -> Result<TensorShape> {
        if p.unknown_rank {
            return Err(Error::invalid_argument("Shape has unknown rank where a fully defined shape is required"));
        }
        let dims: Vec<i64> = p.dim.iter().map(|d| d.size).collect();
        TensorShape::from_dims(&dims)
    }

    pub fn to_proto(&self) -> TensorShapeProto {
        TensorShapeProto {
            dim: self.0.iter().map(|&size| ferroflow_proto::tensor_shape_proto::Dim { size, name: String::new() }).collect(),
            unknown_rank: false,
        }
    }
}

impl From<Vec<i64>> for TensorShape {
    fn from(v: Vec<i64>) -> TensorShape {
        TensorShape(v)
    }
}

impl std::fmt::Display for TensorShape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[")?;
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{d}")?;
        }
        f.write_str("]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_tensorflow() {
        assert_eq!(TensorShape::new(vec![2, 3]).to_string(), "[2,3]");
        assert_eq!(TensorShape::scalar().to_string(), "[]");
        assert_eq!(TensorShape::new(vec![2, 3]).num_elements(), 6);
        assert_eq!(TensorShape::scalar().num_elements(), 1);
        assert!(TensorShape::from_dims(&[-1]).is_err());
    }
}
