//! Static (graph-construction-time) shapes, possibly partial: unknown rank, or known rank with
//! unknown dimensions, as TF's Python `TensorShape` holds them. Plain data.

use ferroflow_framework::{Error, Result};
use ferroflow_proto::TensorShapeProto;
use ferroflow_proto::tensor_shape_proto::Dim;

/// A partially known shape: `None` for unknown rank, `Some(dims)` with `None` for unknown sizes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Shape(Option<Vec<Option<i64>>>);

impl Shape {
    pub fn unknown() -> Shape {
        Shape(None)
    }

    pub fn scalar() -> Shape {
        Shape(Some(Vec::new()))
    }

    /// A shape of known rank from sizes, `-1` (or any negative) meaning unknown.
    pub fn from_dims(dims: &[i64]) -> Shape {
        Shape(Some(dims.iter().map(|&d| (d >= 0).then_some(d)).collect()))
    }

    pub fn from_partial(dims: Vec<Option<i64>>) -> Shape {
        Shape(Some(dims))
    }

    /// A shape of known rank with every size unknown.
    pub fn unknown_dims(rank: usize) -> Shape {
        Shape(Some(vec![None; rank]))
    }

    pub fn rank(&self) -> Option<usize> {
        self.0.as_ref().map(Vec::len)
    }

    pub fn dims(&self) -> Option<&[Option<i64>]> {
        self.0.as_deref()
    }

    pub fn dim(&self, i: usize) -> Option<i64> {
        self.0.as_ref().and_then(|d| d.get(i).copied().flatten())
    }

    pub fn is_fully_defined(&self) -> bool {
        self.0.as_ref().is_some_and(|d| d.iter().all(Option::is_some))
    }

    /// The sizes when every one is known.
    pub fn to_vec(&self) -> Option<Vec<i64>> {
        self.0.as_ref()?.iter().copied().collect()
    }

    /// The element count when the shape is fully defined.
    pub fn num_elements(&self) -> Option<i64> {
        self.to_vec().map(|d| d.iter().product())
    }

    /// The most specific shape compatible with both, or INVALID_ARGUMENT if they conflict.
    pub fn merge(&self, other: &Shape) -> Result<Shape> {
        match (&self.0, &other.0) {
            (None, _) => Ok(other.clone()),
            (_, None) => Ok(self.clone()),
            (Some(a), Some(b)) => {
                if a.len() != b.len() {
                    return Err(incompatible(self, other));
                }
                let mut out = Vec::with_capacity(a.len());
                for (x, y) in a.iter().zip(b) {
                    out.push(match (x, y) {
                        (Some(x), Some(y)) if x != y => return Err(incompatible(self, other)),
                        (Some(x), _) => Some(*x),
                        (None, y) => *y,
                    });
                }
                Ok(Shape(Some(out)))
            }
        }
    }

    pub fn is_compatible_with(&self, other: &Shape) -> bool {
        self.merge(other).is_ok()
    }

    /// Dimensions `start..` (when the rank is known).
    pub fn suffix(&self, start: usize) -> Shape {
        match &self.0 {
            Some(d) => Shape(Some(d.get(start..).unwrap_or(&[]).to_vec())),
            None => Shape(None),
        }
    }

    /// Dimensions `..end` (when the rank is known).
    pub fn prefix(&self, end: usize) -> Shape {
        match &self.0 {
            Some(d) => Shape(Some(d[..end.min(d.len())].to_vec())),
            None => Shape(None),
        }
    }

    pub fn to_proto(&self) -> TensorShapeProto {
        match &self.0 {
            None => TensorShapeProto { dim: Vec::new(), unknown_rank: true },
            Some(d) => TensorShapeProto {
                dim: d.iter().map(|s| Dim { size: s.unwrap_or(-1), name: String::new() }).collect(),
                unknown_rank: false,
            },
        }
    }

