//! Device and task names (`/job:worker/replica:0/task:1/device:CPU:0`), full or partial, parsed and
//! compared as TF does. Plain data.

use crate::error::{Error, Result};

/// A parsed device name; any part may be absent in a partial name.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct DeviceName {
    pub job: Option<String>,
    pub replica: Option<i32>,
    pub task: Option<i32>,
    pub device_type: Option<String>,
    pub id: Option<i32>,
}

impl DeviceName {
    /// Parses full and partial names, including the legacy `/cpu:0` form and `*` wildcards.
    pub fn parse(name: &str) -> Result<DeviceName> {
        let bad = || Error::invalid_argument(format!("Malformed device name: '{name}'"));
        let mut out = DeviceName::default();
        if name.is_empty() {
            return Ok(out);
        }
        let rest = name.strip_prefix('/').ok_or_else(bad)?;
        for part in rest.split('/') {
            let (k, v) = part.split_once(':').ok_or_else(bad)?;
            let num = |v: &str| -> Result<Option<i32>> {
                if v == "*" { Ok(None) } else { v.parse::<i32>().map(Some).map_err(|_| bad()) }
            };
            match k {
                "job" => out.job = (v != "*").then(|| v.to_string()),
                "replica" => out.replica = num(v)?,
                "task" => out.task = num(v)?,
                "device" => {
                    let (t, id) = v.split_once(':').unwrap_or((v, "*"));
                    out.device_type = (t != "*").then(|| t.to_uppercase());
                    out.id = num(id)?;
                }
                t if ["cpu", "gpu", "CPU", "GPU"].contains(&t) => {
                    out.device_type = Some(t.to_uppercase());
                    out.id = num(v)?;
                }
                _ => return Err(bad()),
            }
        }
        Ok(out)
    }

    /// The name of the task that owns this device: `/job:J/replica:R/task:T`.
    pub fn task_name(&self) -> Option<String> {
        Some(format!("/job:{}/replica:{}/task:{}", self.job.as_ref()?, self.replica.unwrap_or(0), self.task?))
    }

    /// The canonical full name, when every part is known.
    pub fn full_name(&self) -> Option<String> {
        Some(format!("{}/device:{}:{}", self.task_name()?, self.device_type.as_ref()?, self.id?))
    }

    /// True when `self` (a possibly partial spec) matches the full name `other`.
    pub fn matches(&self, other: &DeviceName) -> bool {
        fn ok<T: PartialEq>(spec: &Option<T>, full: &Option<T>) -> bool {
            spec.is_none() || spec == full
        }
        ok(&self.job, &other.job)
            && ok(&self.replica, &other.replica)
            && ok(&self.task, &other.task)
            && ok(&self.device_type, &other.device_type)
            && ok(&self.id, &other.id)
    }
}

/// True when two full device names belong to the same task.
pub fn same_task(a: &str, b: &str) -> bool {
    match (DeviceName::parse(a), DeviceName::parse(b)) {
        (Ok(a), Ok(b)) => a.task_name().is_some() && a.task_name() == b.task_name(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_full_partial_and_legacy_names() {
        let d = DeviceName::parse("/job:worker/replica:0/task:1/device:CPU:0").unwrap();
        assert_eq!(d.task_name().unwrap(), "/job:worker/replica:0/task:1");
        assert_eq!(d.full_name().unwrap(), "/job:worker/replica:0/task:1/device:CPU:0");
        let p = DeviceName::parse("/job:worker/task:1").unwrap();
        assert!(p.matches(&d));
        assert!(!DeviceName::parse("/job:worker/task:0").unwrap().matches(&d));
        assert_eq!(DeviceName::parse("/job:ps/replica:0/task:0/cpu:0").unwrap().device_type.as_deref(), Some("CPU"));
        assert!(DeviceName::parse("job:worker").is_err());
        assert!(same_task("/job:a/replica:0/task:0/device:CPU:0", "/job:a/replica:0/task:0/device:CPU:1"));
    }
}
