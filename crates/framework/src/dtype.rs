//! Element types of tensors (TF's `DataType`) and the Rust types that hold them. Plain data.

use crate::error::{Error, Result};
use ferroflow_proto::DataType as ProtoDataType;

/// A tensor element type. The discriminants are TF's `DataType` numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum DType {
    Float = 1,
    Double = 2,
    Int32 = 3,
    UInt8 = 4,
    Int16 = 5,
    Int8 = 6,
    String = 7,
    Int64 = 9,
    Bool = 10,
    UInt16 = 17,
    Resource = 20,
    Variant = 21,
    UInt32 = 22,
    UInt64 = 23,
}

impl DType {
    /// The dtype for a `DataType` wire number. Reference types (`DT_FLOAT_REF`, ...) map to their base.
    pub fn from_proto(n: i32) -> Result<DType> {
        let base = if n > 100 { n - 100 } else { n };
        Ok(match base {
            1 => DType::Float,
            2 => DType::Double,
            3 => DType::Int32,
            4 => DType::UInt8,
            5 => DType::Int16,
            6 => DType::Int8,
            7 => DType::String,
            9 => DType::Int64,
            10 => DType::Bool,
            17 => DType::UInt16,
            20 => DType::Resource,
            21 => DType::Variant,
            22 => DType::UInt32,
            23 => DType::UInt64,
            _ => {
                let name = ProtoDataType::try_from(n).map(|d| d.as_str_name().to_string()).unwrap_or_else(|_| n.to_string());
                return Err(Error::unimplemented(format!("ferroflow does not support data type {name}")));
            }
        })
    }

    pub fn to_proto(self) -> i32 {
        self as i32
    }

    /// Bytes per element for fixed-size types; `None` for string, resource and variant.
    pub fn size(self) -> Option<usize> {
        use DType::*;
        Some(match self {
            Float | Int32 | UInt32 => 4,
            Double | Int64 | UInt64 => 8,
            UInt8 | Int8 | Bool => 1,
            Int16 | UInt16 => 2,
            String | Resource | Variant => return None,
        })
    }

    /// TF's name of the type, as in its error messages (`float`, `int32`, ...).
    pub fn name(self) -> &'static str {
        use DType::*;
        match self {
            Float => "float",
            Double => "double",
            Int32 => "int32",
            UInt8 => "uint8",
            Int16 => "int16",
            Int8 => "int8",
            String => "string",
            Int64 => "int64",
            Bool => "bool",
            UInt16 => "uint16",
            Resource => "resource",
            Variant => "variant",
            UInt32 => "uint32",
            UInt64 => "uint64",
        }
    }

    /// The real (numeric) dtypes ferroflow supports, in the order of TF's `realnumbertypes`
    /// (which is how TF lists them in "not in the list of allowed values" errors).
    pub const REAL: &'static [DType] = &[
        DType::Float,
        DType::Double,
        DType::Int32,
        DType::UInt8,
        DType::Int16,
        DType::Int8,
        DType::Int64,
        DType::UInt16,
        DType::UInt32,
        DType::UInt64,
    ];

    pub fn is_float(self) -> bool {
        matches!(self, DType::Float | DType::Double)
    }

    pub fn is_integer(self) -> bool {
        use DType::*;
        matches!(self, Int32 | UInt8 | Int16 | Int8 | Int64 | UInt16 | UInt32 | UInt64)
    }
}

impl std::fmt::Display for DType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A fixed-size Rust type that can be a tensor element.
pub trait TensorElement: bytemuck::Pod + Send + Sync + Default + PartialEq + std::fmt::Debug + 'static {
    const DTYPE: DType;
}

macro_rules! elements {
    ($($t:ty => $d:ident),*) => { $(impl TensorElement for $t { const DTYPE: DType = DType::$d; })* };
}
elements!(f32 => Float, f64 => Double, i32 => Int32, u8 => UInt8, i16 => Int16, i8 => Int8, i64 => Int64,
    u16 => UInt16, u32 => UInt32, u64 => UInt64);

/// Runs `$body` with `$T` bound to the Rust type of `$dtype`, for the listed kinds of dtypes, or
/// evaluates `$otherwise`. Kinds: `real` (float, double, all integers), `float` (float, double),
/// `int` (integers). Bool is handled separately (`Tensor::bools`).
#[macro_export]
macro_rules! dispatch {
    (real, $dtype:expr, $T:ident => $body:expr, $otherwise:expr) => {
        match $dtype {
            $crate::DType::Float => { type $T = f32; $body }
            $crate::DType::Double => { type $T = f64; $body }
            $crate::DType::Int32 => { type $T = i32; $body }
            $crate::DType::Int64 => { type $T = i64; $body }
            $crate::DType::UInt8 => { type $T = u8; $body }
            $crate::DType::Int8 => { type $T = i8; $body }
            $crate::DType::Int16 => { type $T = i16; $body }
            $crate::DType::UInt16 => { type $T = u16; $body }
            $crate::DType::UInt32 => { type $T = u32; $body }
            $crate::DType::UInt64 => { type $T = u64; $body }
            _ => $otherwise,
        }
    };
    (float, $dtype:expr, $T:ident => $body:expr, $otherwise:expr) => {
        match $dtype {
            $crate::DType::Float => { type $T = f32; $body }
            $crate::DType::Double => { type $T = f64; $body }
            _ => $otherwise,
        }
    };
    (int, $dtype:expr, $T:ident => $body:expr, $otherwise:expr) => {
        match $dtype {
            $crate::DType::Int32 => { type $T = i32; $body }
            $crate::DType::Int64 => { type $T = i64; $body }
            $crate::DType::UInt8 => { type $T = u8; $body }
            $crate::DType::Int8 => { type $T = i8; $body }
            $crate::DType::Int16 => { type $T = i16; $body }
            $crate::DType::UInt16 => { type $T = u16; $body }
            $crate::DType::UInt32 => { type $T = u32; $body }
            $crate::DType::UInt64 => { type $T = u64; $body }
            _ => $otherwise,
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ref_types_map_to_base_and_unknown_types_are_unimplemented() {
        assert_eq!(DType::from_proto(101).unwrap(), DType::Float);
        assert_eq!(DType::from_proto(20).unwrap(), DType::Resource);
        let e = DType::from_proto(19).unwrap_err();
        assert!(e.message.contains("DT_HALF"), "{}", e.message);
    }
}
