#!/usr/bin/env node
// The `liaison` command: runs the compiled CLI (npm install builds it; `npm run build` rebuilds it).
import { existsSync } from 'node:fs'

const entry = new URL('../dist/src/cli/main.js', import.meta.url)
if (!existsSync(entry)) {
  process.stderr.write('liaison: not built yet; run `npm run build` in the repository first\n')
  process.exit(1)
}
const { runCli } = await import(entry.href)
process.exitCode = await runCli(process.argv, process.env)
