/**
 * Provenance of instantiated template bodies: which templates (outermost first) produced a
 * body, and where its outermost reference is written. Set by expansion, read by flattening.
 */
import type { Origin, TemplateLink } from '../../schemas/index.js';
import type { Location } from '../diagnostics.js';

/** Provenance of an instantiated body. */
export interface Annotation {
  /** Template chain, outermost first. The last link's line is the body's line in its file. */
  links: TemplateLink[];
  /** Where the outermost reference is written in the pipeline file. */
  site: Location;
}

const ANNOTATION = Symbol('annotation');

/**
 * Annotations by body object, looked up while flattening; kept as hidden properties of the
 * bodies (as `Positions` keeps positions, and for the same reason: weak tables are costly to
 * the garbage collector at fleet scale).
 */
export const annotations = {
  get(obj: unknown): Annotation | undefined {
    return obj !== null && typeof obj === 'object' ? (obj as Record<symbol, Annotation | undefined>)[ANNOTATION] : undefined;
  },
  set(obj: object, a: Annotation): void {
    Object.defineProperty(obj, ANNOTATION, { value: a, writable: true, configurable: true });
  },
};

/** Marks content written in the pipeline itself (no template chain). */
export const ROOT: Annotation = { links: [], site: { file: '', line: 0, column: 0 } };

/** True for the marker of content written directly in the pipeline. */
export function isRootAnnotation(a: Annotation | undefined): boolean {
  return a === ROOT;
}

/** Provenance of a node at `own`: the outermost reference site and the template chain (the last link's line is the node's own). */
export function originOf(own: Location, ann: Annotation | undefined): Origin {
  if (!ann || isRootAnnotation(ann) || ann.links.length === 0) return { file: own.file, line: own.line, column: own.column, templates: [] };
  const links = ann.links.map((l) => ({ ...l }));
  const last = links[links.length - 1]!;
  if (own.file === last.file) last.line = own.line;
  return { file: ann.site.file, line: ann.site.line, column: ann.site.column, templates: links };
}
