#!/usr/bin/env node
import * as nodeModule from 'node:module'
// Node 22's compile cache shortens later start-ups; Node 20 has none, so this is optional.
nodeModule.enableCompileCache?.()
const {execute} = await import('@oclif/core')
await execute({dir: import.meta.url})
