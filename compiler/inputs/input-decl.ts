/** The declaration of a typed template input (`inputs:` of a template), as both the checks and the instantiation read it. */

export type InputType = 'string' | 'number' | 'boolean' | 'array' | 'object' | 'steps' | 'stages';

/** One declared input. An input without `default` is required. */
export interface InputDecl {
  type: InputType;
  default?: unknown;
  allowedValues?: unknown[];
  regex?: string;
  description?: string;
  required?: boolean;
}
