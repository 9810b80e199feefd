/**
 * Policy evaluation throughput: compiled evaluator against the reference, on
 * realistic policies of 10, 100 and 1,000 rules. Run with `npm run bench`.
 *
 * Policies and requests come from a fixed seed, so runs differ only by the machine.
 * Requests are stamped "now", as the service stamps them.
 */
import { compilePolicy } from '../src/policy/compile.js';
import { evaluatePolicy } from '../src/policy/evaluate.js';
import { EFFECTS, MODES } from '../src/policy/types.js';
import type { Decision, Effect, EvaluationContext, EvaluationRequest, Mode, Policy, Profile, Rule } from '../src/policy/types.js';

const SIZES = [10, 100, 1000];
/** Per size, split over the rounds. */
const COMPILED_MS = 1000;
const REFERENCE_MS = 400;
const WARM_UP_MS = 150;
const ROUNDS = 5;
const POOL_SIZE = 4096;
const ZONES = ['Europe/Paris', 'America/New_York', 'Asia/Kolkata', 'Asia/Tokyo', 'Australia/Sydney', 'UTC'];

/** Mulberry32: small, seeded, good enough to pick names. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface Workload {
  policy: Policy;
  requests: EvaluationRequest[];
  context: EvaluationContext;
}

function workload(ruleCount: number, seed: number): Workload {
  const next = random(seed);
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)] as T;
  const some = <T>(values: readonly T[], min: number, max: number): T[] => {
    const chosen = new Set<T>();
    const count = Math.min(values.length, int(min, max));
    while (chosen.size < count) chosen.add(pick(values));
    return [...chosen];
  };

  // An organisation grows its accounts, people and teams with its policy.
  const environments = ['prod', 'staging', 'dev', 'sandbox', 'audit'];
  const profileNames = Array.from({ length: Math.max(5, ruleCount / 4) }, (_, i) => `team${Math.floor(i / 5)}-${environments[i % 5]}`);
  const users = Array.from({ length: Math.max(20, ruleCount / 2) }, (_, i) => `user${i}@example.com`);
  const groupNames = Array.from({ length: Math.max(3, ruleCount / 20) }, (_, i) => `team${i}`);

  const profiles: Record<string, Profile> = {};
  for (const [i, name] of profileNames.entries()) {
    profiles[name] = {
      roleArn: `arn:aws:iam::${String(100_000_000_000 + i * 7919).padStart(12, '0')}:role/${name}-operator`,
      maxDurationSeconds: pick([900, 3600, 14_400]),
      region: pick(['eu-west-1', 'us-east-1', 'ap-southeast-2']),
    };
  }
  const groups: Record<string, string[]> = {};
  for (const name of groupNames) groups[name] = some(users, 5, 15);

  const effectWeights: [Effect, number][] = [
    ['allow', 0.4],
    ['deny', 0.15],
    ['require_approval', 0.15],
    ['require_server', 0.15],
    ['require_server_session', 0.15],
  ];
  const effect = (): Effect => {
    let roll = next();
    for (const [name, weight] of effectWeights) if ((roll -= weight) < 0) return name;
    return 'allow';
  };

  const rules: Rule[] = Array.from({ length: ruleCount }, (_, i) => {
    const conditions: Rule['conditions'] = {};
    const anyProfile = next() < 0.05;
    if (!anyProfile) conditions.profiles = some(profileNames, 1, 3);
    // A rule for everyone on every profile would end the list: real policies keep
    // those for the end, and the default deny must stay reachable here.
    const who = anyProfile ? next() * 0.95 : next();
    if (who < 0.45) conditions.users = some(users, 1, 4);
    else if (who < 0.9) conditions.groups = some(groupNames, 1, 2);
    else if (who < 0.95) {
      conditions.users = some(users, 1, 2);
      conditions.groups = some(groupNames, 1, 1);
    }
    if (next() < 0.5) conditions.mode = some<Mode>(MODES, 1, 2);
    if (next() < 0.1) {
      const start = int(0, 95) * 15;
      conditions.time = {
        timezone: pick(ZONES),
        days: next() < 0.7 ? [1, 2, 3, 4, 5] : some([0, 1, 2, 3, 4, 5, 6], 1, 7),
        hours: { start, end: (start + int(4, 80) * 15) % 1440 },
      };
    }
    const rule: Rule = { name: `rule-${i}`, effect: effect(), conditions };
    if (next() < 0.3) rule.reason = `Ticket SEC-${1000 + i}: access reviewed`;
    if (next() < 0.2) rule.maxServerDurationSeconds = pick([900, 3600]);
    if (next() < 0.1) rule.sessionTable = 'sentinel-sessions';
    return rule;
  });

  const now = new Date();
  const requests = Array.from({ length: POOL_SIZE }, (): EvaluationRequest => {
    const request: EvaluationRequest = {
      user: next() < 0.8 ? pick(users) : `contractor${int(0, 999)}@example.com`,
      profile: next() < 0.85 ? pick(profileNames) : `unlisted-${int(0, 99)}`,
      mode: pick(MODES),
      time: now,
    };
    if (next() < 0.2) request.sessionTable = 'team-sessions';
    return request;
  });

  return {
    policy: { version: '1', profiles, groups, rules, approvals: [], breakglass: [], admins: ['ops-erin'] },
    requests,
    context: { defaultSessionTable: 'sentinel-sessions' },
  };
}

/** Decisions per second of `decide` over the pool, for about `budgetMs`. */
function rate(requests: readonly EvaluationRequest[], decide: (request: EvaluationRequest) => Decision, budgetMs: number): number {
  let decisions = 0;
  let sink = 0;
  const started = performance.now();
  let elapsed = 0;
  do {
    for (const request of requests) sink += decide(request).ruleIndex;
    decisions += requests.length;
    elapsed = performance.now() - started;
  } while (elapsed < budgetMs);
  // Keeps the work observable so the engine cannot drop it.
  if (sink === Number.MIN_SAFE_INTEGER) console.log(sink);
  return (decisions / elapsed) * 1000;
}

