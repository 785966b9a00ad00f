//! The actions of supervisorctl (reference §4.4), one method of [`Controller`] each, split by
//! family: process control, logs, configuration updates, and the rest.
//!
//! Each action prints its lines and sets the sticky exit status exactly as the reference;
//! errors it does not handle go back to [`Controller::onecmd`] as an [`Abort`]. Actions talk
//! to the server only through the controller.
//!
//! [`Controller`]: super::controller::Controller
//! [`Controller::onecmd`]: super::controller::Controller::onecmd
//! [`Abort`]: super::controller::Abort

mod config;
mod logfiles;
mod logs;
mod misc;
mod process;

use crate::rpc::Value;

use super::controller::{Abort, Controller};
use super::format::namespec;
use super::reply::ProcessResult;

/// An integer parameter: `<int>` when it fits, else `<i8>` (D6: offsets past 2 GiB).
fn int_param(n: i64) -> Value {
    i32::try_from(n).map_or(Value::Int64(n), Value::Int)
}

impl Controller<'_> {
    /// Prints group/all results of the RPC `action` with `render`, noting each status
    /// (`ignored` leaves it).
    fn show_results(
        &mut self,
        results: &[ProcessResult],
        action: &str,
        render: impl Fn(&str, &ProcessResult) -> Option<String>,
        ignored: Option<i64>,
    ) -> Result<(), Abort> {
        for result in results {
            let name = namespec(&result.group, &result.name);
            let line = render(&name, result).ok_or_else(|| {
                Abort::Message(format!("unknown result code {} for {name}", result.status))
            })?;
            let fields = (
                result.group.as_str(),
                result.name.as_str(),
                result.status,
                result.description.as_str(),
            );
            self.say_result(&line, action, fields);
            self.note_fault(result.status, ignored);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn int_param_uses_i8_only_past_i32() {
        assert_eq!(int_param(-1600), Value::Int(-1600));
        assert_eq!(int_param(3_000_000_000), Value::Int64(3_000_000_000));
        assert_eq!(int_param(-3_000_000_000), Value::Int64(-3_000_000_000));
    }
}
