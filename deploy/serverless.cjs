/**
 * osls reads the derived parts of serverless.yml from here at package time: the
 * functions with their routes, one IAM role per function, the alarms and outputs, and
 * the REST variant's resource policy. They are built by src/deploy/template.ts (loaded
 * through tsx, a devDependency like osls itself) from the route table and
 * src/deploy/permissions.ts, so the deployment cannot drift from the code.
 */
'use strict';

const path = require('node:path');
const { require: requireTypeScript } = require('tsx/cjs/api');

const template = requireTypeScript(path.join(__dirname, '..', 'src', 'deploy', 'template.ts'), __filename);

const PARAMETERS = [
  'api',
  'tablePrefix',
  'configTable',
  'assumableRoles',
  'revocableRoles',
  'identityRoleLookup',
  'snsTopicArn',
  'webhookSecretArn',
  'allowedOrganizations',
  'allowedAccounts',
  'alarmTopicArn',
];

async function settings(resolveVariable) {
  const params = {};
  for (const name of PARAMETERS) params[name] = await resolveVariable(`param:${name}`);
  const region = String(await resolveVariable('self:provider.region'));
  return template.settingsFromParams(String(await resolveVariable('sls:stage')), params, region);
}

module.exports = async ({ resolveVariable }) => {
  const resolved = await settings(resolveVariable);
  return {
    functions: template.functionsSection(resolved),
    resources: template.resourcesSection(resolved),
    apiGateway: template.apiGatewaySection(resolved),
  };
};
