// The server's configuration: one field table, three sources, one validator.
export { serverHelpText } from './config-help.js';
export { CONFIG_FIELDS, environmentNameOf } from './config-fields.js';
export { ConfigError, HELP_REQUESTED, loadServerConfig, type AutoCompaction, type LogLevel, type RequestLimits, type ServerConfig, type StartMode } from './server-config.js';
