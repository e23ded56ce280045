// The floors for `cargo xtask bench`, run by the same wrangler and workerd as the API:
// - `GET /`: the cheapest Worker there is, answering a fixed JSON document;
// - `/items…`: the runtime's own ceiling for the API's request path, with no application logic.
//   The Worker forwards to one SQLite Durable Object, which answers a GET by id with one SELECT
//   and a POST with the storage work of the API's create of a new student, statement for statement
//   (its Idempotency-Key looked up, pruned and remembered, a natural-key lookup, the change
//   version, the document and its indexes, its filter terms, its first version), in one
//   `transactionSync`, and a PUT with `If-Match` with that of the API's conditional update.
//   The API cannot be faster than this on the same machine.
import { DurableObject } from "cloudflare:workers";

const body = JSON.stringify({ id: "0123456789abcdef0123456789abcdef", studentUniqueId: "604800", firstName: "Layla" });
const JSON_TYPE = { "Content-Type": "application/json; charset=utf-8" };

// The tables and indexes a create writes in the API (edge/src/sql_store.rs), without the rest.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS documents (
    seq INTEGER PRIMARY KEY, resource TEXT NOT NULL, id TEXT NOT NULL, natural_key TEXT NOT NULL,
    content TEXT NOT NULL, etag TEXT NOT NULL, last_modified INTEGER NOT NULL,
    change_version INTEGER NOT NULL, UNIQUE (resource, id), UNIQUE (resource, natural_key));
CREATE INDEX IF NOT EXISTS documents_by_change ON documents (resource, change_version);
CREATE INDEX IF NOT EXISTS documents_in_order ON documents (resource, seq);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO counters (name, value) VALUES ('change_version', 0);
INSERT OR IGNORE INTO counters (name, value) VALUES ('document_seq', 0);
CREATE TRIGGER IF NOT EXISTS documents_take_position AFTER INSERT ON documents
BEGIN
    UPDATE counters SET value = NEW.seq WHERE name = 'document_seq' AND value < NEW.seq;
END;
CREATE TABLE IF NOT EXISTS idempotency_keys (
    client TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, status INTEGER NOT NULL,
    etag TEXT, location TEXT, body TEXT NOT NULL, created INTEGER NOT NULL, PRIMARY KEY (client, key));
CREATE INDEX IF NOT EXISTS idempotency_keys_by_age ON idempotency_keys (created);
CREATE TABLE IF NOT EXISTS links (
    resource TEXT NOT NULL, id TEXT NOT NULL, target TEXT NOT NULL, key TEXT NOT NULL,
    PRIMARY KEY (resource, id, target, key));
