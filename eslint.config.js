import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'models/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // The review page's script runs in the browser, as a classic script (no build step).
    files: ['public/**/*.js'],
    languageOptions: { sourceType: 'script', globals: Object.fromEntries(['window', 'document', 'localStorage', 'fetch', 'performance', 'HTMLInputElement', 'HTMLTextAreaElement', 'URLSearchParams'].map((name) => [name, 'readonly'])) },
  },
  {
    // src/core stays pure: no file system, network or environment.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['node:fs', 'node:fs/*', 'fs', 'node:net', 'node:http', 'node:child_process', 'pg', 'ioredis', 'bullmq'] }],
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'read configuration in src/config.ts' }],
    },
  },
);
