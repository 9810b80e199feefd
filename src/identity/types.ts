/** The IAM authorizer context API Gateway hands a route (`requestContext.authorizer.iam`). */
export interface AuthorizerIam {
  accountId?: string | null;
  userArn?: string | null;
  userId?: string | null;
  accessKey?: string | null;
  principalOrgId?: string | null;
}

/** Who is calling, derived only from what AWS verified. */
export interface Caller {
  /** The policy's user name (DESIGN.md, Identity). */
  user: string;
  /** The ARN AWS verified. */
  arn: string;
  accountId: string;
}

/** Deployment settings identity resolution depends on. */
export interface IdentityRules {
  /** Role-name patterns (`*` wildcards) whose sessions are people: the session name is the user. */
  identityRolePatterns: string[];
  allowedAccounts: string[];
}