CREATE TABLE IF NOT EXISTS terms (term INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (term, seq)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS terms_of_item ON terms (seq);
CREATE TABLE IF NOT EXISTS versions (
    seq INTEGER PRIMARY KEY, resource TEXT NOT NULL, id TEXT NOT NULL, etag TEXT NOT NULL,
    content TEXT, last_modified INTEGER NOT NULL, change_version INTEGER NOT NULL, client TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS versions_by_item ON versions (resource, id, seq);
`;

function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// A write's Idempotency-Key: looked up first, and its answer remembered (older ones pruned) last.
function recalled(sql, key) {
  sql.exec("SELECT fingerprint, status, etag, location, body, created FROM idempotency_keys WHERE client = 'bench' AND key = ?", key).toArray();
}

function remember(sql, key, status, etag, location, now) {
  sql.exec("DELETE FROM idempotency_keys WHERE created < ?", now - 86400);
  sql.exec(
    "INSERT OR REPLACE INTO idempotency_keys (client, key, fingerprint, status, etag, location, body, created) VALUES ('bench', ?, ?, ?, ?, ?, '', ?)",
    key, etag, status, etag, location, now,
  );
}

export class Items extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(SCHEMA);
  }

  async fetch(request) {
    const url = new URL(request.url);
    if (request.method === "GET" && url.pathname === "/items") {
      // The first items, for the bench to read and update by id: [{ id, etag, content }].
      const limit = Number(url.searchParams.get("limit") ?? "100");
      const rows = this.sql.exec("SELECT id, etag, content FROM documents WHERE resource = 'students' ORDER BY seq LIMIT ?", limit).toArray();
      return new Response(JSON.stringify(rows), { headers: JSON_TYPE });
    }
    if (request.method === "GET") {
      const id = url.pathname.slice("/items/".length);
      const rows = this.sql.exec("SELECT content, etag FROM documents WHERE resource = 'students' AND id = ?", id).toArray();
      if (rows.length === 0) return new Response(null, { status: 404 });
      return new Response(rows[0].content, { headers: { ...JSON_TYPE, ETag: `"${rows[0].etag}"` } });
    }
    const content = await request.text();
    const key = JSON.stringify([JSON.parse(content).studentUniqueId]);
    const etag = hex(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(content))));
    // One random term per top-level member, as the API indexes each scalar for field filters.
    const terms = JSON.stringify(Object.keys(JSON.parse(content)).map(() => Math.floor(Math.random() * 2 ** 52)));
    const now = Math.floor(Date.now() / 1000);
    if (request.method === "PUT") {
      const id = url.pathname.slice("/items/".length);
      const ifMatch = request.headers.get("If-Match");
      const idempotencyKey = request.headers.get("Idempotency-Key") ?? etag;
      const status = this.ctx.storage.transactionSync(() => {
        recalled(this.sql, idempotencyKey);
        const rows = this.sql.exec("SELECT seq, etag FROM documents WHERE resource = 'students' AND id = ?", id).toArray();
        if (rows.length === 0) return 404;
        if (ifMatch !== `"${rows[0].etag}"`) return 412;
        const version = this.sql.exec("UPDATE counters SET value = value + 1 WHERE name = 'change_version' RETURNING value AS n").one().n;
        const seq = this.sql.exec(
          "UPDATE documents SET natural_key = ?, content = ?, etag = ?, last_modified = ?, change_version = ? WHERE resource = 'students' AND id = ? RETURNING seq AS n",
          key, content, etag, now, version, id,
        ).one().n;
        this.sql.exec("DELETE FROM terms WHERE seq = ? AND term NOT IN (SELECT value FROM json_each(?))", seq, terms);
        this.sql.exec("INSERT OR IGNORE INTO terms (term, seq) SELECT value, ? FROM json_each(?)", seq, terms);
        this.sql.exec(
          "INSERT INTO versions (resource, id, etag, content, last_modified, change_version, client) VALUES ('students', ?, ?, ?, ?, ?, 'bench')",
          id, etag, content, now, version,
        );
        this.sql.exec("SELECT seq, last_modified FROM versions WHERE resource = 'students' AND id = ? ORDER BY seq", id).toArray();
        this.sql.exec("DELETE FROM links WHERE resource = 'students' AND id = ?", id);
        remember(this.sql, idempotencyKey, 204, etag, null, now);
        return 204;
      });
      return new Response(null, { status, headers: status === 204 ? { ETag: `"${etag}"` } : {} });
    }
    const id = hex(crypto.getRandomValues(new Uint8Array(16)));
    const idempotencyKey = request.headers.get("Idempotency-Key") ?? id;
    const status = this.ctx.storage.transactionSync(() => {
      recalled(this.sql, idempotencyKey);
      if (this.sql.exec("SELECT seq FROM documents WHERE resource = 'students' AND natural_key = ?", key).toArray().length) {
        return 200;
      }
      const version = this.sql.exec("UPDATE counters SET value = value + 1 WHERE name = 'change_version' RETURNING value AS n").one().n;
      const seq = this.sql.exec(
        "INSERT INTO documents (seq, resource, id, natural_key, content, etag, last_modified, change_version) VALUES ((SELECT value + 1 FROM counters WHERE name = 'document_seq'), 'students', ?, ?, ?, ?, ?, ?) RETURNING seq",
        id, key, content, etag, now, version,
      ).one().seq;
      this.sql.exec("INSERT OR IGNORE INTO terms (term, seq) SELECT value, ? FROM json_each(?)", seq, terms);
      this.sql.exec(
        "INSERT INTO versions (resource, id, etag, content, last_modified, change_version, client) VALUES ('students', ?, ?, ?, ?, ?, 'bench')",
        id, etag, content, now, version,
      );
      remember(this.sql, idempotencyKey, 201, etag, `/items/${id}`, now);
      return 201;
    });
    return new Response(null, { status, headers: { Location: `${url.origin}/items/${id}`, ETag: `"${etag}"` } });
  }
}

export default {
  async fetch(request, env) {
    if (new URL(request.url).pathname.startsWith("/items")) {
      return env.ITEMS.getByName("bench").fetch(request);
    }
    return new Response(body, { headers: JSON_TYPE });
  },
};
