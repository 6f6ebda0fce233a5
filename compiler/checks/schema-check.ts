/**
 * Schema validation with ajv, and the mapping of ajv errors back to YAML positions and
 * stable diagnostic codes.
 */
import { validator, type ErrorObject, type SchemaName } from '../../schemas/index.js';
import { Codes, type Code, type DiagnosticBag, type Location } from '../diagnostics.js';
import { sourcePositions } from '../harness-yaml.js';
import type { Positions } from '../yaml/index.js';

/** Keywords whose errors only repeat what their sub-schemas already said. */
const NOISE = new Set(['if', 'anyOf', 'oneOf', 'allOf', 'then', 'else']);

/**
 * Validates `value` (a whole document) against a pipewright schema and adds one diagnostic
 * per distinct problem to `bag`, located through `positions` (the table `value` was read
 * into; by default the process's table, which the compiler's readers use when given none).
 * Returns true when the value is valid.
 */
export function checkSchema(
  name: SchemaName,
  value: unknown,
  file: string,
  bag: DiagnosticBag,
  positions: Positions = sourcePositions,
): boolean {
  const validate = validator(name);
  if (validate(value)) return true;
  const fallback: Location = { file, line: 1, column: 1 };
  const errors = (validate.errors ?? []).filter((e) => !NOISE.has(e.keyword));
  const seen = new Set<string>();
  const extraAt = new Set(errors.filter((e) => e.keyword === 'additionalProperties').map((e) => e.instancePath));
  for (const e of errors) {
    if ((e.keyword === 'maxProperties' || e.keyword === 'minProperties') && extraAt.has(e.instancePath)) continue;
    const mapped = mapError(e);
    const path = splitPointer(e.instancePath);
    const at = mapped.key !== undefined ? [...path, mapped.key] : path;
    // An unknown field is located at its key (the value may be lines away, or absent).
    const loc =
      mapped.key !== undefined ? keyLocation(positions, value, path, mapped.key, fallback) : positions.atPath(value, at, fallback);
    const key = `${loc.line}:${loc.column}:${mapped.code}`;
    if (seen.has(key)) continue;
    seen.add(key);
    bag.error(mapped.code, `${describePath(at)}: ${mapped.message}`, loc);
  }
  return false;
}

/** Where `key` is written in the object at `path` below `root`. */
function keyLocation(positions: Positions, root: unknown, path: (string | number)[], key: string, fallback: Location): Location {
  let owner: unknown = root;
  for (const seg of path)
    owner = owner !== null && typeof owner === 'object' ? (owner as Record<string | number, unknown>)[seg] : undefined;
  return positions.get(owner) ? positions.keyAt(owner, key, fallback) : positions.atPath(root, [...path, key], fallback);
}

/** `/a/b~1c/0` → ['a', 'b/c', 0] */
export function splitPointer(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function describePath(path: (string | number)[]): string {
  if (path.length === 0) return '(document)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

function mapError(e: ErrorObject): { code: Code; message: string; key?: string } {
  const path = splitPointer(e.instancePath);
  const last = path[path.length - 1];
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { code: Codes.REQUIRED_FIELD, message: `missing required field '${String(params['missingProperty'])}'` };
    case 'additionalProperties': {
      const extra = String(params['additionalProperty']);
      return { code: Codes.UNKNOWN_FIELD, message: `unknown field '${extra}'${expected(e)}`, key: extra };
    }
    case 'minProperties':
    case 'maxProperties':
      return { code: Codes.SCHEMA, message: `must have exactly one of${expected(e).replace(/^ \(expected one of:|\)$/g, '')}` };
    case 'enum':
      if (last === 'type' && typeof path[path.length - 2] === 'string') {
        const owner = path.length >= 2 ? path[path.length - 2] : undefined;
        if (owner === 'step' || owner === 'spec') {
          return { code: Codes.UNKNOWN_STEP_TYPE, message: `unknown step type '${String(e.data)}'` };
        }
      }
      return { code: Codes.SCHEMA, message: `'${String(e.data)}' is not one of ${(params['allowedValues'] as unknown[]).join(', ')}` };
    case 'pattern':
      if (last === 'identifier' || last === 'templateRef') {
        return {
          code: Codes.INVALID_IDENTIFIER,
          message: `'${String(e.data)}' is not a valid ${last === 'identifier' ? 'identifier' : 'template reference'} (letters, digits and _, not starting with a digit, at most 128)`,
        };
      }
      if (last === 'shell')
        return { code: Codes.SCHEMA, message: `unknown shell '${String(e.data)}' (Sh, Bash, Python, Pwsh, PowerShell)` };
      if (last === 'stageStatus' || last === 'pipelineStatus')
        return { code: Codes.SCHEMA, message: `'${String(e.data)}' is not one of Success, Failure, All` };
      if (last === 'timeout' || last === 'interval') {
        return { code: Codes.INVALID_DURATION, message: `'${String(e.data)}' is not a duration (like 45s, 10m, 1h30m)` };
      }
      return { code: Codes.SCHEMA, message: `'${String(e.data)}' does not match ${String(params['pattern'])}` };
    case 'type':
      return { code: Codes.SCHEMA, message: `must be ${String(params['type']).replace(/,/g, ' or ')}` };
    case 'const':
      return { code: Codes.SCHEMA, message: `must be ${JSON.stringify(params['allowedValue'])}` };
    default:
      return { code: Codes.SCHEMA, message: e.message ?? e.keyword };
  }
}

function expected(e: ErrorObject): string {
  const props = (e.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return props ? ` (expected one of: ${Object.keys(props).join(', ')})` : '';
}
