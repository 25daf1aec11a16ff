/** Pure helpers for the growth dashboard. */

/** The last twelve whole months before today's month: [first day 12 months ago, first day of this month). */
export function defaultPeriod(today: Date): { from: string; to: string } {
  const to = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1));
  const from = new Date(Date.UTC(today.getUTCFullYear() - 1, today.getUTCMonth(), 1));
  return { from: from.toISOString().slice(0, 10), to: to.toISOString().slice(0, 10) };
}

/** Cohort retention as heatmap cells [monthsAfterJoining, cohortIndex, share]; cells without a value are left out. */
export function cohortHeatmapCells(cohorts: { month: string; retention: { value?: number | null }[] }[]): {
  rows: string[];
  columns: number[];
  cells: [number, number, number][];
} {
  const width = Math.max(0, ...cohorts.map((cohort) => cohort.retention.length));
  const cells: [number, number, number][] = [];
  cohorts.forEach((cohort, row) =>
    cohort.retention.forEach((cell, column) => {
      if (cell.value !== null && cell.value !== undefined) cells.push([column, row, cell.value]);
    }),
  );
  return { rows: cohorts.map((cohort) => cohort.month), columns: Array.from({ length: width }, (_, index) => index), cells };
}
