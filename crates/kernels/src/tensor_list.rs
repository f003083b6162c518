//! TensorLists: the `tensorflow::TensorList` variant (a list of tensors of one dtype with a partly
//! known element shape, some elements possibly uninitialized) and the `TensorList*` ops TF 2.21's
//! control flow v2 puts in graphs (loop outputs, gradient accumulators, `tf.TensorArray` in
//! functions), with TF's semantics and messages.
//!
//! A list is an immutable value: an op that "modifies" one makes a new list sharing the element
//! tensors (their buffers are never copied, only the vector of handles — linear in the length). A
//! list crosses tasks in TF's wire form (`Encode`/`Decode`, a `VariantTensorDataProto`), so
//! ferroflow and TF tasks exchange lists; the decoder is registered with this family's ops.
//!
//! Concurrency: kernels are stateless (built once per graph, run by any number of steps); lists are
//! `Send + Sync` and never mutated after they are made.

mod build;
mod bulk;
#[cfg(test)]
mod program_oracle;

use crate::tensor_ops::{add_elements, zeros_like_tensor};
use ferroflow_framework::variant::{Variant, VariantValue};
use ferroflow_framework::{
    DType, Error, OpKernelContext, OpRegistry, PartialTensorShape, Result, Tensor, tensor_from_proto, tensor_to_proto,
};
use ferroflow_proto::{TensorShapeProto, VariantTensorDataProto};
use prost::Message as _;

/// TF's type name of lists in variant tensors.
pub const TYPE_NAME: &str = "tensorflow::TensorList";

/// A list of tensors (TF's `TensorList`). `None` elements are uninitialized (TF's `DT_INVALID`
/// tensors): reads give zeros of the element shape when it can be known.
#[derive(Debug, Clone)]
pub struct TensorList {
    pub tensors: Vec<Option<Tensor>>,
    pub element_shape: PartialTensorShape,
    pub element_dtype: DType,
    /// The most elements the list may hold; negative means unbounded.
    pub max_num_elements: i32,
}

impl TensorList {
    pub fn new(element_dtype: DType, element_shape: PartialTensorShape) -> TensorList {
        TensorList { tensors: Vec::new(), element_shape, element_dtype, max_num_elements: -1 }
    }

    /// The list as a scalar variant tensor.
    pub fn into_tensor(self) -> Tensor {
        Tensor::variant(Variant::new(self))
    }

    /// TF's `Decode`: the list from its wire form, INVALID_ARGUMENT when the form is malformed.
    pub fn decode(p: &VariantTensorDataProto) -> Result<TensorList> {
        let bad = |why: &str| Error::invalid_argument(format!("Could not decode a TensorList: {why}"));
        let mut meta: &[u8] = &p.metadata;
        let mut varint = |what: &str| prost::encoding::decode_varint(&mut meta).map_err(|_| bad(what));
        let num_invalid = varint("number of uninitialized elements")?;
        let total = (p.tensors.len() as u64).checked_add(num_invalid).ok_or_else(|| bad("too many elements"))?;
        let total = usize::try_from(total).map_err(|_| bad("too many elements"))?;
        let mut invalid = Vec::new();
        let mut previous: Option<u64> = None;
        for _ in 0..num_invalid {
            let at = varint("uninitialized element index")?;
            if at >= total as u64 || previous.is_some_and(|p| at <= p) {
                return Err(bad("uninitialized element indices out of order"));
            }
            previous = Some(at);
            invalid.push(at as usize);
        }
        let dtype_num = varint("element dtype")?;
        let max = varint("max_num_elements")?;
        let max_num_elements = if max == u64::MAX { -1 } else { i32::try_from(max).map_err(|_| bad("max_num_elements"))? };
        let shape = TensorShapeProto::decode(meta).map_err(|_| bad("element shape"))?;
        let element_dtype = DType::from_proto(i32::try_from(dtype_num).map_err(|_| bad("element dtype"))?)?;
        let element_shape = PartialTensorShape::from_proto(&shape)?;
        let mut tensors = Vec::new();
        tensors.try_reserve_exact(total).map_err(|_| bad("too many elements"))?;
        let mut given = p.tensors.iter();
        let mut invalid = invalid.into_iter().peekable();
        for i in 0..total {
            if invalid.peek() == Some(&i) {
                invalid.next();
                tensors.push(None);
            } else {
                let t = given.next().ok_or_else(|| bad("fewer tensors than elements"))?;
                tensors.push(Some(tensor_from_proto(t)?));
            }
        }
        Ok(TensorList { tensors, element_shape, element_dtype, max_num_elements })
    }
}

fn decode_variant(p: &VariantTensorDataProto) -> Result<Variant> {
    TensorList::decode(p).map(Variant::new)
}

impl VariantValue for TensorList {
    fn type_name(&self) -> &str {
        TYPE_NAME
    }

