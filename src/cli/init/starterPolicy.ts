/**
 * The policy `sentinel init bootstrap` stores when none is stored yet: valid, naming
 * the caller as the only admin, and granting nothing, so a fresh deployment is safe
 * until someone writes real rules. One example profile is commented out to show the
 * shape.
 */

/**
 * The starter policy for `user` (as the API sees them: `sentinel whoami`) in account
 * `accountId` (only used in the commented example). The user is written as a quoted
 * YAML string, so an assumed-role name such as `role/session` reads back unchanged.
 */
export function starterPolicy(user: string, accountId: string): string {
  return `# Sentinel starter policy, stored by \`sentinel init bootstrap\`.
# It names ${user} as the only admin and grants nothing yet: every credential
# request is denied until a rule allows it. To change it:
#   sentinel policy pull --file policy.yaml
#   (edit, then) sentinel policy validate policy.yaml && sentinel policy push policy.yaml
version: "1"

# profiles:
#   dev:
#     role_arn: arn:aws:iam::${accountId}:role/sentinel-dev
#     max_duration: 1h

# First match wins; no match is a deny. docs/policy.md describes the rules.
rules: []

admins: [${JSON.stringify(user)}]
`;
}
