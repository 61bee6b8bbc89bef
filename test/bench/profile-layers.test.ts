import type { CpuProfile } from '../../bench/lib/cpu-profile';
import { cpuMsByLayer, layerOf, splitByLayer } from '../../bench/lib/profile-layers';

const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0 });
const project = (file: string) => `file:///srv/fhirstone/dist/${file}`;
const pkg = (name: string) => `file:///srv/fhirstone/node_modules/${name}/lib/index.js`;

describe('bench: CPU time of a request split by layer', () => {
  it('gives a sample to the layer of its innermost package or project frame', () => {
    // Innermost first: a socket write the driver asked for, on behalf of the repository.
    expect(layerOf([frame('writeBuffer'), frame('write', pkg('mongodb')), frame('read', project('src/store/repository.js'))])).toBe('driver + bson');
    expect(layerOf([frame('matchPath', project('src/router/route.js')), frame('answer', project('src/http/app.js'))])).toBe('router and interactions (src/router)');
  });

  it('gives the audit trail everything it calls, wherever it is on the stack', () => {
    const stack = [frame('serializeInto', pkg('bson')), frame('insertMany', pkg('mongodb')), frame('flush', project('src/audit/audit-trail.js'))];
    expect(layerOf(stack)).toMatch(/^audit/);
  });

  it('names Node itself, the garbage collector and unlisted packages', () => {
    expect(layerOf([frame('writev'), frame('onStreamRead', 'node:internal/stream_base_commons')])).toBe('Node (event loop, sockets, timers)');
    expect(layerOf([frame('(garbage collector)')])).toBe('garbage collector');
    expect(layerOf([frame('parse', pkg('left-pad'))])).toBe('other: node_modules/left-pad');
  });

  it('sums busy time per layer inside the window, idle left out', () => {
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(root)'), children: [2, 3, 5] },
        { id: 2, callFrame: frame('(idle)') },
        { id: 3, callFrame: frame('answer', project('src/http/app.js')), children: [4] },
        { id: 4, callFrame: frame('findOne', pkg('mongodb')) },
        { id: 5, callFrame: frame('(garbage collector)') },
      ],
      startTime: 1_000,
      endTime: 2_000,
      // Samples at 1100, 1200, 1300, 1400, 1500 µs, each standing for the time until the next.
      samples: [3, 4, 2, 5, 4],
      timeDeltas: [100, 100, 100, 100, 100],
    };
    expect(Object.fromEntries(splitByLayer(profile))).toEqual({
      'HTTP adapter (src/http: app, format, headers; response write)': 100,
      'driver + bson': 200,
      'garbage collector': 100,
    });
    // The window is in nanoseconds of the same monotonic clock: 1.15 ms to 1.45 ms holds the 2nd to 4th samples.
    expect(Object.fromEntries(splitByLayer(profile, [1_150_000n, 1_450_000n]))).toEqual({ 'driver + bson': 100, 'garbage collector': 100 });
  });

  it('turns the shares of every thread into CPU ms per unit of the measured CPU', () => {
    const threads = [
      {
        thread: 'server',
        layers: new Map([
          ['driver + bson', 600],
          ['audit', 200],
        ]),
      },
      { thread: 'engine thread', layers: new Map([['engine: storage (lmdb)', 200]]) },
    ];
    expect(cpuMsByLayer(threads, 2)).toEqual([
      { layer: 'server: driver + bson', ms: 1.2 },
      { layer: 'server: audit', ms: 0.4 },
      { layer: 'engine thread: engine: storage (lmdb)', ms: 0.4 },
    ]);
    expect(cpuMsByLayer([], 2)).toEqual([]);
  });
});
