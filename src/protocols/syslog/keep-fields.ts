/**
 * `keepFields`: which parsed header fields stay in the event body (Flume's SyslogUtils.chooseFieldsToKeep
 * and addFieldsToBody, shared by all three syslog sources).
 *
 * - `none` / `false` (default): the body is the message after the hostname;
 * - `all` / `true`: the body is the whole line as received, `<PRI>` included;
 * - otherwise any of `priority version timestamp hostname`, found by substring anywhere in the value
 *   (Flume compat: `priority,hostname` and `hostnames` both select hostname). The kept fields are put back
 *   in front of the body in syslog order: `<PRI>VERSION TIMESTAMP HOSTNAME body`.
 */

export interface KeepFields {
  readonly all: boolean
  readonly priority: boolean
  readonly version: boolean
  readonly timestamp: boolean
  readonly hostname: boolean
}

export const KEEP_NONE: KeepFields = Object.freeze({
  all: false,
  priority: false,
  version: false,
  timestamp: false,
  hostname: false,
})

export function parseKeepFields(text: string): KeepFields {
  const v = text.trim().toLowerCase()
  if (v === 'false' || v === 'none') return KEEP_NONE
  if (v === 'true' || v === 'all') return Object.freeze({ ...KEEP_NONE, all: true })
  return Object.freeze({
    all: false,
    priority: v.includes('priority'),
    version: v.includes('version'),
    timestamp: v.includes('timestamp'),
    hostname: v.includes('hostname'),
  })
}

/** True when some (but not all) fields go back into the body. */
export function keepsSome(k: KeepFields): boolean {
  return !k.all && (k.priority || k.version || k.timestamp || k.hostname)
}

/**
 * The text put in front of the body for the kept fields, as latin1 (each char one byte; the pieces are
 * slices of the original line read as latin1, so their bytes are reproduced exactly).
 */
export function keptPrefix(
  k: KeepFields,
  priority: string,
  version: string | undefined,
  timestamp: string,
  hostname: string,
): string {
  let p = ''
  if (k.priority) p += `<${priority}>`
  if (k.version && version !== undefined && version.length > 0) p += `${version} `
  if (k.timestamp) p += `${timestamp} `
  if (k.hostname) p += `${hostname} `
  return p
}
