/** The kernel lifecycle: boot, plugin runners with restarts, shutdown. */
export { Kernel, dependencyLevels, type KernelOptions, type KernelSummary } from './kernel';
export { PluginRunner, type PluginRunnerDeps } from './plugin-runner';
export { RestartPolicy, type RestartPolicyOptions } from './restart-policy';
export { classifyFailure, type FailureVerdict } from './failure-kind';
