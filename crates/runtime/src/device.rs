//! Local devices: each task owns one CPU device with a random 64-bit incarnation fixed at start-up,
//! so peers can tell a restarted task from the one they knew. Immutable after creation; shared by
//! `Arc`.

use ferroflow_framework::device_name::DeviceName;
use ferroflow_framework::{Error, Result};
use ferroflow_proto::{DeviceAttributes, DeviceLocality};
use std::sync::Arc;

/// Memory TF reports for a CPU device (its default, 256 MiB).
const CPU_MEMORY_LIMIT: i64 = 256 << 20;

/// One device of this task.
#[derive(Debug)]
pub struct LocalDevice {
    name: String,
    parsed: DeviceName,
    device_type: String,
    incarnation: u64,
}

impl LocalDevice {
    /// A CPU device of the task named `task` (`/job:J/replica:R/task:T`) with a fresh incarnation.
    pub fn cpu(task: &str, index: i32) -> Result<LocalDevice> {
        let name = format!("{task}/device:CPU:{index}");
        let parsed = DeviceName::parse(&name)?;
        // Zero means "unknown" in some TF paths; never hand it out.
        let incarnation = loop {
            let v: u64 = rand::random();
            if v != 0 {
                break v;
            }
        };
        Ok(LocalDevice { name, parsed, device_type: "CPU".into(), incarnation })
    }

    /// This device as a worker session of a propagated cluster names it: the same device (same
    /// incarnation) under the task name `task` the session's cluster gives this task (TF's
    /// `RenamedDevice`).
    pub fn renamed(&self, task: &str) -> Result<LocalDevice> {
        let parsed = DeviceName::parse(task)?;
        let name = format!(
            "/job:{}/replica:{}/task:{}/device:{}:{}",
            parsed.job.as_deref().unwrap_or("localhost"),
            parsed.replica.unwrap_or(0),
            parsed.task.unwrap_or(0),
            self.device_type,
            self.parsed.id.unwrap_or(0)
        );
        let parsed = DeviceName::parse(&name)?;
        Ok(LocalDevice { name, parsed, device_type: self.device_type.clone(), incarnation: self.incarnation })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn parsed_name(&self) -> &DeviceName {
        &self.parsed
    }

    pub fn incarnation(&self) -> u64 {
        self.incarnation
    }

    /// What `GetStatus` reports for this device, as TF does.
    pub fn attributes(&self) -> DeviceAttributes {
        DeviceAttributes {
            name: self.name.clone(),
            device_type: self.device_type.clone(),
            memory_limit: CPU_MEMORY_LIMIT,
            locality: Some(DeviceLocality::default()),
            incarnation: self.incarnation,
            physical_device_desc: String::new(),
            xla_global_id: -1,
        }
    }
}

/// The devices of this task.
#[derive(Debug)]
pub struct DeviceMgr {
    devices: Vec<Arc<LocalDevice>>,
}

impl DeviceMgr {
    pub fn new(devices: Vec<LocalDevice>) -> DeviceMgr {
        DeviceMgr { devices: devices.into_iter().map(Arc::new).collect() }
    }

    pub fn devices(&self) -> &[Arc<LocalDevice>] {
        &self.devices
    }

    /// The device a node's (full or partial) device spec names; an empty spec means the first one.
    /// INVALID_ARGUMENT (`X unknown device.`, TF's wording) when none matches.
    pub fn lookup(&self, spec: &str) -> Result<Arc<LocalDevice>> {
        if spec.is_empty() {
            return self.devices.first().cloned().ok_or_else(|| Error::internal("task has no devices"));
        }
        if let Some(d) = self.devices.iter().find(|d| d.name == spec) {
            return Ok(d.clone());
        }
        let parsed = DeviceName::parse(spec).map_err(|_| Error::invalid_argument(format!("{spec} unknown device.")))?;
        self.devices
            .iter()
            .find(|d| parsed.matches(&d.parsed))
            .cloned()
            .ok_or_else(|| Error::invalid_argument(format!("{spec} unknown device.")))
    }

    /// The device whose local name (type and index, TF's `DeviceNameUtils::LocalName`) is that of
    /// the full name `name`, whatever task it names: how a transfer's source is found when the
    /// step's session knows this task under another name.
    pub fn lookup_local(&self, name: &str) -> Result<Arc<LocalDevice>> {
        let parsed = DeviceName::parse(name).map_err(|_| Error::invalid_argument(format!("{name} unknown device.")))?;
        self.devices
            .iter()
            .find(|d| parsed.device_type.as_deref() == Some(d.device_type.as_str()) && parsed.id == d.parsed.id)
            .cloned()
            .ok_or_else(|| Error::invalid_argument(format!("{name} unknown device.")))
    }

    /// The same devices under the task name `task` (see [`LocalDevice::renamed`]).
    pub fn renamed(&self, task: &str) -> Result<DeviceMgr> {
        let devices = self.devices.iter().map(|d| d.renamed(task).map(Arc::new)).collect::<Result<_>>()?;
        Ok(DeviceMgr { devices })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_accepts_full_and_partial_names_and_refuses_other_tasks() {
        let mgr = DeviceMgr::new(vec![LocalDevice::cpu("/job:worker/replica:0/task:1", 0).unwrap()]);
        let full = "/job:worker/replica:0/task:1/device:CPU:0";
        assert_eq!(mgr.lookup(full).unwrap().name(), full);
        assert_eq!(mgr.lookup("/job:worker/task:1").unwrap().name(), full);
        assert_eq!(mgr.lookup("").unwrap().name(), full);
        let e = mgr.lookup("/job:worker/replica:0/task:0/device:CPU:0").unwrap_err();
        assert_eq!(e.message, "/job:worker/replica:0/task:0/device:CPU:0 unknown device.");
        assert_ne!(mgr.devices()[0].incarnation(), 0);
    }

    #[test]
    fn renamed_devices_keep_their_incarnation_and_are_found_by_local_name() {
        let mgr = DeviceMgr::new(vec![LocalDevice::cpu("/job:local/replica:0/task:0", 0).unwrap()]);
        let renamed = mgr.renamed("/job:worker/replica:0/task:3").unwrap();
        let d = &renamed.devices()[0];
        assert_eq!(d.name(), "/job:worker/replica:0/task:3/device:CPU:0");
        assert_eq!(d.incarnation(), mgr.devices()[0].incarnation());
        assert_eq!(renamed.lookup("/job:worker/task:3").unwrap().name(), d.name());
        assert!(renamed.lookup("/job:local/replica:0/task:0/device:CPU:0").is_err());
        assert_eq!(mgr.lookup_local("/job:worker/replica:0/task:3/device:CPU:0").unwrap().name(), mgr.devices()[0].name());
        assert!(mgr.lookup_local("/job:worker/replica:0/task:3/device:CPU:1").is_err());
    }
}
