// isoTime writes what Date#toISOString writes, for every kind of instant.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isoTime, newId, now } from '../src/ids.ts';

test('isoTime agrees with toISOString: edges, leap days, every field width, and out-of-range years', () => {
  const instants = [
    0, 1, 999, 1000, 59_999, 86_399_999, Date.UTC(2000, 1, 29, 23, 59, 59, 999), Date.UTC(2024, 11, 31, 9, 5, 7, 42),
    Date.UTC(1000, 0, 1), Date.UTC(999, 11, 31, 23, 59, 59, 999), Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.UTC(10000, 0, 1),
    -1, -86_400_000, Date.UTC(1969, 11, 31, 23, 59, 59, 0), 8.64e15, -8.64e15,
  ];
  let seed = 42;
  for (let i = 0; i < 20_000; i++) {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    instants.push(Math.floor((seed / 2 ** 31) * 2e13) - 1e12);
  }
  for (const ms of instants) assert.equal(isoTime(ms), new Date(ms).toISOString(), `at ${ms}`);
  // The same instant twice (the cached answer) and then another.
  assert.equal(isoTime(5), new Date(5).toISOString());
  assert.equal(isoTime(5), new Date(5).toISOString());
  assert.equal(isoTime(6), new Date(6).toISOString());
});

test('now() is the current time in ISO form', () => {
  const before = Date.now();
  const value = Date.parse(now());
  assert.ok(value >= before && value <= Date.now());
});

test('newId: the prefix, then lower-case letters and digits of the asked length', () => {
  for (let i = 0; i < 200; i++) assert.match(newId('p-', 20), /^p-[a-z0-9]{20}$/);
});
