import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundledProfilesDir, ProfileLoadError, readConformanceResources } from '../../src/validation/profile-files';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'profile-files-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const write = (name: string, content: unknown) => {
  fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
  fs.writeFileSync(path.join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
};

describe('profile folders', () => {
  it('reads StructureDefinitions, ValueSets and CodeSystems, alone or in Bundles, in sub-folders', () => {
    write('a/vs.json', { resourceType: 'ValueSet', url: 'http://x/vs' });
    write('b/bundle.json', {
      resourceType: 'Bundle',
      entry: [{ resource: { resourceType: 'CodeSystem', url: 'http://x/cs' } }, { resource: { resourceType: 'Patient' } }],
    });
    write('package.json', { name: 'x' });
    write('examples/Patient-1.json', { resourceType: 'StructureDefinition', url: 'http://x/not-read' });
    expect(
      readConformanceResources([dir])
        .map((r) => r.url)
        .sort(),
    ).toEqual(['http://x/cs', 'http://x/vs']);
  });

  it('stops start-up on a folder that does not exist or a file that is not JSON', () => {
    expect(() => readConformanceResources([path.join(dir, 'nope')])).toThrow(ProfileLoadError);
    write('broken.json', '{');
    expect(() => readConformanceResources([dir])).toThrow(/broken\.json is not valid JSON/);
  });

  it('rejects a definition without a url', () => {
    write('sd.json', { resourceType: 'StructureDefinition' });
    expect(() => readConformanceResources([dir])).toThrow(/has no url/);
  });

  it('finds the bundled profiles/ folder with US Core in it', () => {
    const urls = readConformanceResources([bundledProfilesDir()]).map((r) => r.url);
    expect(urls).toContain('http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient');
    expect(urls).toContain('http://hl7.org/fhir/us/core/ValueSet/omb-race-category');
  });
});
