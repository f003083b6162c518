//! Resources that outlive a step (variables above all), kept in a `ResourceMgr` keyed by container
//! and name, and the handles (`DT_RESOURCE` tensor elements) that point at them.
//!
//! Concurrency: a `ResourceMgr` is shared by all steps of the sessions that use it; its map is behind
//! one mutex held only for lookups and inserts. A variable's value is behind its own `RwLock`; updates
//! replace the tensor (readers keep the old buffer alive through their clone).

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::shape::TensorShape;
use crate::tensor::Tensor;
use parking_lot::{Mutex, RwLock};
use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;

/// The container TF uses when a node names none.
pub const DEFAULT_CONTAINER: &str = "localhost";

/// What a `DT_RESOURCE` tensor element holds: where the resource lives and its name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResourceHandle {
    pub device: String,
    pub container: String,
    pub name: String,
    pub hash_code: u64,
    pub maybe_type_name: String,
    pub dtypes_and_shapes: Vec<(DType, Option<TensorShape>)>,
}

impl ResourceHandle {
    pub fn from_proto(p: &ferroflow_proto::ResourceHandleProto) -> ResourceHandle {
        ResourceHandle {
            device: p.device.clone(),
            container: p.container.clone(),
            name: p.name.clone(),
            hash_code: p.hash_code,
            maybe_type_name: p.maybe_type_name.clone(),
            dtypes_and_shapes: p
                .dtypes_and_shapes
                .iter()
                .filter_map(|d| {
                    let dtype = DType::from_proto(d.dtype).ok()?;
                    Some((dtype, d.shape.as_ref().and_then(|s| TensorShape::from_proto(s).ok())))
                })
                .collect(),
        }
    }

    pub fn to_proto(&self) -> ferroflow_proto::ResourceHandleProto {
        ferroflow_proto::ResourceHandleProto {
            device: self.device.clone(),
            container: self.container.clone(),
            name: self.name.clone(),
            hash_code: self.hash_code,
            maybe_type_name: self.maybe_type_name.clone(),
            dtypes_and_shapes: self
                .dtypes_and_shapes
                .iter()
                .map(|(d, s)| ferroflow_proto::resource_handle_proto::DtypeAndShape {
                    dtype: d.to_proto(),
                    shape: s.as_ref().map(|s| s.to_proto()),
                })
                .collect(),
        }
    }
}

/// Anything a `ResourceMgr` can hold.
pub trait Resource: Any + Send + Sync {
    /// A short description for error messages.
    fn debug_string(&self) -> String;
    fn as_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
}

/// A resource variable: a dtype fixed at creation and a value that is absent until first assigned.
pub struct Var {
    dtype: DType,
    value: RwLock<Option<Tensor>>,
    /// Serializes read-modify-write updates (the training ops) without blocking readers.
    pub update_lock: Mutex<()>,
}

impl Var {
    pub fn new(dtype: DType) -> Var {
        Var { dtype, value: RwLock::new(None), update_lock: Mutex::new(()) }
    }

    pub fn dtype(&self) -> DType {
        self.dtype
    }

    pub fn is_initialized(&self) -> bool {
        self.value.read().is_some()
    }

    /// The current value, or `None` before the first assignment.
    pub fn value(&self) -> Option<Tensor> {
        self.value.read().clone()
    }

    pub fn set(&self, t: Tensor) {
        *self.value.write() = Some(t);
    }
}

impl Resource for Var {
    fn debug_string(&self) -> String {
        match self.value() {
            Some(t) => format!("{}/{}", self.dtype, t.shape()),
            None => format!("{}/uninitialized", self.dtype),
        }
    }
    fn as_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}

type Key = (String, String);

/// Resources by container and name.
#[derive(Default)]
pub struct ResourceMgr {
    containers: Mutex<HashMap<Key, Arc<dyn Resource>>>,
}

impl ResourceMgr {
    pub fn new() -> ResourceMgr {
        ResourceMgr::default()
    }

    fn key(container: &str, name: &str) -> Key {
        let c = if container.is_empty() { DEFAULT_CONTAINER } else { container };
        (c.to_string(), name.to_string())
    }

    /// The resource named, if it exists and has type `T`.
    pub fn lookup<T: Resource>(&self, container: &str, name: &str) -> Result<Arc<T>> {
        let key = Self::key(container, name);
        let found = self.containers.lock().get(&key).cloned();
        match found {
            None => Err(Error::not_found(format!(
                "Resource {}/{}/{} does not exist.",
                key.0,
                name,
                std::any::type_name::<T>().rsplit("::").next().unwrap_or("")
            ))),
            Some(r) => r.as_any().downcast::<T>().map_err(|_| {
                Error::invalid_argument(format!("Resource {}/{} has a different type than requested", key.0, name))
            }),
        }
    }

    /// The resource named, creating it with `create` when absent.
    pub fn lookup_or_create<T: Resource>(&self, container: &str, name: &str, create: impl FnOnce() -> T) -> Result<Arc<T>> {
        let key = Self::key(container, name);
        let r = {
            let mut map = self.containers.lock();
            map.entry(key.clone()).or_insert_with(|| Arc::new(create()) as Arc<dyn Resource>).clone()
        };
        r.as_any().downcast::<T>().map_err(|_| {
            Error::invalid_argument(format!("Resource {}/{} has a different type than requested", key.0, name))
        })
    }

    /// Stores a resource that exists already under the name, replacing what was there.
    pub fn insert<T: Resource>(&self, container: &str, name: &str, resource: Arc<T>) {
        self.containers.lock().insert(Self::key(container, name), resource as Arc<dyn Resource>);
    }

    /// Removes one resource; NOT_FOUND if absent.
    pub fn delete(&self, container: &str, name: &str) -> Result<()> {
        let key = Self::key(container, name);
        match self.containers.lock().remove(&key) {
            Some(_) => Ok(()),
            None => Err(Error::not_found(format!("Resource {}/{} does not exist.", key.0, name))),
        }
    }

    /// Drops every resource of the named containers; an empty list means the default container.
    pub fn clear_containers(&self, containers: &[String]) {
        let mut map = self.containers.lock();
        if containers.is_empty() {
            map.retain(|(c, _), _| c != DEFAULT_CONTAINER);
        } else {
            map.retain(|(c, _), _| !containers.iter().any(|x| x == c));
        }
    }

    pub fn len(&self) -> usize {
        self.containers.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_are_created_once_and_cleared_by_container() {
        let mgr = ResourceMgr::new();
        let a = mgr.lookup_or_create("", "v", || Var::new(DType::Float)).unwrap();
        a.set(Tensor::scalar(1.0f32));
        let b = mgr.lookup::<Var>("localhost", "v").unwrap();
        assert_eq!(b.value().unwrap().scalar_value::<f32>().unwrap(), 1.0);
        mgr.lookup_or_create("other", "w", || Var::new(DType::Int32)).unwrap();
        mgr.clear_containers(&[]);
        assert_eq!(mgr.lookup::<Var>("", "v").err().map(|e| e.code), Some(crate::Code::NotFound));
        assert!(mgr.lookup::<Var>("other", "w").is_ok());
        mgr.clear_containers(&["other".to_string()]);
        assert!(mgr.is_empty());
    }
}
