/**
 * Shared registry test setup: an app on a temporary SQLite file with tokens of each scope,
 * and template texts to publish.
 */
import { join } from 'node:path';
import { createApp, createToken, openDatabase, Store } from '../../registry/index.js';
import { tempDir } from '../helpers.js';

export function bootRegistry(opts: { anonymousRead?: boolean; now?: () => Date } = {}) {
  const dir = tempDir({}, 'pw-reg-');
  const dbFile = join(dir, 'registry.db');
  const db = openDatabase(dbFile);
  const store = new Store(db, opts.now);
  const logs: string[] = [];
  const app = createApp({ store, anonymousRead: !!opts.anonymousRead, log: (l) => logs.push(l) });
  const tokens = {
    read: createToken(db, 'reader', 'read'),
    publish: createToken(db, 'ci', 'publish'),
    admin: createToken(db, 'boss', 'admin'),
  };
  return { dir, dbFile, db, store, app, tokens, logs };
}

export const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

/** A Step template text. */
export function stepTemplate(
  id: string,
  version: string,
  opts: { command?: string; inputs?: string; org?: boolean; description?: string } = {},
): string {
  return `template:
  name: ${id}
  identifier: ${id}
  versionLabel: ${JSON.stringify(version)}
${opts.org ? '  orgIdentifier: default\n' : ''}  type: Step
  description: ${JSON.stringify(opts.description ?? `the ${id} template`)}
${opts.inputs ?? ''}  spec:
    type: Run
    spec:
      shell: Sh
      command: ${JSON.stringify(opts.command ?? `echo ${id} ${version}`)}
`;
}
