export { startNode, type RunningNode, type StartOptions } from "./node.ts";
export { Chain, sealerOf, type ChainOptions } from "./chain.ts";
export { loadConfig, parseConfig, loadGenesis, parseGenesis, ConfigError, type Genesis, type NodeConfig, type LoadedConfig } from "./config.ts";
export { DEV_ACCOUNTS } from "./dev-accounts.ts";
