/** Policy documents the tests share. */

/** A valid policy of `rules` rules over 50 profiles: the size a large organisation reaches. */
export function bigPolicy(rules: number): string {
  const profiles = Array.from({ length: 50 }, (_, i) => `  team-${i}:\n    role_arn: arn:aws:iam::111122223333:role/sentinel-team-${i}\n    max_duration: 1h\n`).join('');
  const body = Array.from(
    { length: rules },
    (_, i) => `  - name: rule-${i}\n    effect: allow\n    conditions:\n      profiles: [team-${i % 50}]\n      users: [user-${i}, user-${i + 1}]\n      mode: [cli, server]\n    reason: engineers of team ${i % 50} may work here during the day\n`,
  ).join('');
  return `version: "1"\nprofiles:\n${profiles}rules:\n${body}`;
}
