/**
 * The hostile values of test/reliability/hostile.test.ts: strings, JSON texts and values
 * a client could send, as fast-check arbitraries. Sizes are chosen, not drawn (a
 * `fc.string({ maxLength: 1e6 })` would spend the CI budget generating text): huge values
 * are a few fixed lengths of one repeated character.
 */

import fc from 'fast-check';

/** Injection strings: SQL, log4j, DynamoDB expression fragments, template and format strings. */
export const INJECTIONS: readonly string[] = [
  "' OR 1=1 --",
  '" OR ""="',
  "'; DROP TABLE sessions; --",
  '${jndi:ldap://127.0.0.1:1389/a}',
  '${env:AWS_SECRET_ACCESS_KEY}',
  '#status',
  ':v',
  ':now',
  '#status = :active OR attribute_exists(id)',
  'SET #status = :active REMOVE revoked_at',
  'attribute_not_exists(id) OR begins_with(#u, :u)',
  'size(#u) > :zero',
  '{"S":"x"}',
  '{"M":{"__proto__":{"S":"x"}}}',
  '{{7*7}}',
  '<%= 7*7 %>',
  '<script>alert(1)</script>',
  '%s%s%s%n',
  '../../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '%2e%2e%2f%2e%2e%2f',
  '\\u0000',
  'alice\nadmin',
  '$(id)',
  '`id`',
];

/** Names that are properties of every object (and one that is not, but would be after pollution). */
export const PROTOTYPE_NAMES: readonly string[] = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'polluted'];

/** Strings JavaScript holds but UTF-8 cannot (lone surrogates), NUL, control and bidi characters. */
export const AWKWARD_STRINGS: readonly string[] = [
  '\ud800',
  'a\udfffb',
  '\udc00\ud800',
  'x\u0000y',
  '\u0000',
  '\u001b[31mred\u001b[0m',
  '\u202eevil',
  '\u200b',
  '\ufeff',
  '\uffff',
  '\r\n',
  '\u0085',
  'é',
  'e\u0301',
  '👩‍👩‍👧‍👦',
  '𝕒𝕝𝕚𝕔𝕖',
  'аlice', // Cyrillic а
  'ALICE',
  ' alice',
  'alice ',
  '',
];

const repeated = (char: string) => (length: number) => char.repeat(length);

/** A string of 1 KB, 64 KB or 1 MB (rarely) of one character. */
export const hugeString = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(1_000, 4_097, 65_536).map(repeated('A')) },
  { weight: 1, arbitrary: fc.constant(1_000_000).map(repeated('z')) },
);

/** Any string a client could put in a JSON string value. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...INJECTIONS) },
  { weight: 3, arbitrary: fc.constantFrom(...AWKWARD_STRINGS) },
  { weight: 2, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: hugeString },
);

/** Numbers of every awkward kind JSON can carry (1e400 parses to Infinity). */
export const hostileNumberText = fc.constantFrom('-1', '0', '899', '900.5', '43201', '1e308', '1e400', '-1e400', '-0', '9007199254740993', '1e-400', '0.1', '4.2e4');

/** A value nested `depth` times, as JSON text: arrays, objects or both. */
export function nestedText(depth: number, kind: 'array' | 'object' | 'mixed'): string {
  if (kind === 'array') return `${'['.repeat(depth)}1${']'.repeat(depth)}`;
  if (kind === 'object') return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  return `${'{"a":['.repeat(depth)}1${']}'.repeat(depth)}`;
}

export const deepText = fc.record({ depth: fc.constantFrom(50, 1_000, 20_000), kind: fc.constantFrom('array', 'object', 'mixed') as fc.Arbitrary<'array' | 'object' | 'mixed'> }).map(({ depth, kind }) => nestedText(depth, kind));

/** A JSON value (as JSON text) that is of the wrong type for any field, or a hostile string. */
export const hostileValueText: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: hostileString.map((text) => JSON.stringify(text)) },
  { weight: 2, arbitrary: hostileNumberText },
  { weight: 2, arbitrary: fc.constantFrom('null', 'true', 'false', '[]', '{}', '[null]', '[""]', '{"S":"dev"}', '["dev","dev"]', '{"__proto__":{"polluted":"yes"}}') },
  { weight: 1, arbitrary: deepText },
  { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
);

/** Raw body texts that are not a usable JSON object at all. */
export const hostileBodyText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '{',
    '}',
    '{"profile":',
    "{'profile':'dev'}",
    '{profile: "dev"}',
    '{"profile":"dev",}',
    'null',
    '[]',
    '[{"profile":"dev","mode":"cli"}]',
    '"dev"',
    '42',
    'true',
    'NaN',
    'undefined',
    'profile=dev&mode=cli',
    '<xml><profile>dev</profile></xml>',
    '\ufeff{"profile":"dev","mode":"cli"}',
    '{"profile":"dev"\u0000}',
    '\u0000',
    ' ',
    '{"__proto__":{"polluted":"yes"}}',
    '{"constructor":{"prototype":{"polluted":"yes"}}}',
    '{"__proto__":{"admins":["alice"],"isAdmin":true}}',
    '{"profile":"dev","mode":"cli","__proto__":{"polluted":"yes"}}',
  ),
  deepText,
  hugeString,
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.json({ maxDepth: 4 }),
);

/** Content types a client could send (the stack must not care). */
export const contentTypes = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=----x',
  'application/octet-stream',
  'application/json; charset=utf-16',
  '',
  '*/*',
  'application/json\u0000',
);

/** Path ids: traversal, encodings, slashes, very long, unicode, prototype names. */
export const hostileIds: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    '.',
    '..',
    '../',
    '../../v1/policy',
    '%2e%2e',
    '%2e%2e%2f%2e%2e%2fpolicy',
    '..%2F..%2Fpolicy',
    '..%252f',
    'a/b',
    '/',
    '//',
    '\\..\\',
    '0'.repeat(31),
    '0'.repeat(33),
    'A'.repeat(32),
    'g'.repeat(32),
    `${'0'.repeat(32)}\u0000`,
    `${'0'.repeat(32)}/../x`,
    `${'0'.repeat(32)} `,
    'sentinel-sessions',
    'sentinel-sessions/../sentinel-config',
    '*',
    '?',
    '%00',
    '%',
  ),
  hostileString,
  fc.constantFrom(255, 256, 2_048, 100_000).map(repeated('a')),
);
