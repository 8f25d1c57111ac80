/** @weft/proxy-init: iptables rules that send a pod's TCP traffic through its weft proxy, and their runner. */
export {
  type ApplyOptions,
  applyRules,
  commandsFor,
  detectBackend,
  type FamilyOutcome,
  type IptablesCommands,
  type IptablesMode,
} from './apply.js';
export { type CommandResult, type CommandRunner, processRunner } from './command-runner.js';
export {
  type Cidr,
  type InitOptions,
  type PortRange,
  parseCidrs,
  parseInitOptions,
  parsePortRanges,
  type RawInitOptions,
} from './options.js';
export {
  buildRules,
  CHAINS,
  type Family,
  type Jump,
  planRestore,
  type RuleSet,
  readSavedState,
  type SavedState,
} from './rules.js';
