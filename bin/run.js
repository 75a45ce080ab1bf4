#!/usr/bin/env node
import {enableCompileCache} from 'node:module'
// Node's compile cache shortens every later start-up of the CLI.
enableCompileCache?.()
const {execute} = await import('@oclif/core')
await execute({dir: import.meta.url})
