import { generatePopulation } from '../../bench/lib/patient-population';
import { candidatesFrom } from '../../src/matching/blocks';
import { type Grade, Matcher, shippedMatchConfig } from '../../src/matching';

/**
 * The matcher's quality on a generated population with known truth (bench/lib/patient-population.ts, seed fixed):
 * 4,000 people in households, 400 of them registered again with one or two corruptions (typos, nicknames, swapped
 * day and month, a move, fields left out), 200 look-alikes (namesakes born the same day, juniors at their parent's
 * address, twins). Every pair the blocking keys bring together is compared, as $find-duplicates does; a pair is
 * true when both records are the same person. Precision per grade, recall at each grade and above.
 */
const GRADES: Grade[] = ['certain', 'probable', 'possible', 'certainly-not'];

describe('matching quality on generated duplicates and look-alikes', () => {
  const population = generatePopulation({ people: 4000, seed: 19, duplicateRate: 0.1, lookAlikeRate: 0.05 });
  const matcher = new Matcher(shippedMatchConfig());
  const features = new Map(population.patients.map((p) => [p.id as string, matcher.features(p)]));
  const keysOf = new Map([...features].map(([id, f]) => [id, matcher.keys(f)]));
  const blocks = new Map<string, string[]>();
  for (const [id, keys] of keysOf) for (const k of keys) blocks.set(k, [...(blocks.get(k) ?? []), id]);

  const graded = new Map<Grade, { true: number; false: number }>(GRADES.map((g) => [g, { true: 0, false: 0 }]));
  const lookAlikeGrades = new Map<string, Grade>();
  for (const [id, keys] of keysOf) {
    for (const other of candidatesFrom(keys, (k) => blocks.get(k), { after: id, maxBlockSize: matcher.config.maxBlockSize })) {
      const c = matcher.compare(features.get(id)!, features.get(other)!);
      const same = population.personOf.get(id) === population.personOf.get(other);
      graded.get(c.grade)![same ? 'true' : 'false']++;
      lookAlikeGrades.set([id, other].sort().join(' '), c.grade);
    }
  }
  // Every pair of records of one person is a true match, found or not.
  const records = new Map<string, number>();
  for (const person of population.personOf.values()) records.set(person, (records.get(person) ?? 0) + 1);
  const truePairs = [...records.values()].reduce((n, k) => n + (k * (k - 1)) / 2, 0);

  const atOrAbove = (grade: Grade) => GRADES.slice(0, GRADES.indexOf(grade) + 1).map((g) => graded.get(g)!);
  const precision = (rows: Array<{ true: number; false: number }>) => {
    const t = rows.reduce((n, r) => n + r.true, 0);
    const all = rows.reduce((n, r) => n + r.true + r.false, 0);
    return all ? t / all : 1;
  };
  const recall = (grade: Grade) => atOrAbove(grade).reduce((n, r) => n + r.true, 0) / truePairs;

  it('reports precision and recall per grade', () => {
    const lines = GRADES.map((g) => {
      const r = graded.get(g)!;
      return `${g.padEnd(13)} pairs ${String(r.true + r.false).padStart(6)}  true ${String(r.true).padStart(4)}  precision ${precision([r]).toFixed(3)}  recall at or above ${recall(g).toFixed(3)}`;
    });
    process.stdout.write(`matching quality (${population.patients.length} records, ${truePairs} true pairs)\n${lines.join('\n')}\n`);
    expect(truePairs).toBeGreaterThan(350);
  });

  it('never grades two different people certain', () => {
    expect(graded.get('certain')!.false).toBe(0);
  });

  it('is at least 95% precise at probable and above', () => {
    expect(precision(atOrAbove('probable'))).toBeGreaterThanOrEqual(0.95);
  });

  it('finds most duplicates: recall at probable and above of at least 85%, at possible and above of at least 95%', () => {
    expect(recall('probable')).toBeGreaterThanOrEqual(0.85);
    expect(recall('possible')).toBeGreaterThanOrEqual(0.95);
  });

  it('grades no look-alike certain or probable', () => {
    const grades = population.lookAlikes.map((l) => lookAlikeGrades.get([l.a, l.b].sort().join(' ')) ?? 'certainly-not');
    expect(grades.filter((g) => g === 'certain' || g === 'probable')).toEqual([]);
  });
});
