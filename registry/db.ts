/**
 * The registry's SQLite database: opened with WAL, foreign keys and a busy timeout;
 * schema migrations are numbered and applied at open, recorded in `PRAGMA user_version`.
 */
import Database from 'better-sqlite3';

export type DB = Database.Database;

/** Ordered migrations; index + 1 is the schema version. Never edit one that shipped. */
const MIGRATIONS: string[] = [
  `CREATE TABLE templates (
     id INTEGER PRIMARY KEY,
     ref TEXT NOT NULL UNIQUE,
     scope TEXT NOT NULL,
     identifier TEXT NOT NULL,
     type TEXT NOT NULL,
     name TEXT NOT NULL,
     description TEXT NOT NULL DEFAULT '',
     created_at TEXT NOT NULL
   );
   CREATE TABLE versions (
     id INTEGER PRIMARY KEY,
     template_id INTEGER NOT NULL REFERENCES templates(id),
     version TEXT NOT NULL,
     digest TEXT NOT NULL,
     source TEXT NOT NULL,
     canonical TEXT NOT NULL,
     inputs TEXT NOT NULL,
     created_at TEXT NOT NULL,
     created_by TEXT NOT NULL,
     yanked INTEGER NOT NULL DEFAULT 0,
     deprecated_message TEXT,
     sunset TEXT,
     UNIQUE (template_id, version)
   );
   CREATE TABLE labels (
     template_id INTEGER NOT NULL REFERENCES templates(id),
     name TEXT NOT NULL,
     version_id INTEGER NOT NULL REFERENCES versions(id),
     updated_at TEXT NOT NULL,
     PRIMARY KEY (template_id, name)
   );
   CREATE TABLE tokens (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     scope TEXT NOT NULL CHECK (scope IN ('read', 'publish', 'admin')),
     hash TEXT NOT NULL,
     created_at TEXT NOT NULL
   );
   CREATE TABLE events (
     id INTEGER PRIMARY KEY,
     at TEXT NOT NULL,
     actor TEXT NOT NULL,
     action TEXT NOT NULL,
     ref TEXT,
     version TEXT,
     detail TEXT
   );
   CREATE INDEX versions_digest ON versions(digest);`,
  // 2: token lifecycle (revocation, expiry, last use) and the web catalog's server-side sessions.
  `ALTER TABLE tokens ADD COLUMN revoked_at TEXT;
   ALTER TABLE tokens ADD COLUMN expires_at TEXT;
   ALTER TABLE tokens ADD COLUMN last_used_at TEXT;
   CREATE TABLE sessions (
     id TEXT PRIMARY KEY,
     token_id TEXT NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
     csrf TEXT NOT NULL,
     created_at TEXT NOT NULL,
     expires_at TEXT NOT NULL
   );
   CREATE INDEX sessions_token ON sessions(token_id);`,
];

/** Opens (creating when missing) and migrates the database at `file` (`:memory:` works). */
export function openDatabase(file: string): DB {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
  migrate(db);
  return db;
}

/** The schema version of an existing database file, read without changing it; throws when the file is not SQLite. */
export function schemaVersionOf(file: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
}

/** Applies the migrations the database has not seen yet, each in its own transaction. */
export function migrate(db: DB): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`database schema version ${current} is newer than this pipewright (${MIGRATIONS.length})`);
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return MIGRATIONS.length;
}

/** `PRAGMA integrity_check` and foreign key check; empty when the database is sound. */
export function integrityProblems(db: DB): string[] {
  const rows = db.pragma('integrity_check') as { integrity_check: string }[];
  const out = rows.map((r) => r.integrity_check).filter((r) => r !== 'ok');
  const fk = db.pragma('foreign_key_check') as unknown[];
  if (fk.length) out.push(`${fk.length} foreign key violations`);
  return out;
}
