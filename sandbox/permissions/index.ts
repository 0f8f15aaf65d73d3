export { PermissionGate } from './permission-gate';
export type { AllowedExecutable, PathPermission, PermissionGateOptions } from './permission-gate';
export { permissionDenied } from './denial';
export type { PermissionKey } from './denial';
export { expandPathEntries, expandPathEntry } from './expand-path-entry';
export { resolveRealPath, isInside } from './real-path';
