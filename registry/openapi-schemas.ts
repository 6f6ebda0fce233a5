/**
 * The OpenAPI document's component schemas: the shapes the registry's API answers with
 * (openapi.ts holds the paths).
 */
export const COMPONENT_SCHEMAS: Record<string, unknown> = {
  Error: {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
      },
    },
  },
  TemplateSummary: {
    type: 'object',
    properties: {
      ref: { type: 'string' },
      scope: { type: 'string' },
      identifier: { type: 'string' },
      type: { type: 'string' },
      name: { type: 'string' },
      description: { type: 'string' },
      latest: { type: 'string' },
      versions: { type: 'integer' },
      labels: { type: 'object', additionalProperties: { type: 'string' } },
      deprecated: { type: 'boolean' },
    },
  },
  Token: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      name: { type: 'string' },
      scope: { enum: ['read', 'publish', 'admin'] },
      createdAt: { type: 'string' },
      expiresAt: { type: 'string' },
      lastUsedAt: { type: 'string' },
      revokedAt: { type: 'string' },
      status: { enum: ['active', 'expired', 'revoked'] },
    },
  },
  VersionDiff: {
    type: 'object',
    required: ['ref', 'from', 'to', 'patch', 'inputs'],
    properties: {
      ref: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      patch: { type: 'string', description: 'unified diff of the canonical content as sorted YAML' },
      inputs: {
        type: 'object',
        properties: {
          added: { type: 'array' },
          removed: { type: 'array' },
          retyped: { type: 'array' },
          defaultChanged: { type: 'array' },
          nowRequired: { type: 'array' },
        },
      },
      tooLarge: {
        type: 'object',
        description: 'present only when the diff is too large to show line by line',
        properties: {
          reason: { enum: ['size', 'edits', 'time'] },
          message: { type: 'string' },
          from: { type: 'object', properties: { digest: { type: 'string' }, bytes: { type: 'integer' } } },
          to: { type: 'object', properties: { digest: { type: 'string' }, bytes: { type: 'integer' } } },
        },
      },
    },
  },
  Version: {
    type: 'object',
    properties: {
      ref: { type: 'string' },
      version: { type: 'string' },
      digest: { type: 'string' },
      content: { type: 'object' },
      source: { type: 'string' },
      inputs: { type: 'object' },
      createdAt: { type: 'string' },
      createdBy: { type: 'string' },
      yanked: { type: 'boolean' },
      deprecation: { type: 'object', properties: { message: { type: 'string' }, sunset: { type: 'string' } } },
    },
  },
  UndoneVersion: {
    allOf: [
      { $ref: '#/components/schemas/Version' },
      {
        type: 'object',
        required: ['changed'],
        properties: { changed: { type: 'boolean', description: 'false when there was nothing to undo (no event)' } },
      },
    ],
  },
  YankedVersion: {
    allOf: [
      { $ref: '#/components/schemas/Version' },
      {
        type: 'object',
        required: ['labels', 'changed'],
        properties: {
          changed: { type: 'boolean', description: 'false when the version was already yanked (nothing changed, no event)' },
          labels: {
            type: 'object',
            description:
              'what the yank did to the labels that pointed at the version: the stored `stable` moved to the highest non-yanked, non-prerelease version, or removed when there is none; every other label removed. Both empty when the version was already yanked.',
            required: ['moved', 'removed'],
            properties: {
              moved: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['label', 'from', 'to'],
                  properties: { label: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } },
                },
              },
              removed: { type: 'array', items: { type: 'string' }, description: 'label names, sorted' },
            },
          },
        },
      },
    ],
  },
};
