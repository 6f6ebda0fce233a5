/**
 * The OpenAPI 3.1 description of the registry's HTTP API. A test walks the express router
 * and fails when a route is missing here. The sign-in routes describe themselves
 * (routes/pages/login.ts) and are merged in here.
 */
import { loginOpenApiPaths } from './routes/pages/login.js';
import { COMPONENT_SCHEMAS } from './openapi-schemas.js';

const ref = {
  name: 'ref',
  in: 'path',
  required: true,
  description: 'template reference: account.<id>, org.<id> or <id>',
  schema: { type: 'string' },
};
const version = { name: 'version', in: 'path', required: true, schema: { type: 'string' } };
const label = { name: 'label', in: 'path', required: true, schema: { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,63}$' } };
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const err = (description: string) => ({ description, ...json({ $ref: '#/components/schemas/Error' }) });
const errors = { '400': err('bad request'), '401': err('no or bad token'), '403': err('token scope too small'), '404': err('not found') };
/** Writes wait up to a second for a write lock held by another process, then answer 503. */
const busy = {
  '503': {
    ...err("database busy: retry after the Retry-After header's seconds"),
    headers: { 'Retry-After': { schema: { type: 'integer' } } },
  },
};

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'pipewright registry',
      version: '1',
      description: 'Immutable, content-addressed CI templates: publish, label, deprecate, yank, resolve.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'pw_<id>_<secret> with scope read, publish or admin' } },
      schemas: COMPONENT_SCHEMAS,
    },
    security: [{ bearer: [] }],
    paths: {
      '/healthz': {
        get: {
          summary: 'liveness and database check',
          security: [],
          responses: { '200': { description: 'ok', ...json({ type: 'object' }) } },
        },
      },
      '/openapi.json': { get: { summary: 'this document', security: [], responses: { '200': { description: 'OpenAPI 3.1' } } } },
      '/api/v1/templates': {
        get: {
          summary: 'list and search templates',
          parameters: [
            {
              name: 'type',
              in: 'query',
              schema: {
                enum: ['Step', 'StepGroup', 'Stage', 'Pipeline', 'CustomDeployment', 'ArtifactSource', 'MonitoredService', 'SecretManager'],
              },
            },
            { name: 'q', in: 'query', description: 'text in ref, name or description', schema: { type: 'string' } },
            { name: 'label', in: 'query', description: 'only templates with this label', schema: { type: 'string' } },
          ],
          responses: {
            '200': {
              description: 'templates',
              ...json({
                type: 'object',
                properties: { templates: { type: 'array', items: { $ref: '#/components/schemas/TemplateSummary' } } },
              }),
            },
            ...errors,
          },
        },
      },
      '/api/v1/templates/{ref}': {
        get: {
          summary: 'one template with its versions and labels',
          parameters: [ref],
          responses: { '200': { description: 'template' }, ...errors },
        },
      },
      '/api/v1/templates/{ref}/versions/{version}': {
        get: {
          summary:
            'one version: content, digest, inputs and status (yanked, deprecation); ETag over digest and status, Cache-Control no-cache, 304 on If-None-Match',
          parameters: [ref, version],
          responses: {
            '200': { description: 'version', ...json({ $ref: '#/components/schemas/Version' }) },
            '304': { description: 'not modified' },
            ...errors,
          },
        },
        put: {
          summary: 'publish a version (validated and compiled in isolation first)',
          parameters: [ref, version],
          requestBody: {
            required: true,
            ...json({
              type: 'object',
              properties: { yaml: { type: 'string', description: 'the template file' }, template: { type: 'object' } },
            }),
          },
          responses: {
            '200': { description: 'identical content was already published (no-op)' },
            '201': { description: 'published' },
            '409': err('the version exists with different content'),
            '413': err('body over the limit'),
            '422': err('not a valid template; details holds the diagnostics'),
            ...errors,
            ...busy,
          },
        },
      },
      '/api/v1/content/{digest}': {
        get: {
          summary: 'immutable content by digest: content, source, inputs (ETag = digest, cached forever, 304 on If-None-Match)',
          parameters: [{ name: 'digest', in: 'path', required: true, schema: { type: 'string', pattern: '^sha256:[0-9a-f]{64}$' } }],
          responses: {
            '200': {
              description: 'content',
              ...json({
                type: 'object',
                properties: {
                  digest: { type: 'string' },
                  content: { type: 'object' },
                  source: { type: 'string' },
                  inputs: { type: 'object' },
                },
              }),
            },
            '304': { description: 'not modified' },
            ...errors,
          },
        },
      },
      '/api/v1/templates/{ref}/labels/{label}': {
        put: {
          summary: 'point a label at a version',
          parameters: [ref, label],
          requestBody: { required: true, ...json({ type: 'object', required: ['version'], properties: { version: { type: 'string' } } }) },
          responses: {
            '200': {
              description: 'label set; `changed` is false when it already pointed there (no event is recorded)',
              ...json({
                type: 'object',
                required: ['ref', 'label', 'version', 'changed'],
                properties: {
                  ref: { type: 'string' },
                  label: { type: 'string' },
                  version: { type: 'string' },
                  changed: { type: 'boolean' },
                },
              }),
            },
            '409': err('the version is yanked'),
            ...errors,
            ...busy,
          },
        },
        delete: {
          summary: 'remove a label',
          parameters: [ref, label],
          responses: { '204': { description: 'removed' }, ...errors, ...busy },
        },
      },
      '/api/v1/templates/{ref}/versions/{version}/deprecate': {
        post: {
          summary: 'deprecate a version',
          parameters: [ref, version],
          requestBody: {
            required: true,
            ...json({
              type: 'object',
              required: ['message'],
              properties: {
                message: { type: 'string' },
                sunset: { type: 'string', format: 'date', description: 'a real calendar date, exactly YYYY-MM-DD' },
              },
            }),
          },
          responses: { '200': { description: 'the version', ...json({ $ref: '#/components/schemas/Version' }) }, ...errors, ...busy },
        },
      },
      '/api/v1/templates/{ref}/versions/{version}/yank': {
        post: {
          summary: 'yank a version (admin): no longer chosen by ranges or labels, still fetchable exactly',
          description:
            'In the same transaction, every label pointing at the version is dealt with: a stored `stable` moves to the highest non-yanked, non-prerelease version (removed when there is none), every other label is removed; the yank event records it in `detail.labels`. Yanking a yanked version changes and records nothing. Unyank gives no label back.',
          parameters: [ref, version],
          responses: {
            '200': {
              description: 'the version, and what happened to its labels',
              ...json({ $ref: '#/components/schemas/YankedVersion' }),
            },
            ...errors,
            ...busy,
          },
        },
      },
      '/api/v1/templates/{ref}/versions/{version}/undeprecate': {
        post: {
          summary: 'take a deprecation back (admin); recorded as an event when the version was deprecated',
          parameters: [ref, version],
          responses: { '200': { description: 'the version', ...json({ $ref: '#/components/schemas/UndoneVersion' }) }, ...errors, ...busy },
        },
      },
      '/api/v1/templates/{ref}/versions/{version}/unyank': {
        post: {
          summary:
            'take a yank back (admin): ranges and `stable` may choose the version again; labels the yank moved or removed are not restored; an event when it was yanked',
          parameters: [ref, version],
          responses: { '200': { description: 'the version', ...json({ $ref: '#/components/schemas/UndoneVersion' }) }, ...errors, ...busy },
        },
      },
      '/api/v1/templates/{ref}/diff': {
        get: {
          summary: 'unified diff of canonical content and input changes between two versions',
          description:
            'The line diff is bounded (canonical content of at most 256 KiB and 3,000 values a side, 20,000 YAML lines together, 250 changed lines unless both sides together are at most 500 lines, 50 ms). Past a bound the answer is still 200, with `tooLarge` set and `patch` holding one line saying why and the two file headers (digests), no hunks.',
          parameters: [
            ref,
            { name: 'from', in: 'query', required: true, schema: { type: 'string' } },
            { name: 'to', in: 'query', required: true, schema: { type: 'string' } },
          ],
          responses: { '200': { description: 'diff', ...json({ $ref: '#/components/schemas/VersionDiff' }) }, ...errors },
        },
      },
      '/api/v1/resolve': {
        post: {
          summary: 'resolve many {ref, selector} in one round trip',
          requestBody: {
            required: true,
            ...json({
              type: 'object',
              required: ['requests'],
              properties: {
                requests: {
                  type: 'array',
                  maxItems: 1000,
                  items: { type: 'object', required: ['ref'], properties: { ref: { type: 'string' }, selector: { type: 'string' } } },
                },
              },
            }),
          },
          responses: { '200': { description: 'one result per request, in order: version, digest and source, or an error' }, ...errors },
        },
      },
      '/': {
        get: {
          summary: 'catalog page (HTML): search by q, filter by type and label',
          security: [],
          responses: { '200': { description: 'text/html' }, '401': { description: 'sign-in page' } },
        },
      },
      ...loginOpenApiPaths(),
      '/static/{file}': {
        get: {
          summary: 'catalog CSS and script',
          security: [],
          parameters: [{ name: 'file', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': { description: 'asset' } },
        },
      },
      '/templates/{ref}': {
        get: {
          summary: 'template page (HTML): versions, inputs, spec, snippet',
          parameters: [ref, { name: 'version', in: 'query', schema: { type: 'string' } }],
          responses: { '200': { description: 'text/html' } },
        },
      },
      '/templates/{ref}/diff': {
        get: {
          summary: 'diff page (HTML) between two versions',
          parameters: [
            ref,
            { name: 'from', in: 'query', required: true, schema: { type: 'string' } },
            { name: 'to', in: 'query', required: true, schema: { type: 'string' } },
          ],
          responses: { '200': { description: 'text/html' } },
        },
      },
      '/api/v1/tokens': {
        get: {
          summary: 'list tokens (admin): id, name, scope, createdAt, expiresAt, lastUsedAt, revokedAt, status; never a secret or hash',
          responses: {
            '200': {
              description: 'tokens',
              ...json({ type: 'object', properties: { tokens: { type: 'array', items: { $ref: '#/components/schemas/Token' } } } }),
            },
            ...errors,
          },
        },
      },
      '/api/v1/tokens/{id}/revoke': {
        post: {
          summary: 'revoke a token (admin, idempotent): every server refuses it within a second',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[0-9a-f]{12}$' } }],
          responses: { '200': { description: 'the token', ...json({ $ref: '#/components/schemas/Token' }) }, ...errors, ...busy },
        },
      },
      '/api/v1/events': {
        get: {
          summary:
            'event log (publish, label, deprecate, yank, tokens); needs a read token even when the server allows anonymous reads, since it names tokens',
          parameters: [
            { name: 'after', in: 'query', schema: { type: 'integer' } },
            { name: 'limit', in: 'query', schema: { type: 'integer', maximum: 1000 } },
          ],
          responses: { '200': { description: 'events' }, ...errors },
        },
      },
      '/api/v1/token': {
        get: {
          summary: 'the calling token: its id, name and scope (a client checks it can publish before it starts); needs a token',
          responses: {
            '200': {
              description: 'the token',
              ...json({
                type: 'object',
                required: ['id', 'name', 'scope'],
                properties: { id: { type: 'string' }, name: { type: 'string' }, scope: { enum: ['read', 'publish', 'admin'] } },
              }),
            },
            ...errors,
          },
        },
      },
    },
  };
}
