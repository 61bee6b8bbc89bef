import { durationMs, startInstant } from '../../src/completeness/time';

describe('when a deficiency begins', () => {
  it('takes an instant as written, whatever its offset', () => {
    expect(startInstant('2025-03-01T23:30:00-05:00', 'UTC')?.toISOString()).toBe('2025-03-02T04:30:00.000Z');
    expect(startInstant('2025-03-02T13:30:00+09:00', 'America/New_York')?.toISOString()).toBe('2025-03-02T04:30:00.000Z');
  });

  it("reads a date-only value as the whole day in the site's time zone, beginning when that day ends", () => {
    expect(startInstant('2025-03-01', 'UTC')?.toISOString()).toBe('2025-03-02T00:00:00.000Z');
    expect(startInstant('2025-03-01', 'America/New_York')?.toISOString()).toBe('2025-03-02T05:00:00.000Z');
    expect(startInstant('2025-07-01', 'America/New_York')?.toISOString()).toBe('2025-07-02T04:00:00.000Z');
    expect(startInstant('2025-03-01', 'Asia/Tokyo')?.toISOString()).toBe('2025-03-01T15:00:00.000Z');
  });

  it('ends a day on which daylight saving time begins at the next midnight, local time', () => {
    // 2025-03-09 is 23 hours long in New York: its end is 04:00 UTC on the 10th (EDT), not 05:00.
    expect(startInstant('2025-03-09', 'America/New_York')?.toISOString()).toBe('2025-03-10T04:00:00.000Z');
  });

  it('reads a month or a year as the whole period', () => {
    expect(startInstant('2025-02', 'UTC')?.toISOString()).toBe('2025-03-01T00:00:00.000Z');
    expect(startInstant('2024', 'UTC')?.toISOString()).toBe('2025-01-01T00:00:00.000Z');
  });

  it('gives nothing for text that is not a date', () => {
    expect(startInstant('yesterday', 'UTC')).toBeUndefined();
    expect(startInstant('2025-02-30', 'UTC')).toBeUndefined();
  });
});

describe('deadlines', () => {
  it('are ISO 8601 durations of days, hours and minutes', () => {
    expect(durationMs('P14D')).toBe(14 * 86_400_000);
    expect(durationMs('PT24H')).toBe(86_400_000);
    expect(durationMs('P1DT12H30M')).toBe((36 * 60 + 30) * 60_000);
  });

  it('refuse anything else', () => {
    for (const bad of ['P', 'PT', '14D', 'P1W', 'P1Y']) expect(() => durationMs(bad)).toThrow(/not a duration/);
  });
});
