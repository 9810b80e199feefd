// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Packages that tie code to AWS or to Lambda; the pure domain modules must not import them. */
const AWS_AND_LAMBDA = ['@aws-sdk/*', '@smithy/*', '@middy/*', '@aws-lambda-powertools/*', 'aws-lambda', 'aws-sdk', 'aws-sdk/*'];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.serverless/', '.esbuild/', '.sentinel/', 'reports/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    // osls loads deploy/*.cjs with require(): CommonJS is the point there.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', __filename: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // DESIGN.md: domain code in src/ never imports aws-lambda event types; functions/ and src/local/ translate,
    // and so does src/http, the one middleware stack that turns events into plain route inputs.
    files: ['src/**/*.ts'],
    ignores: ['src/local/**', 'src/http/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['aws-lambda'], message: 'Domain code takes plain requests; translate Lambda events in functions/ or src/local/.' }] }],
    },
  },
  {
    // STYLE.md 3: the policy engine and identity rules are pure TypeScript.
    files: ['src/policy/**/*.ts', 'src/identity/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: AWS_AND_LAMBDA, message: 'src/policy and src/identity are pure: no AWS SDK, middy or aws-lambda imports.' }] },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs', 'bin/*'],
    ...tseslint.configs.disableTypeChecked,
  },
);
