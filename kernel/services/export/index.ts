/**
 * Exports: a dataset of the store (sessions or cost records) streamed through an exporter
 * plugin into a file or stdout, in keyset-paged batches with backpressure.
 */
export { exportColumns, runExport, EXPORT_PAGE_SIZE, type ExporterHandle, type ExportProgress, type ExportRunOptions, type ExportSummary } from './export-run';
export { exportReader, type ExportQuery, type ExportReader, type ExportRow } from './export-readers';
export { fileDestination, streamDestination, type ExportDestination } from './export-destination';
export { exportersOf, type ExporterEntry } from './exporter-plugins';
