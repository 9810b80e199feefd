// @ts-check
/**
 * A Stryker ignorer for `npm run test:mutation` (stryker.config.mjs): mutants in the
 * wording of an error or log message are not generated. The contract a caller relies
 * on is the error's code, the policy path, line and column, the status (STYLE.md 7):
 * those stay mutated and tested. Rewording a message is not a behaviour change a test
 * should pin, and on 2 cores each such mutant costs a full rerun of its tests.
 *
 * Ignored: the message argument of `new SentinelError(code, message)`, `new Error` /
 * `new RangeError`, `invalid(message)` (src/identity/resolve.ts), the Reader's
 * `this.error(node, path, message)` and `issueAt(file, position, path, message)`
 * (src/policy/parse.ts), `controlMessage(what, …)`, the name `assertRequestId` and `fit` put
 * in their INTERNAL messages (src/identity/names.ts), every argument of a `.warn(…)` log
 * call, and a local `const message = …` / `const how = …` built only to be thrown.
 */
import { PluginKind, declareValuePlugin } from '@stryker-mutator/api/plugin';

/**
 * Callee → the index of its message argument. Only that argument is wording: the code
 * before it and the data after it (`{ denial }`, `{ retryAfterSeconds }`) stay mutated.
 * A log call's arguments are all wording (`*`).
 */
const MESSAGE_ARGUMENT = {
  SentinelError: 1,
  Error: 0,
  RangeError: 0,
  invalid: 0,
  issueAt: 3,
  error: 2, // this.error(node, path, message) in the policy Reader
  controlMessage: 0,
  assertRequestId: 1, // src/identity/names.ts: the function named in an INTERNAL message
  fit: 1, // src/identity/names.ts: SourceIdentity or RoleSessionName, named in an INTERNAL message
  warn: '*',
};

const MESSAGE_VARIABLES = new Set(['message', 'how']);

/** @param {any} callee */
function calleeName(callee) {
  if (callee.type === 'Identifier') return callee.name;
  if (callee.type === 'MemberExpression' && callee.property.type === 'Identifier') {
    // Only the Reader's own `this.error(...)`; any `x.warn(...)` is a log call.
    if (callee.property.name === 'error') return callee.object.type === 'ThisExpression' ? 'error' : undefined;
    if (callee.property.name === 'warn') return 'warn';
  }
  return undefined;
}

/** @type {import('@stryker-mutator/api/ignore').Ignorer} */
const messageIgnorer = {
  shouldIgnore(path) {
    const parent = path.parentPath;
    if (parent === null) return undefined;
    if (path.listKey === 'arguments' && (parent.isCallExpression() || parent.isNewExpression())) {
      const name = calleeName(parent.node.callee);
      const at = name !== undefined && Object.hasOwn(MESSAGE_ARGUMENT, name) ? MESSAGE_ARGUMENT[/** @type {keyof typeof MESSAGE_ARGUMENT} */ (name)] : undefined;
      if (at !== undefined && (at === '*' || path.key === at)) return `message wording (${name})`;
    }
    if (path.key === 'init' && parent.isVariableDeclarator() && parent.node.id.type === 'Identifier' && MESSAGE_VARIABLES.has(parent.node.id.name)) {
      return `message wording (const ${parent.node.id.name})`;
    }
    return undefined;
  },
};

export const strykerPlugins = [declareValuePlugin(PluginKind.Ignore, 'message-wording', messageIgnorer)];
