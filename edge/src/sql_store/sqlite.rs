//! The native [`SqlDriver`]: `rusqlite` on an in-memory SQLite, for tests only (it is a
//! dev-dependency, never in the wasm build). It runs the SQL text the Durable Object runs and
//! hands rows over the way the object does, as column name → value objects, so the store code
//! above it is the production code.
//!
//! One difference is kept on purpose rather than hidden: integers arrive here as `i64`, while
//! from a Durable Object they come through JavaScript as doubles.

use rusqlite::types::{Value, ValueRef};
use rusqlite::Connection;
use serde::de::DeserializeOwned;
use serde_json::{Map, Number};

use super::{SqlDriver, SqlStore};
use edfi_core::store::{StoreError, StoreResult};

pub struct Sqlite(Connection);

impl Sqlite {
    pub fn in_memory() -> Self {
        Self(Connection::open_in_memory().expect("an in-memory SQLite database"))
    }
}

/// A bound value.
pub struct Bound(Value);

impl From<i64> for Bound {
    fn from(n: i64) -> Self {
        Self(Value::Integer(n))
    }
}

impl From<String> for Bound {
    fn from(text: String) -> Self {
        Self(Value::Text(text))
    }
}

impl From<&str> for Bound {
    fn from(text: &str) -> Self {
        Self(Value::Text(text.to_owned()))
    }
}

impl From<Option<String>> for Bound {
    fn from(text: Option<String>) -> Self {
        text.map_or(Self(Value::Null), Self::from)
    }
}

fn failed(e: impl std::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

impl SqlDriver for Sqlite {
    type Value = Bound;

    fn execute(&self, query: &str, bindings: Vec<Bound>) -> StoreResult<()> {
        if bindings.is_empty() {
            // Like the object's `exec`, this takes several statements at once (the schema).
            return self.0.execute_batch(query).map_err(failed);
        }
        let mut statement = self.0.prepare(query).map_err(failed)?;
        let mut rows =
            statement.query(rusqlite::params_from_iter(bindings.iter().map(|b| &b.0))).map_err(failed)?;
        while rows.next().map_err(failed)?.is_some() {}
        Ok(())
    }

    fn rows<T: DeserializeOwned>(&self, query: &str, bindings: Vec<Bound>) -> StoreResult<Vec<T>> {
        let mut statement = self.0.prepare(query).map_err(failed)?;
        let columns: Vec<String> = statement.column_names().map(str::to_owned).collect();
        let mut rows =
            statement.query(rusqlite::params_from_iter(bindings.iter().map(|b| &b.0))).map_err(failed)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(failed)? {
            let mut object = Map::new();
            for (i, column) in columns.iter().enumerate() {
                let value = match row.get_ref(i).map_err(failed)? {
                    ValueRef::Null => serde_json::Value::Null,
                    ValueRef::Integer(n) => n.into(),
                    ValueRef::Real(x) => Number::from_f64(x).map_or(serde_json::Value::Null, Into::into),
                    ValueRef::Text(text) => std::str::from_utf8(text).map_err(failed)?.into(),
                    ValueRef::Blob(bytes) => bytes.iter().map(|b| serde_json::Value::from(*b)).collect(),
                };
                object.insert(column.clone(), value);
            }
            out.push(serde_json::from_value(object.into()).map_err(failed)?);
        }
        Ok(out)
    }
}

#[test]
fn the_schema_and_a_round_trip_run_natively() {
    use edfi_core::store::{Document, Store};
    let mut store = SqlStore::open(Sqlite::in_memory());
    let doc = Document {
        id: "0".repeat(32),
        natural_key: "[1]".to_owned(),
        content: r#"{"a":1}"#.to_owned(),
        etag: "e".to_owned(),
        last_modified: 1,
        change_version: 1,
    };
    store.insert("students", &doc).unwrap();
    assert_eq!(store.get("students", &doc.id).unwrap(), Some(doc));
    assert_eq!(store.next_change_version().unwrap(), 1);
}
