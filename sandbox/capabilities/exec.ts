import { spawn, type ChildProcess } from 'node:child_process';
import { z } from 'zod';
import type { ExecResult } from '../../sdk/src/capabilities';
import { PermissionDeniedError } from '../../kernel/core/errors';
import { capabilityFailed, disposedDuring, resultTooLarge } from './capability-errors';
import { clamp } from './capability-limits';
import { method, type Capability, type CapabilityContext } from './capability-method';
import { pathArg, timeoutArg } from './arg-schemas';

const noNul = (value: string): boolean => !value.includes('\0');

const runArgs = z.strictObject({
  binary: z.string().min(1).max(4096).refine(noNul, 'must not contain NUL'),
  args: z.array(z.string().max(128 * 1024).refine(noNul, 'must not contain NUL')).max(4096).optional(),
  cwd: pathArg.optional(),
  timeoutMs: timeoutArg.optional(),
  input: z.string().optional(),
});

/** Keeps the first `limit` bytes of a stream and reports when more arrived. */
class BoundedOutput {
  private readonly parts: Buffer[] = [];
  private size = 0;
  overflowed = false;
  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    const room = this.limit - this.size;
    if (chunk.length > room) {
      this.overflowed = true;
      if (room > 0) this.parts.push(chunk.subarray(0, room));
      this.size = this.limit;
      return;
    }
    this.parts.push(chunk);
    this.size += chunk.length;
  }

  text(): string {
    return Buffer.concat(this.parts, this.size).toString('utf8');
  }
}

/**
 * Kills the child's whole process group, so helpers it started (which may still hold its
 * output pipes after it exited) do not outlive the call. Only called before `close`.
 */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // The group is already gone.
  }
}

/**
 * The `exec` capability: runs a binary listed in `permissions.exec`, never through a shell,
 * with a deadline, bounded output (a child that writes more is killed) and a minimal
 * environment: PATH, HOME, LANG and the variables the plugin may read anyway.
 */
export function createExecCapability({ plugin, gate, services, limits, signal }: CapabilityContext): Capability {
  const where = 'exec.run';
  const running = new Set<ChildProcess>();

  function childEnv(): Record<string, string> {
    const env: Record<string, string> = { HOME: services.homeDir, LANG: services.env.LANG ?? 'C.UTF-8' };
    if (services.env.PATH !== undefined) env.PATH = services.env.PATH;
    for (const name of gate.readableEnvNames()) {
      const value = services.env[name];
      if (value !== undefined) env[name] = value;
    }
    return env;
  }

  async function workingDirectory(cwd: string | undefined): Promise<string> {
    if (cwd === undefined) return '/';
    try {
      return await gate.checkPath('fs.read', cwd);
    } catch (readDenied) {
      if (!(readDenied instanceof PermissionDeniedError)) throw readDenied;
      return gate.checkPath('fs.write', cwd).catch(() => {
        throw readDenied;
      });
    }
  }

  return {
    methods: {
      run: method(plugin, runArgs, async (args): Promise<ExecResult> => {
        const executable = await gate.checkExec(args.binary);
        const cwd = await workingDirectory(args.cwd);
        if (args.input !== undefined && Buffer.byteLength(args.input) > limits.maxExecInputBytes) {
          throw resultTooLarge(plugin, where, `input is over the ${limits.maxExecInputBytes}-byte limit`);
        }
        const timeoutMs = clamp(args.timeoutMs, limits.execTimeoutMs);
        const stdout = new BoundedOutput(limits.maxExecOutputBytes);
        const stderr = new BoundedOutput(limits.maxExecOutputBytes);

        // The checks above await; the host may have been disposed meanwhile, and a child
        // spawned now would outlive it.
        if (signal.aborted) throw disposedDuring(plugin, where);
        return new Promise<ExecResult>((resolve, reject) => {
          const child = spawn(executable.path, args.args ?? [], {
            argv0: executable.argv0,
            cwd,
            env: childEnv(),
            shell: false,
            detached: true,
            stdio: ['pipe', 'pipe', 'pipe'],
            windowsHide: true,
          });
          running.add(child);
          let timedOut = false;
          const timer = setTimeout(() => {
            timedOut = true;
            killGroup(child);
          }, timeoutMs);
          const collect = (output: BoundedOutput) => (chunk: Buffer) => {
            output.push(chunk);
            if (output.overflowed) killGroup(child);
          };
          child.stdout?.on('data', collect(stdout));
          child.stderr?.on('data', collect(stderr));
          // A child that exits without reading its input must not fail the call with EPIPE.
          child.stdin?.on('error', () => undefined);
          child.stdin?.end(args.input ?? '');
          child.once('error', (error) => {
            clearTimeout(timer);
            running.delete(child);
            reject(capabilityFailed(plugin, where, error));
          });
          child.once('close', (exitCode, signal) => {
            clearTimeout(timer);
            running.delete(child);
            resolve({ exitCode, signal, stdout: stdout.text(), stderr: stderr.text(), timedOut });
          });
        });
      }),
    },
    async dispose() {
      for (const child of running) killGroup(child);
    },
  };
}
