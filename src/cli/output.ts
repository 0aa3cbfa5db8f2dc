/** Where a command writes: stdout for results, stderr for progress and errors. */
export interface Output {
  out(text: string): void
  err(text: string): void
}

/** The process's own streams. */
export const processOutput: Output = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
}

/** Renders rows as an aligned text table. */
export function table(headers: string[], rows: (string | null)[][]): string {
  const cells = rows.map((row) => row.map((c) => c ?? '-'))
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)))
  const line = (row: string[]) =>
    row
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n')
}
