// The form parser reads every body as URLSearchParams does (checked against it
// on tricky and random bodies), but refuses a repeated name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DuplicateParameterError, parseForm } from '../src/http/form-body.ts';

const viaUrlSearchParams = (body: string) => Object.fromEntries(new URLSearchParams(body));

test('the same parameters as URLSearchParams, for tricky and random bodies', () => {
  const bodies = [
    '', '&', '&&a=1&&', 'a', 'a=', '=b', '=', 'a=b=c', 'a+b=c+d', 'a%20b=c%2Bd', 'x=%', 'x=%2', 'x=%zz', 'x=%E2%82%AC', 'x=%E2%82',
    'x=%C3%28', 'x=caf%C3%A9&y=%F0%9F%98%80', 'grant_type=client_credentials&client_id=abc&client_secret=s3cr%2Ft%3D', 'k%3Dx=v%26y',
    'redirect_uri=https%3A%2F%2Fa.example%2Fcb%3Fq%3D1%26r%3D2', '%=%', '+=+', 'a=%00', 'é=ü',
    // Lone and paired surrogates, a BOM, overlong and truncated UTF-8, '+' inside escapes, '%2B' and '%25'.
    'x=%ED%A0%80', 'x=%F0%9F%98%80%ED%B0%80', 'x=%EF%BB%BFa', 'x=%C0%AF', 'x=%F0%9F%98', 'x=%2B+%25+%', 'x=a%2', '%41%42=%43',
    `x=${'a'.repeat(900)}&y=${'%2F'.repeat(300)}`,
  ];
  const alphabet = ['a', 'b', '=', '&', '%', '+', '2', '0', 'F', 'E', 'C', '3', '€', ' ', '%C3', '%A9', '%E2%82%AC', '%ED', '%F0%9F', '%8', '\uD83D', '\uDE00'];
  let seed = 7;
  for (let i = 0; i < 20_000; i++) {
    let body = '';
    const length = i % 40;
    for (let j = 0; j < length; j++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      body += alphabet[seed % alphabet.length];
    }
    bodies.push(body);
  }
  for (const body of bodies) {
    const names = [...new URLSearchParams(body).keys()];
    if (new Set(names).size !== names.length) {
      assert.throws(() => parseForm(body), DuplicateParameterError, body);
      continue;
    }
    assert.deepEqual({ ...parseForm(body) }, viaUrlSearchParams(body), JSON.stringify(body));
  }
});

test('a repeated name is refused, also when spelt differently', () => {
  assert.throws(() => parseForm('scope=a&scope=b'), (error: unknown) => error instanceof DuplicateParameterError && error.parameter === 'scope');
  assert.throws(() => parseForm('client_id=a&client%5Fid=b'), DuplicateParameterError);
  assert.throws(() => parseForm('a=1&a'), DuplicateParameterError);
});

test('names like __proto__ are plain parameters', () => {
  const params = parseForm('__proto__=x&constructor=y');
  assert.equal(params.__proto__, 'x');
  assert.equal(params.constructor, 'y');
  assert.equal(Object.getPrototypeOf(params), null);
});
