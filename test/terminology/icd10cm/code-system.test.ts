import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildIcd10Cm, fiscalYearPeriod, icd10cmFormatProblem, loadIcd10Cm, type Icd10CmCodeSystem } from '../../../src/terminology/icd10cm';

/** One order-file line: order number, code, flag, short and long descriptions in their columns. */
const line = (n: number, code: string, flag: 0 | 1, short: string, long = short) =>
  `${String(n).padStart(5, '0')} ${code.padEnd(7)} ${flag} ${short.padEnd(60)} ${long}\r\n`;

describe('ICD-10-CM code system (the bundled order files, FY2024-FY2026)', () => {
  let icd: Icd10CmCodeSystem;
  beforeAll(async () => {
    icd = await loadIcd10Cm();
  });

  it('loads every code and header of each fiscal year', () => {
    expect(icd.years).toEqual([2024, 2025, 2026]);
    // The union of the three years' 97,296 / 97,584 / 98,186 lines.
    expect(icd.size).toBeGreaterThan(98_186);
  });

  it('B88.0 is billable in FY2025 and only a header in FY2026, the day the year changes', () => {
    expect(icd.lookup('B88.0', '2025-09-30')).toMatchObject({
      code: 'B88.0',
      display: 'Other acariasis',
      inForce: true,
      billable: true,
      header: false,
      fiscalYear: 2025,
    });
    expect(icd.lookup('B88.0', '2025-10-01')).toMatchObject({ inForce: true, billable: false, header: true, fiscalYear: 2026, outsideLoadedYears: false });
    expect(icd.lookup('B88.01', '2025-10-01')).toMatchObject({ billable: true, display: 'Infestation by Demodex mites' });
  });

  it('E11.A is new in FY2026: known, but not in force, before October 1 2025', () => {
    expect(icd.lookup('E11.A', '2025-09-30')).toMatchObject({ code: 'E11.A', inForce: false, billable: false, header: false, fiscalYear: 2025, years: [2026] });
    expect(icd.lookup('E11.A', '2025-10-01')).toMatchObject({
      inForce: true,
      billable: true,
      display: 'Type 2 diabetes mellitus without complications in remission',
    });
  });

  it('a category is a header, its codes are billable; a three-character category without subdivisions is billable', () => {
    expect(icd.lookup('E11', '2025-01-15')).toMatchObject({ header: true, billable: false });
    expect(icd.lookup('E11.9', '2025-01-15')).toMatchObject({ header: false, billable: true, display: 'Type 2 diabetes mellitus without complications' });
    expect(icd.lookup('I10', '2025-01-15')).toMatchObject({ billable: true });
  });

  it('reads the date of service as written: the facility date, not the UTC one', () => {
    // 23:30 at UTC-4 on September 30 is October 1 in UTC, still FY2025 where the patient was seen.
    expect(icd.lookup('B88.0', '2025-09-30T23:30:00-04:00')).toMatchObject({ fiscalYear: 2025, billable: true });
    expect(icd.lookup('B88.0', '2025-10')).toMatchObject({ fiscalYear: 2026 });
    expect(() => icd.lookup('B88.0', '30/09/2025')).toThrow(RangeError);
  });

  it('answers a date outside the loaded years from the nearest year, saying so', () => {
    expect(icd.lookup('E11.9', '2031-02-01')).toMatchObject({ fiscalYear: 2026, outsideLoadedYears: true, inForce: true });
    expect(icd.lookup('E11.A', '2019-02-01')).toMatchObject({ fiscalYear: 2024, outsideLoadedYears: true, inForce: false });
  });

  it('knows no unknown code, and no code written without its dot', () => {
    expect(icd.lookup('E11.99')).toBeUndefined();
    expect(icd.lookup('E119', '2025-01-15')).toBeUndefined();
  });

  it('fiscal year N runs from October 1 of N-1 to September 30 of N', () => {
    expect(fiscalYearPeriod(2026)).toEqual({ start: '2025-10-01', end: '2026-09-30' });
    expect(icd.fiscalYearOf('2025-09-30')).toBe(2025);
    expect(icd.fiscalYearOf('2025-10-01')).toBe(2026);
  });
});

describe('icd10cmFormatProblem', () => {
  it('accepts the dotted form and three-character categories', () => {
    for (const code of ['E11.9', 'S72.001A', 'I10', 'E11.A', 'U07.1']) expect(icd10cmFormatProblem(code)).toBeUndefined();
  });

  it('tells a code written without its dot how to write it', () => {
    expect(icd10cmFormatProblem('E119')).toBe("ICD-10-CM code 'E119' is written without its dot: write it as E11.9");
    expect(icd10cmFormatProblem('S72001A')).toContain('write it as S72.001A');
  });

  it('refuses lower case and what is not an ICD-10-CM code', () => {
    expect(icd10cmFormatProblem('e11.9')).toContain('upper case: E11.9');
    expect(icd10cmFormatProblem('44054006')).toContain('is not an ICD-10-CM code');
    expect(icd10cmFormatProblem('I10.')).toContain('is not an ICD-10-CM code');
  });
});

describe('order files in a folder', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icd10cm-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('adds a year by dropping in its file (plain or gzipped), its fiscal year read from the name', async () => {
    fs.writeFileSync(
      path.join(dir, 'icd10cm-order-2026.txt.gz'),
      gzipSync(line(1, 'A00', 0, 'Cholera') + line(2, 'A000', 1, 'Cholera due to Vibrio cholerae 01, biovar cholerae')),
    );
    fs.writeFileSync(path.join(dir, 'icd10cm-order-2027.txt'), line(1, 'A00', 0, 'Cholera') + line(2, 'A000', 1, 'Cholera, revised', 'Cholera, revised long'));
    fs.writeFileSync(path.join(dir, 'README.md'), 'not an order file');
    const { codeSystem, stats } = await buildIcd10Cm(dir);
    expect(stats).toMatchObject({ years: [2026, 2027], codes: 2 });
    expect(codeSystem.lookup('A00.0', '2026-10-01')).toMatchObject({ fiscalYear: 2027, display: 'Cholera, revised long', shortDisplay: 'Cholera, revised' });
    // Each year keeps its own title.
    expect(codeSystem.lookup('A00.0', '2026-09-30')).toMatchObject({ fiscalYear: 2026, display: 'Cholera due to Vibrio cholerae 01, biovar cholerae' });
  });

  it('refuses a line that does not have the layout, naming the file and line', async () => {
    const bad = fs.mkdtempSync(path.join(dir, 'bad-'));
    fs.writeFileSync(path.join(bad, 'icd10cm-order-2026.txt'), line(1, 'A00', 0, 'Cholera') + 'A000 Cholera due to Vibrio cholerae\r\n');
    await expect(buildIcd10Cm(bad)).rejects.toThrow(/icd10cm-order-2026.txt line 2 is not an ICD-10-CM order file line/);
  });

  it('refuses a folder without order files', async () => {
    const empty = fs.mkdtempSync(path.join(dir, 'empty-'));
    await expect(buildIcd10Cm(empty)).rejects.toThrow(/holds no ICD-10-CM order file/);
  });
});