function summary(load: Workload): { defaultDeny: number; effects: string } {
  const counts = new Map<string, number>();
  let defaultDeny = 0;
  for (const request of load.requests) {
    const decision = evaluatePolicy(load.policy, request, load.context);
    if (decision.ruleIndex === -1) defaultDeny++;
    counts.set(decision.effect, (counts.get(decision.effect) ?? 0) + 1);
  }
  const effects = ['allow', 'deny', 'require_approval'].map((e) => `${e} ${Math.round(((counts.get(e) ?? 0) / load.requests.length) * 100)}%`);
  return { defaultDeny: defaultDeny / load.requests.length, effects: effects.join(', ') };
}

const format = (n: number): string => Math.round(n).toLocaleString('en-US');

console.log(`policy evaluation, ${EFFECTS.length} effects, ${POOL_SIZE} requests per pool, time = now (${new Date().toISOString()})`);
const benches = SIZES.map((size) => {
  const load = workload(size, 0x5e47 + size);
  const compiled = compilePolicy(load.policy);
  for (const request of load.requests) {
    const expected = evaluatePolicy(load.policy, request, load.context);
    const actual = compiled.evaluate(request, load.context);
    if (actual.ruleIndex !== expected.ruleIndex || actual.effect !== expected.effect) {
      throw new Error(`compiled and reference disagree at ${size} rules for ${JSON.stringify(request)}`);
    }
  }
  const { defaultDeny, effects } = summary(load);
  console.log(`  ${size} rules: ${Math.round(defaultDeny * 100)}% default deny; ${effects}`);
  return {
    size,
    requests: load.requests,
    compiled: (request: EvaluationRequest): Decision => compiled.evaluate(request, load.context),
    reference: (request: EvaluationRequest): Decision => evaluatePolicy(load.policy, request, load.context),
  };
});

for (const bench of benches) rate(bench.requests, bench.compiled, WARM_UP_MS);
// Sizes take turns, round after round, and each keeps its best round: a burst of
// load from elsewhere on the machine then spoils one round, not one size.
const best = new Map<number, { compiled: number; reference: number }>();
for (let round = 0; round < ROUNDS; round++) {
  for (const bench of benches) {
    const compiledRate = rate(bench.requests, bench.compiled, COMPILED_MS / ROUNDS);
    const referenceRate = round < 2 ? rate(bench.requests, bench.reference, REFERENCE_MS / 2) : 0;
    const previous = best.get(bench.size) ?? { compiled: 0, reference: 0 };
    best.set(bench.size, {
      compiled: Math.max(previous.compiled, compiledRate),
      reference: Math.max(previous.reference, referenceRate),
    });
  }
}
const rows = [...best].map(([rules, rates]) => ({ rules, ...rates }));

console.log('');
console.log('rules | compiled decisions/s | ns/decision | reference decisions/s | speed-up');
console.log('------|----------------------|-------------|-----------------------|---------');
for (const row of rows) {
  console.log(
    [
      String(row.rules).padStart(5),
      format(row.compiled).padStart(20),
      (1e9 / row.compiled).toFixed(0).padStart(11),
      format(row.reference).padStart(21),
      `${(row.compiled / row.reference).toFixed(1)}x`.padStart(8),
    ].join(' | '),
  );
}
const smallest = rows[0];
const largest = rows.at(-1);
if (smallest !== undefined && largest !== undefined) {
  console.log('');
  console.log(
    `cost per decision, ${largest.rules} vs ${smallest.rules} rules: ${(smallest.compiled / largest.compiled).toFixed(2)}x`,
  );
}
