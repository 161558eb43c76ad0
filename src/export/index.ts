export { buildExportCopy, buildExportSelect, exportToFile } from './export-query.ts';
export { EXPORT_FORMATS, EXPORT_WHATS, parseExportRequest, parseExportTime } from './export-request.ts';
export type { ExportFilters, ExportFormat, ExportRequest, ExportRequestBody, ExportWhat } from './export-request.ts';
