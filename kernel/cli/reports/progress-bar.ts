/** Where a progress bar draws: a terminal stream (stderr), or a test double. */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

export interface ProgressBarOptions {
  /** Nothing is drawn before this much time has passed: a quick ingest leaves no trace. */
  delayMs?: number;
  /** At most one redraw per this many ms. */
  throttleMs?: number;
  now?: () => number;
}

export interface ProgressState {
  done: number;
  total: number;
  /** `bytes` are shown in MB. */
  unit?: 'bytes' | 'sources' | 'rows';
  /** What the bar is doing; default `ingesting`. */
  title?: string;
  /** What is being worked on (a source, an agent). */
  label?: string;
}

/**
 * A one-line progress bar for long first ingests, redrawn in place on a terminal (and never
 * drawn at all when stderr is piped, so logs and captured output stay clean).
 */
export class ProgressBar {
  private readonly startedAt: number;
  private lastDrawAt = -Infinity;
  private drawn = false;
  private readonly delayMs: number;
  private readonly throttleMs: number;
  private readonly now: () => number;

  constructor(
    private readonly stream: ProgressStream,
    options: ProgressBarOptions = {},
  ) {
    this.delayMs = options.delayMs ?? 500;
    this.throttleMs = options.throttleMs ?? 100;
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
  }

  get enabled(): boolean {
    return this.stream.isTTY === true;
  }

  update(state: ProgressState): void {
    if (!this.enabled) return;
    const now = this.now();
    if (now - this.startedAt < this.delayMs || now - this.lastDrawAt < this.throttleMs) return;
    this.lastDrawAt = now;
    this.drawn = true;
    this.stream.write(`\r${renderProgressLine(state, this.stream.columns ?? 80)}\x1b[K`);
  }

  /** Clears the line, so the report that follows starts on a clean one. */
  finish(): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
}

const megabytes = (bytes: number): string => (bytes / 1_048_576).toFixed(1);

/** `ingesting [#######-------]  42% 21/50 <label>` (or another title), cut to `columns`. */
export function renderProgressLine(state: ProgressState, columns: number): string {
  const total = Math.max(state.total, 0);
  const fraction = total === 0 ? 0 : Math.min(1, Math.max(0, state.done / total));
  const width = 24;
  const filled = Math.round(fraction * width);
  const percent = `${Math.round(fraction * 100)}`.padStart(3);
  const count = state.unit === 'bytes' ? `${megabytes(state.done)}/${megabytes(total)} MB` : `${state.done}/${total}`;
  const line = `${state.title ?? 'ingesting'} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${percent}% ${count}${state.label ? ` ${state.label}` : ''}`;
  return line.length > columns - 1 ? line.slice(0, Math.max(0, columns - 2)) + '…' : line;
}
