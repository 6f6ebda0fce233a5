/**
 * Whether a template version is already in the registry: `identical` (same digest), `new`, or
 * a conflict — other content under that version, which the registry refuses (versions are
 * immutable). `validate --registry` and `template publish` ask the same question.
 */
import { Codes, type Diagnostic, type ValidatedTemplate } from '../compiler/index.js';
import { RegistryError, type RegistryClient } from '../client/index.js';
import { ExitError } from './io.js';
import { enc, exitCodeOf } from './registry-api.js';

export type Published = { state: 'new' } | { state: 'identical' } | { state: 'conflict'; problem: Diagnostic };

/** Looks `t` up in the registry; an unreachable registry or a refused token ends the command. */
export async function publishedState(client: RegistryClient, t: ValidatedTemplate): Promise<Published> {
  let digest: string;
  try {
    digest = (await client.request<{ digest: string }>('GET', `/api/v1/templates/${enc(t.ref)}/versions/${enc(t.version)}`)).body.digest;
  } catch (e) {
    if (e instanceof RegistryError && e.status === 404) return { state: 'new' };
    if (e instanceof RegistryError) throw new ExitError(exitCodeOf(e), e.message);
    throw e;
  }
  if (digest === t.digest) return { state: 'identical' };
  return {
    state: 'conflict',
    problem: {
      code: Codes.TEMPLATE_CONFLICT,
      severity: 'error',
      message: `${t.ref}@${t.version} is already published with other content (${digest}); versions are immutable: give this one a new versionLabel`,
      ...t.versionAt,
    },
  };
}
