import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InputError, loadRank, resolveInputs } from '../../src/loader/inputs';
import { tempDir, writeJson } from './fixtures';

describe('loader inputs', () => {
  it('loads Synthea hospital and practitioner bundles before patient bundles, and searches folders recursively', async () => {
    const dir = await tempDir();
    await fs.mkdir(path.join(dir, 'nested'));
    await writeJson(dir, 'Aaron_Smith.json', {});
    await writeJson(dir, 'practitionerInformation1.json', {});
    await writeJson(dir, 'hospitalInformation1.json', {});
    await writeJson(path.join(dir, 'nested'), 'Zed_Jones.json', {});
    await fs.writeFile(path.join(dir, 'notes.txt'), 'ignored');
    const files = (await resolveInputs([dir])).map((f) => path.relative(dir, f.path));
    expect(files).toEqual(['hospitalInformation1.json', 'practitionerInformation1.json', 'Aaron_Smith.json', path.join('nested', 'Zed_Jones.json')]);
  });

  it('loads NDJSON files of referenced types (Organization, Practitioner, Patient, Encounter, Condition) before the files that refer to them', () => {
    const order = [
      'MedicationRequest.000.ndjson',
      'Condition.000.ndjson',
      'Encounter.000.ndjson',
      'Patient.000.ndjson',
      'Organization.000.ndjson',
      'Practitioner.ndjson',
      'AllergyIntolerance.000.ndjson',
    ].sort((a, b) => loadRank(a) - loadRank(b) || a.localeCompare(b));
    expect(order).toEqual([
      'Organization.000.ndjson',
      'Practitioner.ndjson',
      'Patient.000.ndjson',
      'Encounter.000.ndjson',
      'Condition.000.ndjson',
      'AllergyIntolerance.000.ndjson',
      'MedicationRequest.000.ndjson',
    ]);
    expect(loadRank('Condition.000.ndjson')).toBeLessThan(loadRank('AllergyIntolerance.000.ndjson'));
  });

  it('classifies .json as bundles and .ndjson as line files, with size for progress and resume', async () => {
    const dir = await tempDir();
    await writeJson(dir, 'b.json', { resourceType: 'Bundle' });
    await fs.writeFile(path.join(dir, 'Patient.ndjson'), '{}\n');
    const files = await resolveInputs([path.join(dir, 'b.json'), path.join(dir, 'Patient.ndjson'), dir]);
    expect(files.map((f) => [path.basename(f.path), f.kind, f.size])).toEqual([
      ['Patient.ndjson', 'ndjson', 3],
      ['b.json', 'bundle', 25],
    ]);
  });

  it('rejects a missing path, a file of another kind, and an empty argument list', async () => {
    const dir = await tempDir();
    await fs.writeFile(path.join(dir, 'data.csv'), 'a,b');
    await expect(resolveInputs([path.join(dir, 'absent.json')])).rejects.toThrow(/no such file or folder/);
    await expect(resolveInputs([path.join(dir, 'data.csv')])).rejects.toThrow(InputError);
    await expect(resolveInputs([])).rejects.toThrow(/at least one/);
  });
});
