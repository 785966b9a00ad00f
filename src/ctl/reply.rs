//! The shapes of the XML-RPC replies supervisorctl reads (reference §5.3), as typed records.
//!
//! Owns turning `rpc::Value`s into records and saying what is wrong when a reply is not
//! shaped as documented. It must not talk to the server or print.

use crate::rpc::Value;

use super::client::Rows;

/// One `getProcessInfo` / `getAllProcessInfo` struct (the keys supervisorctl uses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessInfo {
    pub group: String,
    pub name: String,
    pub state: i64,
    pub statename: String,
    pub description: String,
    pub pid: i64,
}

/// One element of a group/all result array (start, stop, signal, clear).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessResult {
    pub group: String,
    pub name: String,
    pub status: i64,
    pub description: String,
}

/// One `getAllConfigInfo` struct (the keys `avail` shows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigInfo {
    pub group: String,
    pub name: String,
    pub inuse: bool,
    pub autostart: bool,
    pub group_prio: i64,
    pub process_prio: i64,
    /// Issue 14's keys the process sets (`key=value`), shown after the priorities.
    pub beyond: Vec<String>,
}

/// One change `supervisor_rs.update` made (`name` is empty for a whole group).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateResult {
    pub group: String,
    pub name: String,
    pub action: String,
    pub status: i64,
    pub description: String,
}

/// `reloadConfig`'s `[[added, changed, removed]]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
}

/// What is wrong with a reply.
pub type Shape<T> = Result<T, String>;

fn field<'v>(v: &'v Value, key: &str) -> Shape<&'v Value> {
    v.as_struct()
        .ok_or_else(|| "expected a struct".to_string())?
        .get(key)
        .ok_or_else(|| format!("no {key:?} field"))
}

fn text(v: &Value, key: &str) -> Shape<String> {
    field(v, key)?
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("{key:?} is not a string"))
}

/// An integer, `<int>` or `<i8>`.
pub fn int(v: &Value) -> Option<i64> {
    v.as_i64()
}

fn integer(v: &Value, key: &str) -> Shape<i64> {
    int(field(v, key)?).ok_or_else(|| format!("{key:?} is not an integer"))
}

fn boolean(v: &Value, key: &str) -> Shape<bool> {
    let f = field(v, key)?;
    f.as_bool()
        .or_else(|| int(f).map(|n| n != 0))
        .ok_or_else(|| format!("{key:?} is not a boolean"))
}

/// The elements of an array reply.
pub fn array(v: &Value) -> Shape<&[Value]> {
    v.as_array().ok_or_else(|| "expected an array".to_string())
}

/// A string reply.
pub fn string(v: &Value) -> Shape<String> {
    v.as_str()
        .map(str::to_string)
        .ok_or_else(|| "expected a string".to_string())
}

/// An integer reply.
pub fn integer_reply(v: &Value) -> Shape<i64> {
    int(v).ok_or_else(|| "expected an integer".to_string())
}

impl ProcessInfo {
    pub fn from_value(v: &Value) -> Shape<ProcessInfo> {
        Ok(ProcessInfo {
            group: text(v, "group")?,
            name: text(v, "name")?,
            state: integer(v, "state")?,
            statename: text(v, "statename")?,
            description: text(v, "description")?,
            pid: integer(v, "pid")?,
        })
    }

    pub fn list(v: &Value) -> Shape<Vec<ProcessInfo>> {
        array(v)?.iter().map(ProcessInfo::from_value).collect()
    }

    /// [`ProcessInfo::list`] of rows of [`PROCESS_INFO_KEYS`], with the same errors.
    pub fn from_rows(rows: Rows) -> Shape<Vec<ProcessInfo>> {
        let rows = match rows {
            Rows::Rows(rows) => rows,
            Rows::Other(v) => return ProcessInfo::list(&v),
        };
        rows.into_iter()
            .map(|row| {
                let mut m = RowFields(PROCESS_INFO_KEYS.iter().copied().zip(row));
                Ok(ProcessInfo {
                    group: m.text()?,
                    name: m.text()?,
                    state: m.integer()?,
                    statename: m.text()?,
                    description: m.text()?,
                    pid: m.integer()?,
                })
            })
            .collect()
    }
}

/// The members of a row, taken in the order they were asked for, with the complaints
/// [`field`], [`text`], [`integer`] and [`boolean`] make of a whole struct.
struct RowFields<I>(I);

impl<'k, I: Iterator<Item = (&'k str, Option<Value>)>> RowFields<I> {
    fn next(&mut self) -> Shape<(&'k str, Value)> {
        let (key, v) = self.0.next().ok_or("no such member")?;
        v.map(|v| (key, v))
            .ok_or_else(|| format!("no {key:?} field"))
    }

