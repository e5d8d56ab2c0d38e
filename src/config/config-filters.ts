/**
 * Flume 1.10+ config filters (reference §1.10): `<agent>.configfilters = f1` with
 * `<agent>.configfilters.f1.type = env | external | hadoop`, and placeholders `${f1['KEY']}`,
 * `${f1["KEY"]}` or `${f1[KEY]}` in any source, channel, sink or sink-group value. A placeholder whose
 * filter returns nothing is left as it is (and reported).
 *
 * - `env` (org.apache.flume.configfilter.EnvironmentVariableConfigFilter): the environment variable KEY.
 * - `external` (…ExternalProcessConfigFilter): runs `command` (split on whitespace) with KEY appended;
 *   exit status 0 required; the first line of stdout decoded with `charset` (default UTF-8).
 * - `hadoop` (…HadoopCredentialStoreConfigFilter): reading Hadoop credential stores needs Hadoop's Java
 *   keystore code; flumen reports it as unsupported and leaves the placeholders.
 */

import { execFile } from 'node:child_process'
import type { DiagnosticCode, PropertyValue, Severity } from '../core/spec.ts'

type Report = (
  severity: Severity,
  code: DiagnosticCode,
  message: string,
  at: PropertyValue | undefined,
  path: string | undefined,
) => void

export interface ConfigFilterInput {
  readonly agent: string
  readonly filters: readonly string[]
  readonly filterContexts: ReadonlyMap<string, ReadonlyMap<string, PropertyValue>>
  /** Component property maps whose values are rewritten in place. */
  readonly targets: readonly Map<string, Map<string, PropertyValue>>[]
  readonly report: Report
  readonly env: NodeJS.ProcessEnv
}

type Lookup = (key: string) => Promise<string | undefined>

const ESCAPE = /[.*+?^${}()|[\]\\]/g

function runExternal(command: string[], key: string, charset: BufferEncoding): Promise<string | undefined> {
  return new Promise((resolve) => {
    const [file, ...args] = command
    if (file === undefined) {
      resolve(undefined)
      return
    }
    execFile(
      file,
      [...args, key],
      { encoding: 'buffer', timeout: 30_000, maxBuffer: 1 << 20 },
      (err, stdout) => {
        if (err !== null) {
          resolve(undefined)
          return
        }
        const text = stdout.toString(charset)
        const nl = text.search(/\r?\n/)
        resolve(nl < 0 ? text : text.slice(0, nl))
      },
    )
  })
}

const CHARSETS: Record<string, BufferEncoding> = {
  'utf-8': 'utf8',
  utf8: 'utf8',
  'iso-8859-1': 'latin1',
  latin1: 'latin1',
  'us-ascii': 'ascii',
  'utf-16le': 'utf16le',
}

export async function applyConfigFilters(input: ConfigFilterInput): Promise<void> {
  const lookups: [string, Lookup][] = []
  for (const name of input.filters) {
    const ctx = input.filterContexts.get(name)
    const path = `${input.agent}.configfilters.${name}`
    const type = ctx?.get('type')
    if (ctx === undefined || type === undefined) {
      input.report(
        'error',
        'COMPONENT_TYPE_MISSING',
        `config filter '${name}' has no type; its placeholders are left as they are`,
        undefined,
        `${path}.type`,
      )
      continue
    }
    const t = type.value.toLowerCase()
    if (t === 'env' || t === 'org.apache.flume.configfilter.environmentvariableconfigfilter') {
      lookups.push([name, async (k) => input.env[k]])
    } else if (t === 'external' || t === 'org.apache.flume.configfilter.externalprocessconfigfilter') {
      const command = ctx.get('command')
      if (command === undefined) {
        input.report(
          'error',
          'MISSING_REQUIRED',
          `config filter '${name}' (external) needs 'command'`,
          type,
          `${path}.command`,
        )
        continue
      }
      const cs = (ctx.get('charset')?.value ?? 'UTF-8').toLowerCase()
      const enc = CHARSETS[cs]
      if (enc === undefined) {
        input.report(
          'error',
          'INVALID_VALUE',
          `config filter '${name}': unsupported charset '${cs}'`,
          ctx.get('charset'),
          `${path}.charset`,
        )
        continue
      }
      const argv = command.value.split(/\s+/).filter((s) => s.length > 0)
      lookups.push([name, (k) => runExternal(argv, k, enc)])
    } else if (t === 'hadoop' || t === 'org.apache.flume.configfilter.hadoopcredentialstoreconfigfilter') {
      input.report(
        'error',
        'UNSUPPORTED_COMPONENT',
        `config filter '${name}' (hadoop credential store) is not supported by flumen; use an env or external filter`,
        type,
        `${path}.type`,
      )
    } else {
      input.report(
        'error',
        'UNKNOWN_COMPONENT_TYPE',
        `Unknown config filter type '${type.value}'`,
        type,
        `${path}.type`,
      )
    }
  }

  for (const [name, lookup] of lookups) {
    const re = new RegExp(`\\$\\{${name.replace(ESCAPE, '\\$&')}\\[(|'|")([-_a-zA-Z0-9]+)\\1\\]\\}`, 'g')
    for (const target of input.targets) {
      for (const props of target.values()) {
        for (const [k, pv] of props) {
          if (!pv.value.includes('${')) continue
          let value = pv.value
          for (const m of pv.value.matchAll(re)) {
            const key = m[2] as string
            const v = await lookup(key)
            if (v === undefined) {
              input.report(
                'warning',
                'UNRESOLVED_VARIABLE',
                `config filter '${name}' has no value for '${key}'; the placeholder is left as it is`,
                pv,
                k,
              )
              continue
            }
            value = value.split(m[0]).join(v)
          }
          if (value !== pv.value) props.set(k, { ...pv, value })
        }
      }
    }
  }
}
