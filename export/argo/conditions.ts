/**
 * A step's `when.condition` as an Argo task `when`. Argo evaluates `when` (govaluate) after
 * putting parameter values in, so a condition on other steps' outputs maps when it is made of
 * `==` and `!=` comparisons between outputs and text, joined by `&&`, `||`, `!` and
 * parentheses: `<+steps.a.output.outputVariables.ok> == "yes"` becomes
 * `'{{tasks.a.outputs.parameters.ok}}' == 'yes'`. Everything else — methods, regex and
 * ordering operators, numbers (the condition language compares them as numbers, Argo's text
 * would not), run facts — is refused, not approximated.
 */
import { refPattern } from './ref-pattern.js';
import {
  ConditionError,
  evaluateCondition,
  replaceInExpression,
  tokenize,
  unwrapped,
  type PlanRef,
  type Tok,
} from '../../schemas/index.js';

/** The Argo `when` text, or why the condition cannot be one. */
export function argoWhen(
  condition: string,
  refs: readonly PlanRef[],
  valueOf: (ref: PlanRef) => string | undefined,
): { when?: string } | { problem: string } {
  // A condition without references is known now: true needs no `when`, false never runs.
  if (!condition.includes('<+')) {
    try {
      return evaluateCondition(condition) ? {} : { when: 'false' };
    } catch (e) {
      if (e instanceof ConditionError) return { problem: e.message };
      throw e;
    }
  }
  const values: string[] = [];
  let quoted = false;
  let text = unwrapped(condition);
  const found = refPattern(text, refs);
  if (found)
    text = replaceInExpression(text, found.re, (m, quote) => {
      if (quote) quoted = true;
      const v = valueOf(found.byExpr.get(m)!);
      if (v === undefined) return m;
      values.push(v);
      return `"\ue000${values.length - 1}\ue000"`;
    });
  if (quoted) return { problem: 'a reference inside a quoted text cannot be mapped' };
  let toks: Tok[];
  try {
    toks = tokenize(text);
  } catch (e) {
    return { problem: e instanceof ConditionError ? e.message : String(e) };
  }
  try {
    const p = new Reader(toks, values);
    const out = p.expr();
    if (!p.done) throw new ConditionError(`unexpected ${show(toks[p.at])}`);
    return { when: out };
  } catch (e) {
    if (e instanceof ConditionError) return { problem: e.message };
    throw e;
  }
}

const show = (t: Tok | undefined) => (t === undefined ? 'end' : t.t === 'lit' ? JSON.stringify(t.v) : t.v);

/** expr := term (('&&' | '||') term)*; term := '!' term | '(' expr ')' | operand ('==' | '!=') operand */
class Reader {
  at = 0;

  constructor(
    private readonly toks: Tok[],
    private readonly values: string[],
  ) {}

  get done(): boolean {
    return this.at >= this.toks.length;
  }

  expr(): string {
    let out = this.term();
    for (let t = this.toks[this.at]; t?.t === 'op' && (t.v === '&&' || t.v === '||'); t = this.toks[this.at]) {
      this.at++;
      out = `${out} ${t.v} ${this.term()}`;
    }
    return out;
  }

  private term(): string {
    const t = this.toks[this.at];
    if (t?.t === 'op' && t.v === '!') {
      this.at++;
      return `!${this.term()}`;
    }
    if (t?.t === 'op' && t.v === '(') {
      this.at++;
      const inner = this.expr();
      const close = this.toks[this.at++];
      if (close?.t !== 'op' || close.v !== ')') throw new ConditionError(`expected ) but found ${show(close)}`);
      return `(${inner})`;
    }
    const left = this.operand();
    const op = this.toks[this.at++];
    if (op?.t !== 'op' || (op.v !== '==' && op.v !== '!='))
      throw new ConditionError(`only == and != comparisons map to Argo, not ${show(op)}`);
    return `${left} ${op.v} ${this.operand()}`;
  }

  private operand(): string {
    const t = this.toks[this.at++];
    if (t?.t !== 'lit') throw new ConditionError(`expected a value but found ${show(t)}`);
    if (typeof t.v === 'boolean') return `'${t.v}'`;
    if (typeof t.v !== 'string') throw new ConditionError(`${show(t)}: numbers and null compare differently in Argo`);
    const marker = /^\ue000(\d+)\ue000$/.exec(t.v);
    if (marker) return `'${this.values[Number(marker[1])]}'`;
    if (/['\\\ue000]/.test(t.v)) throw new ConditionError(`${show(t)}: a quote or backslash in a text cannot be mapped`);
    return `'${t.v}'`;
  }
}
