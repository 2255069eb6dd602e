import { describe, expect, it } from 'vitest';
import { hourDir, lakeFileName, parseLakeFileName } from './lake-files';

describe('lake files', () => {
  it('names a file by topic, partition and offset range, and reads the name back', () => {
    const name = lakeFileName('courier.locations', 3, { first: 120, last: 4711 });
    expect(name).toBe('courier.locations-3-00000000000000000120-00000000000000004711.parquet');
    expect(parseLakeFileName('courier.locations', name)).toEqual({ partition: 3, first: 120, last: 4711 });
  });

  it('takes no name of another topic, a temporary file or anything else', () => {
    const name = lakeFileName('courier.locations', 3, { first: 1, last: 2 });
    expect(parseLakeFileName('order.events', name)).toBeUndefined();
    expect(parseLakeFileName('courier', name)).toBeUndefined(); // a prefix of the topic's name
    expect(parseLakeFileName('courier.locations', `.${name}.123.tmp`)).toBeUndefined();
    expect(parseLakeFileName('courier.locations', 'courier.locations-3-1-2.parquet')).toBeUndefined();
  });

  it('files a record under the UTC date and hour it reached Kafka', () => {
    expect(hourDir('/lake', 't', Date.UTC(2026, 11, 3, 23, 59, 59, 999))).toBe('/lake/topic=t/date=2026-12-03/hour=23');
    expect(hourDir('/lake', 't', Date.UTC(2026, 11, 4))).toBe('/lake/topic=t/date=2026-12-04/hour=00');
  });
});
