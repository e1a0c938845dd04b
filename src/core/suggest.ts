import { compareText } from './compare-text.ts';

/** Nearest candidates by edit distance, for "did you mean" hints. */
export function nearest(name: string, candidates: string[], max = 3): string[] {
  const limit = Math.max(2, Math.floor(name.length / 3));
  return candidates
    .map((candidate) => ({ candidate, distance: distance(name.toLowerCase(), candidate.toLowerCase()) }))
    .filter(({ candidate, distance: d }) => d <= limit || candidate.toLowerCase().includes(name.toLowerCase()))
    .sort((a, b) => a.distance - b.distance || compareText(a.candidate, b.candidate))
    .slice(0, max)
    .map(({ candidate }) => candidate);
}

export function didYouMean(name: string, candidates: string[]): string {
  const near = nearest(name, candidates);
  return near.length === 0 ? '' : ` — did you mean ${near.join(', ')}?`;
}

function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
