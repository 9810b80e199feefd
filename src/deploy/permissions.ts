/**
 * What each function may do in AWS: one role per function (docs/deploy.md, "IAM"), each
 * statement with the reason it exists. src/deploy/template.ts turns these into the
 * CloudFormation roles serverless.yml deploys; test/integration/permissions.test.ts runs
 * every function's routes against DynamoDB Local and mocked AWS clients and checks that
 * each function's role allows every call it made and holds nothing it never used.
 *
 * Resources are symbolic (the deployment's prefix, its config table, the configured
 * role patterns) and become ARNs only in the template. No action is `*`; no resource is
 * `*`: AWS offers a narrower one for every call Sentinel makes.
 */

/** A resource a statement names, resolved against the deployment's settings by the template. */
export type ResourceRef =
  /** Every table with the deployment's prefix, and their indexes: the session tables are chosen per request. */
  | { kind: 'prefixedTables' }
  /** One of the deployment's fixed tables, or an index of it (`'*'`: all of them). */
  | { kind: 'table'; table: 'config' | 'requests' | 'breakglass'; index?: string }
  /** The index `index` of every prefixed table (the session tables' sparse by-active index). */
  | { kind: 'prefixedIndex'; index: string }
  /** The `assumableRoles` parameter: what any policy document can vend, at most. */
  | { kind: 'assumableRoles' }
  /** The `revocableRoles` parameter: the profile roles of this account. */
  | { kind: 'revocableRoles' }
  /** `sentinel-revoker` in every account (src/deploy/names.ts). */
  | { kind: 'revokerRoles' }
  /** IAM Identity Center's roles of this account (path /aws-reserved/sso.amazonaws.com/). */
  | { kind: 'identityCenterRoles' }
  /** The configured SNS topic. */
  | { kind: 'snsTopic' }
  /** The configured webhook signing secret (Secrets Manager) or parameter (SSM). */
  | { kind: 'webhookSecret' }
  /** The function's own log group. */
  | { kind: 'ownLogGroup' };

export interface PermissionStatement {
  sid: string;
  /** Why the function needs it: which code makes the call, and why the resource is as narrow as it is. */
  why: string;
  effect?: 'Allow' | 'Deny';
  actions: readonly string[];
  resources: readonly ResourceRef[];
}

/** What a deployment turns on; statements for features it leaves off are not granted. */
export interface FeatureSettings {
  /** `SENTINEL_IDENTITY_ROLE_LOOKUP=iam` (the default). */
  identityRoleLookup: boolean;
  snsTopicArn?: string;
  webhookSecretArn?: string;
}

const LOGS: PermissionStatement = {
  sid: 'Logs',
  why: 'The Lambda runtime writes the function\'s log lines (the decision log among them) to its own log group, which CloudFormation creates; nothing else.',
  actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
  resources: [{ kind: 'ownLogGroup' }],
};

const IDENTITY_CENTER: PermissionStatement = {
  sid: 'ReadIdentityCenterRoles',
  why:
    'Every route resolves its caller: a session of an AWSReservedSSO_* role of this account is a person only if IAM says Identity Center made the role (its path) and the session belongs to it (its unique id) — src/aws/iam.ts. Read-only, and only under Identity Center\'s reserved path; AccessDenied elsewhere is itself the answer "not an identity role".',
  actions: ['iam:GetRole'],
  resources: [{ kind: 'identityCenterRoles' }],
};

const POLICY_READ: PermissionStatement = {
  sid: 'ReadPolicy',
  why: 'The current policy (pointer and version items in the config table, src/policyStore/DynamoPolicyStore.ts), cached per instance for SENTINEL_POLICY_TTL.',
  actions: ['dynamodb:GetItem'],
  resources: [{ kind: 'table', table: 'config' }],
};