    /// TF's `Encode`: initialized elements as tensors; metadata holds the uninitialized indices,
    /// the element dtype, `max_num_elements` and the element shape (varints, then a shape proto).
    fn encode(&self) -> Result<VariantTensorDataProto> {
        let mut tensors = Vec::new();
        let mut invalid = Vec::new();
        for (i, t) in self.tensors.iter().enumerate() {
            match t {
                Some(t) => tensors.push(tensor_to_proto(t)?),
                None => invalid.push(i as u64),
            }
        }
        let mut metadata = Vec::new();
        prost::encoding::encode_varint(invalid.len() as u64, &mut metadata);
        for i in invalid {
            prost::encoding::encode_varint(i, &mut metadata);
        }
        prost::encoding::encode_varint(self.element_dtype.to_proto() as u64, &mut metadata);
        // As TF casts the int to uint64: -1 becomes 2^64 - 1.
        prost::encoding::encode_varint(self.max_num_elements as i64 as u64, &mut metadata);
        self.element_shape.to_proto().encode(&mut metadata).map_err(|e| Error::internal(e.to_string()))?;
        Ok(VariantTensorDataProto { type_name: TYPE_NAME.to_string(), metadata, tensors })
    }

    /// TF's `TensorListZerosLike`: zeros of each initialized element (uninitialized ones stay so).
    fn zeros_like(&self) -> Result<Variant> {
        let device = "/device:CPU:0";
        let tensors = self.tensors.iter().map(|t| t.as_ref().map(|t| zeros_like_tensor(t, device)).transpose()).collect::<Result<_>>()?;
        Ok(Variant::new(TensorList { tensors, element_shape: self.element_shape.clone(), element_dtype: self.element_dtype, max_num_elements: -1 }))
    }

    /// TF's `TensorListBinaryAdd`: element-wise sums of two lists of one dtype, length and
    /// compatible element shape.
    fn add(&self, other: &Variant) -> Result<Variant> {
        let b = other.downcast::<TensorList>().ok_or_else(|| Error::internal("adding a TensorList to another type"))?;
        if self.element_dtype != b.element_dtype {
            return Err(Error::invalid_argument(format!(
                "Trying to add two lists of tensors of different dtypes. One is {} and the other is {}",
                self.element_dtype, b.element_dtype
            )));
        }
        if !self.element_shape.is_compatible_with(&b.element_shape) {
            return Err(Error::invalid_argument(format!(
                "Trying to add two lists of tensors with incompatible element shapes. One is {} and the other is {}",
                self.element_shape, b.element_shape
            )));
        }
        let element_shape = self.element_shape.merge_with(&b.element_shape)?;
        if self.tensors.len() != b.tensors.len() {
            return Err(Error::invalid_argument(format!(
                "Trying to add two lists of tensors with different lengths. One is {} and the other is {}",
                self.tensors.len(),
                b.tensors.len()
            )));
        }
        let device = "/device:CPU:0";
        let tensors = self.tensors.iter().zip(&b.tensors).map(|(x, y)| add_elements(x, y, device)).collect::<Result<_>>()?;
        Ok(Variant::new(TensorList { tensors, element_shape, element_dtype: self.element_dtype, max_num_elements: -1 }))
    }

    fn debug_string(&self) -> String {
        "TensorList".to_string()
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

pub(crate) fn register(reg: &mut OpRegistry) {
    ferroflow_framework::variant::register_decoder(TYPE_NAME, decode_variant);
    build::register(reg);
    bulk::register(reg);
}

// ---------------------------------------------------------------------------------------------
// Helpers the list kernels share

/// TF's `TensorShapeFromTensor`: an element shape given as an int32/int64 vector (`-1` for unknown
/// dimensions) or the scalar `-1` (unknown rank).
pub(crate) fn shape_from_tensor(t: &Tensor, op: &str) -> Result<PartialTensorShape> {
    if t.rank() > 1 {
        return Err(Error::invalid_argument(format!(
            "{op}: element_shape must be at most rank 1 but has the shape of {}",
            t.shape()
        )));
    }
    let dims = t.to_i64_vec()?;
    if t.rank() == 0 {
        if dims[0] == -1 {
            return Ok(PartialTensorShape::unknown());
        }
        return Err(Error::invalid_argument(
            "The only valid scalar shape tensor is the fully unknown shape specified as -1.",
        ));
    }
    PartialTensorShape::from_dims(&dims)
}

/// TF's `GetInputList`: input `i` as a list (a scalar variant holding one).
pub(crate) fn input_list<'a>(ctx: &OpKernelContext<'a>, i: usize) -> Result<&'a TensorList> {
    let t = ctx.input(i);
    if t.rank() != 0 {
        return Err(Error::invalid_argument(format!("Input list must be a scalar saw: {}", t.shape())));
    }
    as_list(&t.variants()?[0])
        .ok_or_else(|| Error::invalid_argument(format!("Input handle is not a list. Saw: '{}'", t.variants().map(|v| v[0].debug_string()).unwrap_or_default())))
}

