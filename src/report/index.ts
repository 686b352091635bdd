// Public surface of the report part: run loading, the HTML report, PNG export and the dashboard.
export { writeReport, defaultReportPath, type ReportOptions, type ReportResult } from './report.js';
export { startDashboard, type Dashboard, type DashboardOptions } from './dashboard.js';
export { exportPngs, chartsToExport, type PngOptions } from './png.js';
export { loadRun, loadRuns, checkRunDir, type RunData, type MetricRow, type CompletionRow, type EvalRow } from './run-data.js';
export { buildCharts, type ChartSpec } from './chart-spec.js';
export { groupMetrics, type ChartGroup } from './metric-groups.js';
export { REFLECTION_WORDS } from './reflection.js';