const GRANTS_READ: PermissionStatement = {
  sid: 'ReadGrants',
  why:
    'A refused caller\'s open grants: approved requests and active break-glass events (src/compose/grants.ts), read on their indexes only when the policy alone refuses. Query only; the tables themselves are never scanned.',
  actions: ['dynamodb:Query'],
  resources: [
    { kind: 'table', table: 'requests', index: '*' },
    { kind: 'table', table: 'breakglass', index: '*' },
  ],
};

function notify(settings: FeatureSettings): PermissionStatement[] {
  const statements: PermissionStatement[] = [];
  if (settings.snsTopicArn !== undefined) {
    statements.push({ sid: 'PublishEvents', why: 'Event notifications to the configured topic (src/aws/notifications.ts); that topic only.', actions: ['sns:Publish'], resources: [{ kind: 'snsTopic' }] });
  }
  if (settings.webhookSecretArn !== undefined) {
    const ssm = settings.webhookSecretArn.includes(':ssm:');
    statements.push({
      sid: 'ReadWebhookSecret',
      why: 'The webhook\'s signing secret (src/aws/notifications.ts), read once per instance; that secret or parameter only.',
      actions: [ssm ? 'ssm:GetParameter' : 'secretsmanager:GetSecretValue'],
      resources: [{ kind: 'webhookSecret' }],
    });
  }
  return statements;
}

function identity(settings: FeatureSettings): PermissionStatement[] {
  return settings.identityRoleLookup ? [IDENTITY_CENTER] : [];
}

/**
 * The revocation functions' IAM side (src/aws/IamRoleRevoker.ts). The revoke function
 * only adds denies (GetRolePolicy, PutRolePolicy); only the sweep prunes, and deletes a
 * policy it has emptied.
 */
function revocationPolicies(actions: readonly string[]): PermissionStatement[] {
  return [
    {
      sid: 'WriteRevocationPolicies',
      why:
        'The AWS-side deny: the inline policy SentinelRevokedSessions on the profile roles of this account (the revocableRoles parameter). IAM has no condition key for an inline policy\'s name, so the resource is what narrows it; the code only ever writes SentinelRevokedSessions.',
      actions,
      resources: [{ kind: 'revocableRoles' }],
    },
    {
      sid: 'AssumeRevokerRoles',
      why: 'Profile roles of other accounts are changed only through the sentinel-revoker role there (`sentinel init role` prints it); the IAM calls on them are that role\'s, not this one\'s.',
      actions: ['sts:AssumeRole'],
      resources: [{ kind: 'revokerRoles' }],
    },
  ];
}