    pub fn from_proto(p: &TensorShapeProto) -> Shape {
        if p.unknown_rank { Shape(None) } else { Shape(Some(p.dim.iter().map(|d| (d.size >= 0).then_some(d.size)).collect())) }
    }
}

fn incompatible(a: &Shape, b: &Shape) -> Error {
    Error::invalid_argument(format!("Shapes {a} and {b} are incompatible"))
}

/// TF's Python spelling: `(2, None)`, `<unknown>`.
impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            None => f.write_str("<unknown>"),
            Some(d) => {
                let parts: Vec<String> = d.iter().map(|s| s.map(|v| v.to_string()).unwrap_or_else(|| "None".into())).collect();
                if parts.len() == 1 { write!(f, "({},)", parts[0]) } else { write!(f, "({})", parts.join(", ")) }
            }
        }
    }
}

impl From<&[i64]> for Shape {
    fn from(d: &[i64]) -> Shape {
        Shape::from_dims(d)
    }
}

impl<const N: usize> From<[i64; N]> for Shape {
    fn from(d: [i64; N]) -> Shape {
        Shape::from_dims(&d)
    }
}

impl From<Vec<i64>> for Shape {
    fn from(d: Vec<i64>) -> Shape {
        Shape::from_dims(&d)
    }
}

/// Broadcasts two static shapes as TF's binary ops do; unknown where it cannot be told.
pub fn broadcast(a: &Shape, b: &Shape) -> Result<Shape> {
    let (Some(x), Some(y)) = (a.dims(), b.dims()) else { return Ok(Shape::unknown()) };
    let rank = x.len().max(y.len());
    let mut out = Vec::with_capacity(rank);
    for i in 0..rank {
        let dx = if i + x.len() < rank { Some(1) } else { x[i + x.len() - rank] };
        let dy = if i + y.len() < rank { Some(1) } else { y[i + y.len() - rank] };
        out.push(match (dx, dy) {
            (Some(1), d) | (d, Some(1)) => d,
            (Some(p), Some(q)) if p == q => Some(p),
            (Some(p), Some(q)) => {
                return Err(Error::invalid_argument(format!("Dimensions must be equal, but are {p} and {q} for shapes {a} and {b}")));
            }
            (Some(p), None) | (None, Some(p)) => Some(p),
            (None, None) => None,
        });
    }
    Ok(Shape(Some(out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_refines_and_detects_conflicts() {
        let a = Shape::from_dims(&[-1, 3]);
        let b = Shape::from_dims(&[2, -1]);
        assert_eq!(a.merge(&b).unwrap(), Shape::from_dims(&[2, 3]));
        assert!(a.merge(&Shape::from_dims(&[2, 4])).is_err());
        assert!(a.merge(&Shape::scalar()).is_err());
        assert_eq!(Shape::unknown().merge(&a).unwrap(), a);
    }

    #[test]
    fn broadcasting_follows_numpy_rules() {
        assert_eq!(broadcast(&Shape::from_dims(&[2, 3]), &Shape::from_dims(&[3])).unwrap(), Shape::from_dims(&[2, 3]));
        assert_eq!(broadcast(&Shape::from_dims(&[-1, 1]), &Shape::from_dims(&[4])).unwrap(), Shape::from_dims(&[-1, 4]));
        assert!(broadcast(&Shape::from_dims(&[2]), &Shape::from_dims(&[3])).is_err());
        assert_eq!(broadcast(&Shape::unknown(), &Shape::scalar()).unwrap(), Shape::unknown());
    }

    #[test]
    fn displays_like_python() {
        assert_eq!(Shape::from_dims(&[-1, 4]).to_string(), "(None, 4)");
        assert_eq!(Shape::from_dims(&[3]).to_string(), "(3,)");
        assert_eq!(Shape::unknown().to_string(), "<unknown>");
        assert!(Shape::unknown().to_proto().unknown_rank);
    }
}
