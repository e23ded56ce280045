//! [`Store`] on a Durable Object's SQLite database. Every call is synchronous.

use serde::Deserialize;
use worker::{SqlStorage, SqlStorageValue};

use edfi_core::store::{Document, Store, StoreError, StoreResult};

#[derive(Clone)]
pub struct SqlStore {
    sql: SqlStorage,
    /// A schema failure is kept and reported on every call rather than panicking in `new`.
    schema: Result<(), String>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS documents (
    seq INTEGER PRIMARY KEY,
    resource TEXT NOT NULL,
    id TEXT NOT NULL,
    natural_key TEXT NOT NULL,
    content TEXT NOT NULL,
    etag TEXT NOT NULL,
    last_modified INTEGER NOT NULL,
    change_version INTEGER NOT NULL,
    UNIQUE (resource, id),
    UNIQUE (resource, natural_key)
);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT OR IGNORE INTO counters (name, value) VALUES ('change_version', 0);
";

const COLUMNS: &str = "id, natural_key, content, etag, last_modified, change_version";

#[derive(Deserialize)]
struct Row {
    id: String,
    natural_key: String,
    content: String,
    etag: String,
    last_modified: i64,
    change_version: i64,
}

impl From<Row> for Document {
    fn from(row: Row) -> Self {
        Document {
            id: row.id,
            natural_key: row.natural_key,
            content: row.content,
            etag: row.etag,
            last_modified: row.last_modified,
            change_version: row.change_version,
        }
    }
}

#[derive(Deserialize)]
struct Count {
    n: i64,
}

fn err(e: worker::Error) -> StoreError {
    StoreError(e.to_string())
}

impl SqlStore {
    /// Opens the store, creating the schema if this object is new.
    pub fn open(sql: SqlStorage) -> Self {
        let schema = sql.exec(SCHEMA, None).map(|_| ()).map_err(|e| e.to_string());
        Self { sql, schema }
    }

    fn exec(&self, query: &str, bindings: Vec<SqlStorageValue>) -> StoreResult<worker::SqlCursor> {
        self.schema.clone().map_err(StoreError)?;
        self.sql.exec(query, bindings).map_err(err)
    }

    fn documents(&self, query: &str, bindings: Vec<SqlStorageValue>) -> StoreResult<Vec<Document>> {
        let rows: Vec<Row> = self.exec(query, bindings)?.to_array().map_err(err)?;
        Ok(rows.into_iter().map(Document::from).collect())
    }

    fn one(&self, query: &str, bindings: Vec<SqlStorageValue>) -> StoreResult<Option<Document>> {
        Ok(self.documents(query, bindings)?.into_iter().next())
    }
}

impl Store for SqlStore {
    fn get(&self, resource: &str, id: &str) -> StoreResult<Option<Document>> {
        self.one(
            &format!("SELECT {COLUMNS} FROM documents WHERE resource = ? AND id = ?"),
            vec![resource.into(), id.into()],
        )
    }

    fn get_by_natural_key(&self, resource: &str, natural_key: &str) -> StoreResult<Option<Document>> {
        self.one(
            &format!("SELECT {COLUMNS} FROM documents WHERE resource = ? AND natural_key = ?"),
            vec![resource.into(), natural_key.into()],
        )
    }

    fn insert(&mut self, resource: &str, doc: &Document) -> StoreResult<()> {
        self.exec(
            "INSERT INTO documents (resource, id, natural_key, content, etag, last_modified, change_version)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
            vec![
                resource.into(),
                doc.id.as_str().into(),
                doc.natural_key.as_str().into(),
                doc.content.as_str().into(),
                doc.etag.as_str().into(),
                doc.last_modified.into(),
                doc.change_version.into(),
            ],
        )
        .map(|_| ())
    }

    fn update(&mut self, resource: &str, doc: &Document) -> StoreResult<()> {
        let updated: Vec<serde::de::IgnoredAny> = self
            .exec(
                "UPDATE documents SET natural_key = ?, content = ?, etag = ?, last_modified = ?, change_version = ?
                 WHERE resource = ? AND id = ? RETURNING seq",
                vec![
                    doc.natural_key.as_str().into(),
                    doc.content.as_str().into(),
                    doc.etag.as_str().into(),
                    doc.last_modified.into(),
                    doc.change_version.into(),
                    resource.into(),
                    doc.id.as_str().into(),
                ],
            )?
            .to_array()
            .map_err(err)?;
        match updated.len() {
            1 => Ok(()),
            n => Err(StoreError(format!("update of {resource} {} matched {n} rows", doc.id))),
        }
    }

    fn delete(&mut self, resource: &str, id: &str) -> StoreResult<()> {
        self.exec("DELETE FROM documents WHERE resource = ? AND id = ?", vec![resource.into(), id.into()])
            .map(|_| ())
    }

    fn page(&self, resource: &str, offset: u64, limit: u64) -> StoreResult<Vec<Document>> {
        self.documents(
            &format!("SELECT {COLUMNS} FROM documents WHERE resource = ? ORDER BY seq LIMIT ? OFFSET ?"),
            vec![resource.into(), (limit as i64).into(), (offset.min(i64::MAX as u64) as i64).into()],
        )
    }

    fn count(&self, resource: &str) -> StoreResult<u64> {
        let count: Count = self
            .exec("SELECT COUNT(*) AS n FROM documents WHERE resource = ?", vec![resource.into()])?
            .one()
            .map_err(err)?;
        Ok(count.n as u64)
    }

    fn next_change_version(&mut self) -> StoreResult<i64> {
        let next: Count = self
            .exec(
                "UPDATE counters SET value = value + 1 WHERE name = 'change_version' RETURNING value AS n",
                vec![],
            )?
            .one()
            .map_err(err)?;
        Ok(next.n)
    }
}
