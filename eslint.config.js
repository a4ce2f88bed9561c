import js from "@eslint/js";
import { defineConfig, globalIgnores } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
  globalIgnores(["node_modules/", "artifacts/", "cache/", "coverage/", "types/", "**/ignition/deployments/"]),
  js.configs.recommended,
  tseslint.configs.recommended,
);
