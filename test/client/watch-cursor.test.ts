import { describe, expect, it } from 'vitest';
import { WatchCursor } from '../../src/client/watch-cursor.js';

const at = (...revisions: number[]): { revision: number }[] => revisions.map((revision) => ({ revision }));

describe('watch cursor', () => {
  it('resumes from the last delivered revision + 1', () => {
    const cursor = new WatchCursor(10);
    expect(cursor.resumeRevision()).toBe(10);
    expect(cursor.admit(at(10, 11, 11))).toEqual(at(10, 11, 11));
    expect(cursor.resumeRevision()).toBe(12);
  });

  it('drops what a resumed stream sends again, so nothing is delivered twice', () => {
    const cursor = new WatchCursor(1);
    cursor.admit(at(3, 4));
    expect(cursor.admit(at(4, 5))).toEqual(at(5));
    expect(cursor.admit(at(2))).toEqual([]);
    expect(cursor.resumeRevision()).toBe(6);
  });

  it('refuses a start before revision 1', () => {
    expect(() => new WatchCursor(0)).toThrow(RangeError);
  });
});
