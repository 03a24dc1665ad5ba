// ESLint (flat config) for the TypeScript and JavaScript of lib/, test/, bench/ and scripts/:
// ESLint's and typescript-eslint's recommended rules. `npm run lint` runs it, with the clang-format
// check of native/.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'build-*/', 'prebuilds/', '.deps/', 'node_modules/', '.venv*/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node, gc: 'readonly' },
    },
    rules: {
      // An unused argument is often part of an interface; a leading _ marks it as unused on purpose.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs' } },
);
