/** Exporters: turn kernel rows into a file format, fed in batches so memory stays bounded. */
import type { PluginContext } from '../capabilities';
import { definePlugin, type DefinedPlugin, type PluginLifecycle } from '../define-plugin';
import { lifecycleOf, pickMethods } from './kind-helpers';

export interface ExportOptions {
  /** Columns to include, in order; all when absent. */
  fields?: string[];
  /** e.g. `iso`, `date`, `epoch-ms`. */
  dateFormat?: string;
  /** IANA time zone for dates. */
  timeZone?: string;
  /** Format-specific options (delimiter, BOM, pretty…). */
  [option: string]: unknown;
}

/** One batch of rows; the output of all batches concatenated is the file. */
export interface ExportBatch<Row = Record<string, unknown>> {
  rows: Row[];
  options: ExportOptions;
  /** 0 for the first batch (write headers), `last` for the final one (close documents). */
  index: number;
  last: boolean;
}

export interface ExporterDefinition extends PluginLifecycle {
  format: string;
  fileExtension: string;
  /** Returns the text for this batch of session rows. */
  exportSessions(batch: ExportBatch, ctx: PluginContext): Promise<string>;
  /** Returns the text for this batch of cost rows. */
  exportCosts(batch: ExportBatch, ctx: PluginContext): Promise<string>;
}

/** Declares an exporter plugin (manifest `rimuru.kind: "exporter"`). */
export function defineExporter(definition: ExporterDefinition): DefinedPlugin {
  return definePlugin({
    kind: 'exporter',
    ...lifecycleOf(definition),
    methods: {
      ...pickMethods(definition, ['exportSessions', 'exportCosts']),
      info: () => ({ format: definition.format, fileExtension: definition.fileExtension }),
    },
  });
}