    fn text(&mut self) -> Shape<String> {
        match self.next()? {
            (_, Value::String(s)) => Ok(s),
            (key, _) => Err(format!("{key:?} is not a string")),
        }
    }

    fn integer(&mut self) -> Shape<i64> {
        let (key, v) = self.next()?;
        int(&v).ok_or_else(|| format!("{key:?} is not an integer"))
    }

    fn boolean(&mut self) -> Shape<bool> {
        let (key, v) = self.next()?;
        v.as_bool()
            .or_else(|| int(&v).map(|n| n != 0))
            .ok_or_else(|| format!("{key:?} is not a boolean"))
    }
}

/// The members of a `getAllConfigInfo` struct `avail` reads, in the order
/// [`ConfigInfo::from_value`] checks them.
pub const CONFIG_INFO_KEYS: [&str; 6] = [
    "group",
    "name",
    "inuse",
    "autostart",
    "group_prio",
    "process_prio",
];

/// The members of a `getProcessInfo` struct supervisorctl reads, in the order
/// [`ProcessInfo::from_value`] checks them.
pub const PROCESS_INFO_KEYS: [&str; 6] =
    ["group", "name", "state", "statename", "description", "pid"];

impl ProcessResult {
    pub fn from_value(v: &Value) -> Shape<ProcessResult> {
        Ok(ProcessResult {
            group: text(v, "group")?,
            name: text(v, "name")?,
            status: integer(v, "status")?,
            description: text(v, "description")?,
        })
    }

    pub fn list(v: &Value) -> Shape<Vec<ProcessResult>> {
        array(v)?.iter().map(ProcessResult::from_value).collect()
    }
}

impl ConfigInfo {
    pub fn from_value(v: &Value) -> Shape<ConfigInfo> {
        Ok(ConfigInfo {
            group: text(v, "group")?,
            name: text(v, "name")?,
            inuse: boolean(v, "inuse")?,
            autostart: boolean(v, "autostart")?,
            group_prio: integer(v, "group_prio")?,
            process_prio: integer(v, "process_prio")?,
            beyond: crate::config::beyond::KEYS
                .iter()
                .filter_map(|k| match field(v, k) {
                    Ok(Value::String(s)) => Some(format!("{k}={s}")),
                    _ => None,
                })
                .collect(),
        })
    }

    pub fn list(v: &Value) -> Shape<Vec<ConfigInfo>> {
        array(v)?.iter().map(ConfigInfo::from_value).collect()
    }

    /// The members `avail` reads: [`CONFIG_INFO_KEYS`], then issue 14's keys.
    pub fn keys() -> Vec<&'static str> {
        CONFIG_INFO_KEYS
            .iter()
            .chain(crate::config::beyond::KEYS)
            .copied()
            .collect()
    }

    /// [`ConfigInfo::list`] of rows of [`ConfigInfo::keys`], with the same errors.
    pub fn from_rows(rows: Rows) -> Shape<Vec<ConfigInfo>> {
        let rows = match rows {
            Rows::Rows(rows) => rows,
            Rows::Other(v) => return ConfigInfo::list(&v),
        };
        let keys = ConfigInfo::keys();
        rows.into_iter()
            .map(|row| {
                let mut m = RowFields(keys.iter().copied().zip(row));
                Ok(ConfigInfo {
                    group: m.text()?,
                    name: m.text()?,
                    inuse: m.boolean()?,
                    autostart: m.boolean()?,
                    group_prio: m.integer()?,
                    process_prio: m.integer()?,
                    beyond: m
                        .0
                        .filter_map(|(k, v)| match v {
                            Some(Value::String(s)) => Some(format!("{k}={s}")),
                            _ => None,
                        })
                        .collect(),
                })
            })
            .collect()
    }
}

impl UpdateResult {
    pub fn from_value(v: &Value) -> Shape<UpdateResult> {
        Ok(UpdateResult {
            group: text(v, "group")?,
            name: text(v, "name")?,
            action: text(v, "action")?,
            status: integer(v, "status")?,
            description: text(v, "description")?,
        })
    }

    pub fn list(v: &Value) -> Shape<Vec<UpdateResult>> {
        array(v)?.iter().map(UpdateResult::from_value).collect()
    }
}

