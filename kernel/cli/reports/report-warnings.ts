/**
 * Something a report's reader should know about its figures: a model priced at $0 because the
 * catalog does not know it, lines the ingest skipped, an ingest that could not run. Printed
 * under the tables and listed in `--json` output as `warnings`.
 */
export interface ReportWarning {
  kind: 'unknown-model' | 'ingest-skipped' | 'ingest-failed';
  message: string;
  /** `unknown-model`: the model as the agent logged it. */
  model?: string;
  /** `ingest-skipped`: how many lines or rows. */
  count?: number;
}

export function unknownModelWarning(model: string): ReportWarning {
  return { kind: 'unknown-model', model, message: `unknown model "${model}": priced at $0 (no price in the catalog)` };
}

/** Keeps the first warning of each kind+model+message. */
export function dedupeWarnings(warnings: readonly ReportWarning[]): ReportWarning[] {
  const seen = new Set<string>();
  return warnings.filter((warning) => {
    const key = `${warning.kind}\u0000${warning.model ?? ''}\u0000${warning.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
