// A newer schema version must accept everything the older one accepted.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, type EventType, schemaId } from './registry';
import { validatorFor } from './validate';

// Values around and beyond each field's limits, so that v1 accepts some and rejects others.
const anything = fc.oneof(
  fc.double({ min: -200, max: 200, noNaN: true }),
  fc.integer({ min: 999_999_999_999, max: 10_000_000_000_000 }),
  fc.constantFrom('', 'c-1', 'evt-00000001', 'gps', '1700000000', 'x'.repeat(70)),
  fc.constantFrom(1, 2, 3, 0, 360, null, true),
);
/** Mostly a valid value, sometimes one near or past the limits. */
const mostly = <T>(valid: fc.Arbitrary<T>) => fc.oneof({ arbitrary: valid, weight: 6 }, { arbitrary: anything, weight: 1 });
const pingLike = fc.record(
  {
    type: mostly(fc.constant('courier.location')),
    version: mostly(fc.constant(1)),
    eventId: mostly(fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/)),
    courierId: mostly(fc.stringMatching(/^[A-Za-z0-9_.:-]{1,64}$/)),
    orderId: mostly(fc.constant('o-1')),
    lat: mostly(fc.double({ min: -90, max: 90, noNaN: true })),
    lng: mostly(fc.double({ min: -180, max: 180, noNaN: true })),
    occurredAt: mostly(fc.integer({ min: 1_000_000_000_000, max: 9_999_999_999_999 })),
    accuracyM: mostly(fc.double({ min: 0, max: 100_000, noNaN: true })),
    speedMps: mostly(fc.double({ min: 0, max: 100, noNaN: true })),
    headingDeg: mostly(fc.double({ min: 0, max: 359.9, noNaN: true })),
    extra: anything,
  },
  { requiredKeys: ['type', 'version', 'eventId', 'courierId', 'lat', 'lng', 'occurredAt'] },
);

describe('schema evolution', () => {
  for (const type of Object.keys(EVENT_TYPES) as EventType[]) {
    const versions = Object.keys(EVENT_TYPES[type].versions).map(Number).sort();
    for (let i = 1; i < versions.length; i++) {
      const older = schemaId(type, versions[i - 1]!);
      const newer = schemaId(type, versions[i]!);
      it(`${newer} accepts everything ${older} accepts`, () => {
        let acceptedByOlder = 0;
        fc.assert(
          fc.property(pingLike, (event) => {
            if (!validatorFor(older)(event)) return;
            acceptedByOlder++;
            expect(validatorFor(newer)(event)).toBe(true);
          }),
          { numRuns: 5000 },
        );
        // the property is only meaningful if the generator reaches the accepted region
        expect(acceptedByOlder).toBeGreaterThan(100);
      });
    }
  }

  it('has at least one type with two versions to check', () => {
    expect(Object.values(EVENT_TYPES).some((spec) => Object.keys(spec.versions).length > 1)).toBe(true);
  });
});