/** Each HTTP function's and the sweep's statements, for a deployment's features. */
export function functionPermissions(settings: FeatureSettings): Record<string, PermissionStatement[]> {
  const caller = identity(settings);
  return {
    credentials: [
      LOGS,
      ...caller,
      {
        sid: 'WriteSessions',
        why:
          'The session record written before STS is called (PutItem), marked issued or failed and refreshed (UpdateItem) — the write before STS usually as an item of one TransactWriteItems with the rate-limit counter, which IAM authorises as these same actions — and read to explain a refused refresh (GetItem). The session table is chosen per request (rule, request, default), so it is any prefixed table.',
        actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem'],
        resources: [{ kind: 'prefixedTables' }],
      },
      {
        sid: 'ConfigItems',
        why: 'The policy and the provisioned-table registry (GetItem) and the per-principal rate-limit counters (UpdateItem, alone or as an item of the TransactWriteItems that also writes the session), all in the config table.',
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [{ kind: 'table', table: 'config' }],
      },
      GRANTS_READ,
      {
        sid: 'AssumeProfileRoles',
        why:
          'Issuance: AssumeRole with a SourceIdentity (sts:SetSourceIdentity) and the SentinelSessionID session tag (sts:TagSession) on the roles the assumableRoles parameter covers — the upper bound on what any policy document can vend.',
        actions: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'],
        resources: [{ kind: 'assumableRoles' }],
      },
      {
        sid: 'NeverAssumeRevokerRoles',
        why: 'Defence in depth: sentinel-revoker matches sentinel-*, and no issuance may ever run as it, whatever its trust policy says.',
        effect: 'Deny',
        actions: ['sts:AssumeRole'],
        resources: [{ kind: 'revokerRoles' }],
      },
    ],
    whoami: [LOGS, ...caller, POLICY_READ],
    profiles: [LOGS, ...caller, POLICY_READ, GRANTS_READ],
    getPolicy: [LOGS, ...caller, POLICY_READ],
    putPolicy: [
      LOGS,
      ...caller,
      {
        sid: 'WritePolicy',
        why: 'Reads the current version (GetItem); a push is one TransactWriteItems of the new version (its text and its document) and the pointer, which IAM authorises as PutItem per item. Only this function writes policy items.',
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        resources: [{ kind: 'table', table: 'config' }],
      },
    ],
    evaluatePolicy: [LOGS, ...caller, POLICY_READ],
    endSession: [
      LOGS,
      ...caller,
      { sid: 'EndSessions', why: 'Ends the caller\'s own session (a conditional UpdateItem) and reads it to explain a refusal (GetItem).', actions: ['dynamodb:UpdateItem', 'dynamodb:GetItem'], resources: [{ kind: 'prefixedTables' }] },
      { sid: 'ReadRegistry', why: 'Whether a named table is a provisioned sessions table (the registry in the config table).', actions: ['dynamodb:GetItem'], resources: [{ kind: 'table', table: 'config' }] },
    ],
    checkSession: [
      LOGS,
      ...caller,
      { sid: 'CheckSessions', why: 'The re-check: one conditional UpdateItem of the session (it must still be active and allowed), GetItem to explain a refusal.', actions: ['dynamodb:UpdateItem', 'dynamodb:GetItem'], resources: [{ kind: 'prefixedTables' }] },
      { sid: 'ReadConfig', why: 'The policy and the table registry (GetItem). A re-check is not rate limited, so no counter is written.', actions: ['dynamodb:GetItem'], resources: [{ kind: 'table', table: 'config' }] },
      GRANTS_READ,
    ],
    sessions: [
      LOGS,
      ...caller,
      { sid: 'ReadSessions', why: 'Listings Query the by-user and by-profile indexes; show is one GetItem. Read-only.', actions: ['dynamodb:Query', 'dynamodb:GetItem'], resources: [{ kind: 'prefixedTables' }] },
      { sid: 'ReadConfig', why: 'The policy (who is an admin) and the table registry.', actions: ['dynamodb:GetItem'], resources: [{ kind: 'table', table: 'config' }] },
    ],
    revokeSessions: [
      LOGS,
      ...caller,
      { sid: 'RevokeSessions', why: 'The conditional revoke (UpdateItem), the bulk route\'s listing of a user\'s or profile\'s sessions (Query on by-user and by-profile), GetItem to explain a refused revoke.', actions: ['dynamodb:UpdateItem', 'dynamodb:Query', 'dynamodb:GetItem'], resources: [{ kind: 'prefixedTables' }] },
      { sid: 'RevocationLedger', why: 'The policy and the registry (GetItem); the revocation ledger\'s entries (UpdateItem), dropped again when a revoke is refused (DeleteItem) — all in the config table.', actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], resources: [{ kind: 'table', table: 'config' }] },
      ...revocationPolicies(['iam:GetRolePolicy', 'iam:PutRolePolicy']),
      ...notify(settings),
    ],
    provision: [
      LOGS,
      ...caller,
      {
        sid: 'CreateTables',
        why: 'POST /v1/provision: CreateTable, and TagResource because CreateTable\'s tags (app=sentinel, sentinel:kind) are authorised as TagResource. No DeleteTable, UpdateTable or Restore: provisioning reports drift, it never alters or removes a live table. DynamoDB\'s AWS managed key needs no kms: statement.',
        actions: ['dynamodb:CreateTable', 'dynamodb:TagResource'],
        resources: [{ kind: 'prefixedTables' }],
      },
      { sid: 'DescribeTables', why: 'Plan and status: a live table against its schema (keys, indexes, billing, encryption; TTL; point-in-time recovery).', actions: ['dynamodb:DescribeTable', 'dynamodb:DescribeTimeToLive', 'dynamodb:DescribeContinuousBackups'], resources: [{ kind: 'prefixedTables' }] },
      { sid: 'FinishTables', why: 'Once a table is ACTIVE: TTL on `ttl` and point-in-time recovery, only ever switched on.', actions: ['dynamodb:UpdateTimeToLive', 'dynamodb:UpdateContinuousBackups'], resources: [{ kind: 'prefixedTables' }] },
      { sid: 'TableRegistry', why: 'The policy (admins only) and the provisioned-table registry: GetItem, and PutItem once a table is READY.', actions: ['dynamodb:GetItem', 'dynamodb:PutItem'], resources: [{ kind: 'table', table: 'config' }] },
    ],
    requests: [
      LOGS,
      ...caller,
      { sid: 'RequestItems', why: 'Access requests: PutItem to create, UpdateItem for each decision (conditional), GetItem to show one.', actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem'], resources: [{ kind: 'table', table: 'requests' }] },
      { sid: 'ListRequests', why: 'Listings (mine, approvable, all): a Query on the requests table\'s indexes, never a Scan.', actions: ['dynamodb:Query'], resources: [{ kind: 'table', table: 'requests', index: '*' }] },
      POLICY_READ,
      ...notify(settings),
    ],
    breakglass: [
      LOGS,
      ...caller,
      { sid: 'BreakglassItems', why: 'Break-glass events: the invoke is one TransactWriteItems (the event\'s PutItem, authorised per item), the close a conditional UpdateItem.', actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem'], resources: [{ kind: 'table', table: 'breakglass' }] },
      { sid: 'ListBreakglass', why: 'Listings and the close\'s lookup: a Query on the break-glass table\'s indexes.', actions: ['dynamodb:Query'], resources: [{ kind: 'table', table: 'breakglass', index: '*' }] },
      { sid: 'QuotaCounters', why: 'The policy (GetItem) and the quota counters of the same TransactWriteItems (UpdateItem per counter) in the config table.', actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], resources: [{ kind: 'table', table: 'config' }] },
      ...notify(settings),
    ],
    sweep: [
      LOGS,
      { sid: 'ScanActiveIndexes', why: 'Overdue sessions: a Scan of the sparse by-active index (it holds active sessions and nothing else), never of a table.', actions: ['dynamodb:Scan'], resources: [{ kind: 'prefixedIndex', index: 'by-active' }] },
      { sid: 'ScanPendingRequests', why: 'Overdue access requests: a Scan of the requests table\'s sparse by-pending index only.', actions: ['dynamodb:Scan'], resources: [{ kind: 'table', table: 'requests', index: 'by-pending' }] },
      { sid: 'ExpireSessions', why: 'Marks overdue sessions expired (UpdateItem) and reads a revoked session\'s role and expiry (GetItem).', actions: ['dynamodb:UpdateItem', 'dynamodb:GetItem'], resources: [{ kind: 'prefixedTables' }] },
      { sid: 'ExpireRequests', why: 'Marks overdue access requests expired (a conditional UpdateItem).', actions: ['dynamodb:UpdateItem'], resources: [{ kind: 'table', table: 'requests' }] },
      { sid: 'RevocationLedger', why: 'The ledger and the table registry (Query), ledger outcomes (UpdateItem) and pruned entries (DeleteItem), in the config table.', actions: ['dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], resources: [{ kind: 'table', table: 'config' }] },
      ...revocationPolicies(['iam:GetRolePolicy', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy']),
      ...notify(settings),
    ],
  };
}
