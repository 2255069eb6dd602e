import { describe, expect, it } from 'vitest';
import { AppError } from '../http/errors';
import { parseEvents } from '../ingest/parse-events';
import { MAX_EVENT_DEPTH, tooDeepAt, validateEvent } from './validate';

/** `{ a: { a: … { a: 1 } } }` with `levels` objects. */
function nested(levels: number, key = 'a'): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = { [key]: value };
  return value;
}

const activity = (extra: unknown) => ({ type: 'user.activity', uid: 'u1', ts: 1_700_000_000, extra });

describe('event nesting depth', () => {
  it(`accepts an event nested ${MAX_EVENT_DEPTH} levels, counting the event itself`, () => {
    expect(validateEvent(activity(nested(MAX_EVENT_DEPTH - 1))).ok).toBe(true);
  });

  it('refuses one level more, naming the field and the limit', () => {
    const result = validateEvent(activity(nested(MAX_EVENT_DEPTH)));
    expect(result.ok).toBe(false);
    const [first] = result.ok ? [] : result.issues;
    expect(first).toMatchObject({ rule: 'maxDepth', field: `/extra${'/a'.repeat(MAX_EVENT_DEPTH - 1)}` });
    expect(first!.message).toContain(`more than ${MAX_EVENT_DEPTH} levels`);
  });

  it('walks 5,000 and 500,000 levels without overflowing the stack', () => {
    expect(tooDeepAt(nested(5000))).toBe('/a'.repeat(MAX_EVENT_DEPTH));
    let deep: unknown = [];
    for (let i = 0; i < 500_000; i++) deep = [deep];
    expect(tooDeepAt(deep)).toBe('/0'.repeat(MAX_EVENT_DEPTH));
  });

  it('escapes keys in the pointer and keeps it short', () => {
    expect(tooDeepAt({ 'a/b': { '~': 1 } }, 1)).toBe('/a~1b');
    const result = validateEvent(activity(nested(5000, 'k'.repeat(50))));
    expect(result.ok ? '' : result.issues[0]!.field.length).toBeLessThanOrEqual(201);
  });

  it('makes the ingest body a 400 naming the event, before anything is published', () => {
    const body = [activity(1), activity(nested(5000))];
    let error: unknown;
    try {
      parseEvents(body, 500);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ status: 400, issues: [{ index: 1, rule: 'maxDepth' }] });
    expect((error as Error).message).toMatch(/^event 1: \/extra\/a\/a.* is nested more than 32 levels deep/);
  });
});
