// Lints the window's UI and its Chromium tests with type information, for the mistakes the
// compiler lets through: a promise nobody awaits or catches, a switch that misses a new kind,
// unused code, `any`. Layout is Prettier's job alone (.prettierrc.json): no rule here is about it.
import js from "@eslint/js";
import { defineConfig, globalIgnores } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig(
  globalIgnores(["ui/dist/", "ui/src/bindings/", "tests/artifacts/", "target/", "src-tauri/"]),
  {
    linterOptions: { reportUnusedDisableDirectives: "error" },
  },
  {
    files: ["ui/**/*.ts", "tests/ui/**/*.mjs"],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": [
        "error",
        // node:test collects the promise that test() returns itself.
        { allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["test", "describe", "it", "suite"] }] },
      ],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", caughtErrors: "none" }],
      // A new error kind or outcome must get its own case (and copy), not fall into `default`.
      "@typescript-eslint/switch-exhaustiveness-check": "error",
      // Type-only imports stay visible as such: the import-graph test reads them.
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      eqeqeq: ["error", "always"],
    },
  },
  {
    files: ["tests/ui/**/*.mjs"],
    languageOptions: {
      // Callbacks given to page.evaluate() run in the browser.
      globals: { ...globals.node, ...globals.browser },
    },
    rules: {
      // Plain JavaScript: every untyped value is `any`, so these would flag every line.
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
  {
    files: ["ui/src/test/mock-backend.ts"],
    rules: {
      // Tauri's invoke() rejects with the command's plain `{ kind, message }` object, not an
      // Error: the fake backend must fail the same way for ipc.ts to be tested as it runs.
      "@typescript-eslint/only-throw-error": "off",
    },
  },
  {
    // Build configuration, outside both tsconfigs: linted without type information.
    files: ["ui/vite.config.ts", "eslint.config.js"],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
