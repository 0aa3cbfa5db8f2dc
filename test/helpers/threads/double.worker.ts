// A thread of the threads test, run from its TypeScript source (no .js beside it).
import { parentPort, workerData } from 'node:worker_threads'
import { double, type Doubled } from './double.js'

const reply: Doubled = { doubled: double((workerData as { n: number }).n), from: 'typescript' }
parentPort?.postMessage(reply)
