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

/** Revenue by month as chart series: month labels and GMV and net revenue as numbers of the base currency's major unit. */
export function revenueSeries(months: { month: string; gmv: { amount: string }; netRevenue: { amount: string } }[]): {
  months: string[];
  gmv: number[];
  net: number[];
} {
  return { months: months.map((row) => row.month), gmv: months.map((row) => Number(row.gmv.amount)), net: months.map((row) => Number(row.netRevenue.amount)) };
}

/** DAU/MAU by month as a chart series; a month without MAU has no value (a gap in the line, not 0). */
export function dauMauSeries(months: { month: string; dauMau: { value?: number | null } }[]): { months: string[]; values: (number | null)[] } {
  return { months: months.map((row) => row.month), values: months.map((row) => row.dauMau.value ?? null) };
}

/** A YYYY-MM month as the locale writes a short month and year ("Mar 2025", "2025年3月"). */
export function formatMonth(month: string, locale: string): string {
  const [year, monthNumber] = month.split('-').map(Number);
  return new Intl.DateTimeFormat(locale, { month: 'short', year: 'numeric', timeZone: 'UTC' }).format(new Date(Date.UTC(year, monthNumber - 1, 1)));
}
