/**
 * Calendar dates as the registry accepts them (a deprecation's sunset): exactly `YYYY-MM-DD`,
 * a day that exists in the proleptic Gregorian calendar (so `2028-02-29` but not
 * `2027-02-29`), nothing before or after. Shared by the API and the CLI.
 */

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Whether `text` is exactly a real calendar date `YYYY-MM-DD`. */
export function isCalendarDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1) return false;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return d <= (mo === 2 && leap ? 29 : DAYS[mo - 1]!);
}
