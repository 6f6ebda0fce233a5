/**
 * Choosing a template version for a selector. Shared by the directory source, the lockfile
 * and the registry, so every source answers a selector the same way.
 *
 * Selector forms, tried in this order:
 *  1. omitted / empty / `stable`: the `stable` label when the source has one, else the highest
 *     non-prerelease semver version, else the only version when there is exactly one;
 *  2. an exact version string (`1.2.0`, `v1`, `V1`, `"1.0"`);
 *  3. a label name the source knows (`canary`);
 *  4. a semver range (`^1.2`, `~1.2.3`, `1.x`, `>=1.2 <2`), highest satisfying
 *     non-prerelease version (prereleases only when the range names one).
 * Yanked versions are never chosen by 1, 3 or 4, only by an exact version.
 */
import { textOf } from '../text.js';
import semver from 'semver';

export interface VersionInfo {
  version: string;
  yanked?: boolean;
}

export type SelectResult = { ok: true; version: string; via: 'stable' | 'exact' | 'label' | 'range' } | { ok: false; reason: string };

/** Normalizes the YAML value of `versionLabel`. */
export function selectorText(sel: unknown): string {
  if (sel === undefined || sel === null) return '';
  return textOf(sel).trim();
}

/** Picks the version for `selector` among `versions` (any order) and `labels`. */
export function selectVersion(selector: string, versions: VersionInfo[], labels: Record<string, string> = {}): SelectResult {
  const live = versions.filter((v) => !v.yanked);
  if (selector === '' || selector === 'stable') {
    const pinned = labels['stable'];
    if (pinned && live.some((v) => v.version === pinned)) return { ok: true, version: pinned, via: 'stable' };
    const best = highestStable(live.map((v) => v.version));
    if (best) return { ok: true, version: best, via: 'stable' };
    if (live.length === 1) return { ok: true, version: live[0]!.version, via: 'stable' };
    return {
      ok: false,
      reason: live.length === 0 ? 'no version is available' : 'no stable version: name a version (versions are not semver)',
    };
  }
  if (versions.some((v) => v.version === selector)) return { ok: true, version: selector, via: 'exact' };
  const labelled = labels[selector];
  if (labelled !== undefined && live.some((v) => v.version === labelled)) return { ok: true, version: labelled, via: 'label' };
  const range = semver.validRange(selector);
  if (range) {
    const candidates = live.map((v) => v.version).filter((v) => semver.valid(v));
    const best = semver.maxSatisfying(candidates, range);
    if (best) return { ok: true, version: best, via: 'range' };
    return { ok: false, reason: `no version satisfies ${selector}` };
  }
  return { ok: false, reason: `no version or label ${selector}` };
}

/**
 * Whether a version recorded for `selector` (in a lockfile) is one the selector can pick:
 * an exact version only itself, a range only versions it satisfies. `stable` and label names
 * move, so any version may be theirs.
 */
export function selectorAccepts(selector: string, version: string): boolean {
  if (selector === '' || selector === 'stable' || selector === version) return true;
  if (semver.valid(selector)) return false;
  const range = semver.validRange(selector);
  if (range && semver.valid(version)) return semver.satisfies(version, range, { includePrerelease: true });
  return true;
}

/** Highest semver version without a prerelease tag, or undefined. */
export function highestStable(versions: string[]): string | undefined {
  let best: string | undefined;
  for (const v of versions) {
    if (!semver.valid(v) || semver.prerelease(v)) continue;
    if (!best || semver.gt(v, best)) best = v;
  }
  return best;
}

/** Versions sorted newest first: semver ones by precedence, then the others by name. */
export function sortVersions(versions: string[]): string[] {
  const sem = versions.filter((v) => semver.valid(v)).sort((a, b) => semver.rcompare(a, b));
  const other = versions.filter((v) => !semver.valid(v)).sort();
  return [...sem, ...other];
}
