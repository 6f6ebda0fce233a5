/**
 * The reader's limits: how large a file, how deep a nesting and how many alias-expanded
 * nodes a document may have before it is refused with a located error (never a crash or
 * an exhausted heap). How much a document may expand in bytes is `documentBudget`.
 */
export { documentBudget } from '../size-budget.js';

/** Largest file the compiler reads, in bytes. */
export const DEFAULT_MAX_FILE_BYTES = 5 * 1024 * 1024;
/** Nodes that alias expansion may produce in one document before it is called a bomb. */
export const MAX_ALIAS_NODES = 10_000;
/** Deepest nesting of mappings and sequences either reader accepts (PW1007 beyond). */
export const MAX_NESTING = 100;
