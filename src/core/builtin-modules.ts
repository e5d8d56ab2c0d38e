/**
 * Some Node built-ins are much more expensive through an ESM `import` than through the CommonJS loader:
 * building the ESM namespace reads every export, which evaluates lazy getters and loads their modules.
 * Measured on Node 24.21: `import 'node:http'` adds 16 MB of RSS to an idle process, the same module via
 * `process.getBuiltinModule` adds 1 MB; `node:https` and `node:tls` add 6 MB each however they are loaded,
 * so they are only loaded when first asked for. Get these modules from here (types via `import type`).
 */

let httpMod: typeof import('node:http') | undefined
let httpsMod: typeof import('node:https') | undefined
let tlsMod: typeof import('node:tls') | undefined

export function http(): typeof import('node:http') {
  httpMod ??= process.getBuiltinModule('node:http')
  return httpMod
}

export function https(): typeof import('node:https') {
  httpsMod ??= process.getBuiltinModule('node:https')
  return httpsMod
}

export function tls(): typeof import('node:tls') {
  tlsMod ??= process.getBuiltinModule('node:tls')
  return tlsMod
}
