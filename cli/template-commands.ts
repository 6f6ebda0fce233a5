/**
 * `template publish|list|show|versions|label|deprecate|undeprecate|yank|unyank|diff`: the registry API from the
 * command line. Each takes --registry, --token and --json.
 */
import type { Command } from 'commander';
import { templateTypeOf, unknownTemplateType } from '../compiler/index.js';
import { defaultAppearance, isCalendarDate } from '../client/index.js';
import type { TemplateSummary } from '../registry/index.js';
import { Exit, ExitError, type CliIO } from './io.js';
import { api, clientFor, enc, refAt, withApi, type ApiFlags } from './registry-api.js';
import { registerPublishCommand } from './template-publish.js';

export function registerTemplateCommands(program: Command, io: CliIO): void {
  const out = (s: string): void => void io.stdout.write(s.endsWith('\n') ? s : s + '\n');
  const template = program.command('template').description('publish and inspect templates in a registry');

  registerPublishCommand(template, io);

  withApi(
    template
      .command('list')
      .description('list templates')
      .option('--type <type>', 'Step, StepGroup, Stage, Pipeline, ... (any case)')
      .option('--search <text>', 'text in reference, name or description')
      .option('--label <name>', 'only templates with this label'),
  ).action(async (opts: ApiFlags & { type?: string; search?: string; label?: string }) => {
    const q = new URLSearchParams();
    if (opts.type !== undefined) {
      const type = templateTypeOf(opts.type);
      if (!type) throw new ExitError(Exit.INVALID, unknownTemplateType(opts.type));
      q.set('type', type);
    }
    if (opts.search) q.set('q', opts.search);
    if (opts.label) q.set('label', opts.label);
    const res = await api(io, () =>
      clientFor(opts, io).request<{ templates: TemplateSummary[] }>('GET', `/api/v1/templates${q.size ? `?${q}` : ''}`),
    );
    if (opts.json) return out(JSON.stringify(res.body.templates, null, 2));
    for (const t of res.body.templates)
      out(
        `${t.ref.padEnd(32)} ${t.type.padEnd(9)} ${(t.latest ?? '-').padEnd(12)} ${t.deprecated ? '[deprecated] ' : ''}${t.description || t.name}`,
      );
  });

  withApi(template.command('show').description('one version: REF or REF@SELECTOR (default: stable)').argument('<ref>')).action(
    async (text: string, opts: ApiFlags) => {
      const client = clientFor(opts, io);
      const i = text.indexOf('@');
      const ref = i < 0 ? text : text.slice(0, i);
      const selector = i < 0 ? '' : text.slice(i + 1);
      const res = await api(io, () =>
        client.request<{ results: { ok: boolean; version?: string; versions?: string[]; error?: { message: string } }[] }>(
          'POST',
          '/api/v1/resolve',
          {
            requests: [{ ref, selector }],
          },
        ),
      );
      const r = res.body.results[0]!;
      if (!r.ok)
        throw new ExitError(Exit.INVALID, `${r.error!.message}${r.versions?.length ? ` (available: ${r.versions.join(', ')})` : ''}`);
      const v = await api(io, () =>
        client.request<{
          version: string;
          digest: string;
          source: string;
          createdAt: string;
          createdBy: string;
          yanked: boolean;
          deprecation?: { message: string; sunset?: string };
        }>('GET', `/api/v1/templates/${enc(ref)}/versions/${enc(r.version!)}`),
      );
      if (opts.json) return out(JSON.stringify(v.body, null, 2));
      out(
        `# ${ref}@${v.body.version} ${v.body.digest} published ${v.body.createdAt} by ${v.body.createdBy}${v.body.yanked ? ' [yanked]' : ''}`,
      );
      if (v.body.deprecation)
        out(`# deprecated${v.body.deprecation.sunset ? ` (sunset ${v.body.deprecation.sunset})` : ''}: ${v.body.deprecation.message}`);
      out(v.body.source);
    },
  );

  withApi(template.command('versions').description('versions and labels of a template').argument('<ref>')).action(
    async (ref: string, opts: ApiFlags) => {
      const res = await api(io, () =>
        clientFor(opts, io).request<
          TemplateSummary & {
            versions: {
              version: string;
              digest: string;
              createdAt: string;
              yanked: boolean;
              deprecation?: { message: string; sunset?: string };
            }[];
          }
        >('GET', `/api/v1/templates/${enc(ref)}`),
      );
      if (opts.json) return out(JSON.stringify(res.body, null, 2));
      const byVersion = new Map<string, string[]>();
      for (const [l, v] of Object.entries(res.body.labels)) byVersion.set(v, [...(byVersion.get(v) ?? []), l]);
      for (const v of res.body.versions) {
        const notes = [
          ...(byVersion.get(v.version) ?? []).map((l) => `[${l}]`),
          v.yanked ? 'yanked' : '',
          v.deprecation ? `deprecated${v.deprecation.sunset ? ` until ${v.deprecation.sunset}` : ''}: ${v.deprecation.message}` : '',
        ].filter(Boolean);
        out(`${v.version.padEnd(14)} ${v.digest.slice(0, 19)}… ${v.createdAt} ${notes.join(' ')}`);
      }
    },
  );

  withApi(
    template
      .command('label')
      .description('point LABEL of REF at VERSION, or --remove it')
      .argument('<ref>')
      .argument('<label>')
      .argument('[version]')
      .option('--remove', 'remove the label'),
  ).action(async (ref: string, label: string, version: string | undefined, opts: ApiFlags & { remove?: boolean }) => {
    const client = clientFor(opts, io);
    if (opts.remove) {
      await api(io, () => client.request('DELETE', `/api/v1/templates/${enc(ref)}/labels/${enc(label)}`));
      return out(opts.json ? JSON.stringify({ ref, label, removed: true }) : `removed label ${label} of ${ref}`);
    }
    if (!version) throw new ExitError(Exit.INVALID, 'give the VERSION the label should point at (or --remove)');
    const res = await api(io, () =>
      client.request<{ changed?: boolean }>('PUT', `/api/v1/templates/${enc(ref)}/labels/${enc(label)}`, { version }),
    );
    const changed = res.body.changed !== false;
    out(opts.json ? JSON.stringify({ ref, label, version, changed }) : `${ref} ${label} → ${version}${changed ? '' : ' (already)'}`);
  });

  withApi(
    template
      .command('deprecate')
      .description('deprecate REF@VERSION')
      .argument('<refAtVersion>')
      .requiredOption('--message <text>', 'what to use instead')
      .option('--sunset <date>', 'YYYY-MM-DD after which compiles fail'),
  ).action(async (text: string, opts: ApiFlags & { message: string; sunset?: string }) => {
    const { ref, version } = refAt(text);
    if (opts.sunset !== undefined && !isCalendarDate(opts.sunset))
      throw new ExitError(Exit.INVALID, `--sunset must be a calendar date (YYYY-MM-DD), not ${JSON.stringify(opts.sunset)}`);
    const res = await api(io, () =>
      clientFor(opts, io).request('POST', `/api/v1/templates/${enc(ref)}/versions/${enc(version)}/deprecate`, {
        message: opts.message,
        ...(opts.sunset !== undefined ? { sunset: opts.sunset } : {}),
      }),
    );
    out(opts.json ? JSON.stringify(res.body) : `deprecated ${ref}@${version}${opts.sunset ? ` (sunset ${opts.sunset})` : ''}`);
  });

  withApi(
    template
      .command('yank')
      .description(
        'yank REF@VERSION (admin): ranges skip it, exact versions and lockfiles still resolve; a stable label on it moves to the highest remaining non-prerelease version (or is removed), other labels on it are removed',
      )
      .argument('<refAtVersion>'),
  ).action(async (text: string, opts: ApiFlags) => {
    const { ref, version } = refAt(text);
    const res = await api(io, () =>
      clientFor(opts, io).request<{
        changed?: boolean;
        labels?: { moved: { label: string; from: string; to: string }[]; removed: string[] };
      }>('POST', `/api/v1/templates/${enc(ref)}/versions/${enc(version)}/yank`),
    );
    if (opts.json) return out(JSON.stringify(res.body));
    if (res.body.changed === false) return out(`${ref}@${version} was already yanked: nothing changed`);
    const labels = res.body.labels ?? { moved: [], removed: [] };
    out(
      [
        `yanked ${ref}@${version}`,
        ...labels.moved.map((m) => `label ${m.label} moved ${m.from} → ${m.to}`),
        ...labels.removed.map((l) => `label ${l} removed`),
      ].join('; '),
    );
  });

  for (const [action, done, state, what] of [
    ['undeprecate', 'undeprecated', 'deprecated', 'take the deprecation of REF@VERSION back (admin)'],
    [
      'unyank',
      'unyanked',
      'yanked',
      'take the yank of REF@VERSION back (admin): ranges and stable may choose it again; labels are not restored (point them again with `template label`)',
    ],
  ] as const)
    withApi(template.command(action).description(what).argument('<refAtVersion>')).action(async (text: string, opts: ApiFlags) => {
      const { ref, version } = refAt(text);
      const res = await api(io, () =>
        clientFor(opts, io).request<{ changed?: boolean }>('POST', `/api/v1/templates/${enc(ref)}/versions/${enc(version)}/${action}`),
      );
      if (opts.json) return out(JSON.stringify(res.body));
      out(res.body.changed === false ? `${ref}@${version} was not ${state}: nothing to undo` : `${done} ${ref}@${version}`);
    });

  withApi(
    template
      .command('diff')
      .description('unified diff of canonical content between two versions, and input changes')
      .argument('<ref>')
      .argument('<from>')
      .argument('<to>'),
  ).action(async (ref: string, from: string, to: string, opts: ApiFlags) => {
    const res = await api(io, () =>
      clientFor(opts, io).request<{
        patch: string;
        inputs: {
          added: string[];
          removed: string[];
          retyped: { name: string; from: string; to: string }[];
          defaultChanged: { name: string; from: unknown; to: unknown }[];
          nowRequired: string[];
        };
      }>('GET', `/api/v1/templates/${enc(ref)}/diff?from=${enc(from)}&to=${enc(to)}`),
    );
    if (opts.json) return out(JSON.stringify(res.body, null, 2));
    io.stdout.write(res.body.patch);
    const i = res.body.inputs;
    out(
      `inputs: added ${i.added.join(', ') || '-'}; removed ${i.removed.join(', ') || '-'}; retyped ${i.retyped.map((r) => `${r.name} ${r.from}→${r.to}`).join(', ') || '-'}; default changed ${i.defaultChanged.map((d) => `${d.name} ${defaultAppearance(d) ?? `${JSON.stringify(d.from)}→${JSON.stringify(d.to)}`}`).join(', ') || '-'}; now required ${i.nowRequired.join(', ') || '-'}`,
    );
  });
}