impl Changes {
    pub fn from_value(v: &Value) -> Shape<Changes> {
        let outer = array(v)?;
        let inner = array(outer.first().ok_or("empty array")?)?;
        let names = |i: usize| -> Shape<Vec<String>> {
            array(inner.get(i).ok_or("fewer than 3 lists")?)?
                .iter()
                .map(string)
                .collect()
        };
        Ok(Changes {
            added: names(0)?,
            changed: names(1)?,
            removed: names(2)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn st(pairs: &[(&str, Value)]) -> Value {
        Value::Struct(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect::<BTreeMap<_, _>>(),
        )
    }

    fn s(x: &str) -> Value {
        Value::String(x.into())
    }

    #[test]
    fn process_info_from_struct() {
        let v = st(&[
            ("group", s("g")),
            ("name", s("p")),
            ("state", Value::Int(20)),
            ("statename", s("RUNNING")),
            ("description", s("pid 5, uptime 0:00:01")),
            ("pid", Value::Int(5)),
            ("spawnerr", s("")),
        ]);
        assert_eq!(
            ProcessInfo::list(&Value::Array(vec![v])),
            Ok(vec![ProcessInfo {
                group: "g".into(),
                name: "p".into(),
                state: 20,
                statename: "RUNNING".into(),
                description: "pid 5, uptime 0:00:01".into(),
                pid: 5,
            }])
        );
    }

    /// Read from rows (the table's way) or from the whole structs, the same records and
    /// the same complaints.
    #[test]
    fn rows_read_as_the_whole_structs() {
        let good = st(&[
            ("group", s("g")),
            ("name", s("p")),
            ("state", Value::Int(20)),
            ("statename", s("RUNNING")),
            ("description", s("pid 5, uptime 0:00:01")),
            ("pid", Value::Int64(5)),
            ("spawnerr", s("")),
        ]);
        let cases = [
            Value::Array(vec![good.clone(), good.clone()]),
            Value::Array(vec![]),
            Value::Array(vec![good.clone(), st(&[("group", s("g"))])]),
            Value::Array(vec![st(&[("group", s("g")), ("name", Value::Int(1))])]),
            Value::Array(vec![st(&[
                ("group", s("g")),
                ("name", s("p")),
                ("state", s("x")),
            ])]),
            Value::Array(vec![good.clone(), s("x")]),
            s("x"),
        ];
        for v in cases {
            let rows = Rows::from_value(v.clone(), &PROCESS_INFO_KEYS);
            assert_eq!(ProcessInfo::from_rows(rows), ProcessInfo::list(&v), "{v:?}");
        }
        let config = st(&[
            ("group", s("g")),
            ("name", s("p")),
            ("inuse", Value::Bool(true)),
            ("autostart", Value::Int(0)),
            ("group_prio", Value::Int64(7)),
            ("process_prio", Value::Int(-1)),
            ("depends_on", s("a")),
            ("restart_delay", Value::Int(3)),
        ]);
        let cases = [
            Value::Array(vec![config.clone()]),
            Value::Array(vec![st(&[("group", s("g")), ("name", s("p"))])]),
            Value::Array(vec![st(&[
                ("group", s("g")),
                ("name", s("p")),
                ("inuse", s("yes")),
            ])]),
            Value::Int(3),
        ];
        for v in cases {
            let rows = Rows::from_value(v.clone(), &ConfigInfo::keys());
            assert_eq!(ConfigInfo::from_rows(rows), ConfigInfo::list(&v), "{v:?}");
        }
    }

    #[test]
    fn missing_fields_are_named() {
        assert_eq!(
            ProcessInfo::from_value(&st(&[("group", s("g"))])),
            Err("no \"name\" field".into())
        );
        assert_eq!(
            ProcessInfo::from_value(&s("x")),
            Err("expected a struct".into())
        );
    }

    #[test]
    fn config_info_accepts_int_booleans_and_i8() {
        let v = st(&[
            ("group", s("g")),
            ("name", s("p")),
            ("inuse", Value::Bool(true)),
            ("autostart", Value::Int(0)),
            ("group_prio", Value::Int64(7)),
            ("process_prio", Value::Int(-1)),
        ]);
        assert_eq!(
            ConfigInfo::from_value(&v),
            Ok(ConfigInfo {
                group: "g".into(),
                name: "p".into(),
                inuse: true,
                autostart: false,
                group_prio: 7,
                process_prio: -1,
                beyond: vec![],
            })
        );
    }

    #[test]
    fn changes_from_nested_arrays() {
        let v = Value::Array(vec![Value::Array(vec![
            Value::Array(vec![s("new")]),
            Value::Array(vec![]),
            Value::Array(vec![s("old"), s("older")]),
        ])]);
        assert_eq!(
            Changes::from_value(&v),
            Ok(Changes {
                added: vec!["new".into()],
                changed: vec![],
                removed: vec!["old".into(), "older".into()]
            })
        );
        assert!(Changes::from_value(&Value::Array(vec![])).is_err());
    }

    #[test]
    fn results_from_structs() {
        let v = st(&[
            ("group", s("g")),
            ("name", s("p")),
            ("status", Value::Int(80)),
            ("description", s("OK")),
        ]);
        assert_eq!(
            ProcessResult::list(&Value::Array(vec![v])),
            Ok(vec![ProcessResult {
                group: "g".into(),
                name: "p".into(),
                status: 80,
                description: "OK".into()
            }])
        );
    }
}