/// The list a variant holds, if it holds one.
pub(crate) fn as_list(v: &Variant) -> Option<&TensorList> {
    v.downcast::<TensorList>()
}

/// TF's `GetElementShapeFromInput`: the element-shape input `i` merged with the list's own.
pub(crate) fn element_shape_from_input(ctx: &OpKernelContext<'_>, list: &TensorList, i: usize, op: &str) -> Result<PartialTensorShape> {
    shape_from_tensor(ctx.input(i), op)?.merge_with(&list.element_shape)
}

/// INVALID_ARGUMENT unless the op's `element_dtype` is the list's.
pub(crate) fn check_dtype(op_dtype: DType, list: &TensorList) -> Result<()> {
    if op_dtype != list.element_dtype {
        return Err(Error::invalid_argument(format!(
            "Invalid data types; op elements {op_dtype} but list elements {}",
            list.element_dtype
        )));
    }
    Ok(())
}

/// Makes room for `additional` more slots in a list's (or array's) vector of elements, first
/// checking the bytes against the process's memory budget: counts come from requests, and a vector
/// that cannot be had is TF's RESOURCE_EXHAUSTED, never an abort.
pub(crate) fn reserve_slots<T>(v: &mut Vec<T>, additional: usize) -> Result<()> {
    let bytes = (additional as u64).saturating_mul(std::mem::size_of::<T>() as u64);
    let oom = || Error::resource_exhausted(format!("OOM when allocating room for {additional} list elements on the CPU"));
    // The check reserves and releases at once: the vector itself is not accounted while it lives.
    ferroflow_framework::memory::MemoryAccountant::global().try_reserve(bytes).ok_or_else(oom)?;
    v.try_reserve(additional).map_err(|_| oom())
}

/// An int32 scalar input; INVALID_ARGUMENT worded by `err` when it is not a scalar.
pub(crate) fn scalar_i32(t: &Tensor, err: impl FnOnce() -> String) -> Result<i32> {
    if t.rank() != 0 {
        return Err(Error::invalid_argument(err()));
    }
    t.scalar_value::<i32>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferroflow_framework::TensorShape;

    fn sample() -> TensorList {
        let mut l = TensorList::new(DType::Float, PartialTensorShape::from_dims(&[-1, 2]).unwrap());
        l.tensors = vec![Some(Tensor::from_vec(vec![1, 2], vec![1.0f32, 2.0]).unwrap()), None, Some(Tensor::zeros(DType::Float, vec![0, 2]).unwrap())];
        l.max_num_elements = 7;
        l
    }

    #[test]
    fn wire_form_round_trips() {
        let l = sample();
        let p = l.encode().unwrap();
        assert_eq!(p.type_name, TYPE_NAME);
        assert_eq!(p.tensors.len(), 2);
        assert_eq!(&p.metadata[..4], &[1, 1, 1, 7], "one uninitialized element at 1, DT_FLOAT, max 7");
        let back = TensorList::decode(&p).unwrap();
        assert_eq!(back.element_shape, l.element_shape);
        assert_eq!(back.max_num_elements, 7);
        assert!(back.tensors[1].is_none());
        assert!(back.tensors[0].as_ref().unwrap().same_contents(l.tensors[0].as_ref().unwrap()));
        assert_eq!(back.tensors[2].as_ref().unwrap().shape(), &TensorShape::new(vec![0, 2]));
        let unbounded = TensorList::new(DType::Int32, PartialTensorShape::unknown());
        assert_eq!(TensorList::decode(&unbounded.encode().unwrap()).unwrap().max_num_elements, -1);
        // A variant tensor holding a list goes through the framework's registry of decoders.
        ferroflow_framework::variant::register_decoder(TYPE_NAME, decode_variant);
        let t = sample().into_tensor();
        let back = tensor_from_proto(&tensor_to_proto(&t).unwrap()).unwrap();
        assert_eq!(as_list(&back.variants().unwrap()[0]).unwrap().tensors.len(), 3);
    }

    #[test]
    fn malformed_wire_forms_are_refused() {
        let mut p = sample().encode().unwrap();
        p.metadata.truncate(2);
        assert_eq!(TensorList::decode(&p).unwrap_err().code, ferroflow_framework::Code::InvalidArgument);
        let mut p = sample().encode().unwrap();
        p.metadata[1] = 9; // an uninitialized index past the end
        assert!(TensorList::decode(&p).is_err());
        // A huge claimed count of uninitialized elements must fail, not allocate.
        let mut meta = Vec::new();
        prost::encoding::encode_varint(u64::MAX - 1, &mut meta);
        let p = VariantTensorDataProto { type_name: TYPE_NAME.into(), metadata: meta, tensors: vec![] };
        assert!(TensorList::decode(&p).is_err());
    }
}
