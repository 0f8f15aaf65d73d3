export type { Repository, RepositoryOptions } from './repository';
export type { QueryTarget } from './query-target';
export { AgentRepository } from './agent-repository';
export { SessionRepository, ACTIVE_SESSION_WINDOW_MS } from './session-repository';
export { CostRepository } from './cost-repository';
export type { CostListOptions } from './cost-repository';
export { ModelRepository } from './model-repository';
export { MetricsRepository } from './metrics-repository';
