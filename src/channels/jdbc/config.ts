/**
 * The JDBC channel's properties (Flume's keys and their `org.apache.flume.channel.jdbc.` long forms) and
 * how `driver.url` picks the database:
 *
 * | driver.url                                   | database                                                    |
 * |----------------------------------------------|-------------------------------------------------------------|
 * | (none)                                       | SQLite `<user.home>/.flume/jdbc-channel/flumen-channel.sqlite` |
 * | `jdbc:derby:<dir>[;attributes]`              | SQLite `<dir>/flumen-channel.sqlite` (Derby's own files untouched) |
 * | `jdbc:sqlite:<file>`                         | SQLite `<file>`                                             |
 * | `jdbc:postgresql://host[:port]/db[?k=v…]`    | PostgreSQL (also `postgres://…`, `postgresql://…`)          |
 * | `jdbc:mysql://…`, `jdbc:mariadb://…`         | MariaDB / MySQL                                             |
 *
 * `user.home` for the default comes from `sysprop.user.home` (Flume sets sysprop.* as JVM system properties
 * before computing its default), then `-Duser.home`, then the home directory.
 */

import { homedir } from 'node:os'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { bool, type ConfigOf, int, long, oneOf, prefixed, str } from '../../core/spec.ts'
import type { IsolationLevel } from './backend.ts'

const LEGACY = 'org.apache.flume.channel.jdbc.'
const legacy = (key: string) => [`${LEGACY}${key}`]

export const jdbcFields = {
  dbType: str({
    key: 'db.type',
    aliases: legacy('db.type'),
    doc: "DERBY (Flume's default: embedded, here SQLite), MYSQL, POSTGRESQL or SQLITE. The backend follows driver.url; a mismatch is warned about.",
  }),
  driverClass: str({
    key: 'driver.class',
    aliases: legacy('driver.class'),
    doc: 'Java driver class; not needed (the backend follows driver.url). Accepted for compatibility.',
  }),
  driverUrl: str({
    key: 'driver.url',
    aliases: legacy('driver.url'),
    doc: 'Connection URL (see the table in docs/jdbc-channel.md). None: embedded SQLite under ~/.flume/jdbc-channel.',
  }),
  username: str({
    key: 'db.username',
    aliases: legacy('db.username'),
    doc: 'Database user (server databases).',
  }),
  password: str({ key: 'db.password', aliases: legacy('db.password'), doc: 'Database password.' }),
  propertiesFile: str({
    key: 'connection.properties.file',
    aliases: legacy('connection.properties.file'),
    doc: 'A .properties file of driver settings: user, password (overridden by db.username/db.password), ssl, application_name.',
  }),
  createSchema: bool({
    key: 'create.schema',
    aliases: legacy('create.schema'),
    default: true,
    doc: 'Create the table when it does not exist; false: fail to start without it.',
  }),
  createIndex: bool({
    key: 'create.index',
    aliases: legacy('create.index'),
    default: true,
    doc: "Flume's Derby schema option; flumen's table is indexed by its primary key either way.",
  }),
  createForeignKey: bool({
    key: 'create.foreignkey',
    aliases: legacy('create.foreignkey'),
    default: true,
    doc: "Flume's Derby schema option; flumen's single table has no foreign keys.",
  }),
  isolation: oneOf({
    key: 'transaction.isolation',
    aliases: legacy('transaction.isolation'),
    values: ['READ_UNCOMMITTED', 'READ_COMMITTED', 'REPEATABLE_READ', 'SERIALIZABLE'],
    default: 'READ_COMMITTED',
    doc: 'Isolation level of the database sessions (PostgreSQL, MariaDB; SQLite is always serializable).',
  }),
  maxConnections: int({
    key: 'maximum.connections',
    aliases: legacy('maximum.connections'),
    default: 10,
    min: 1,
    invalid: 'default',
    doc: 'Connection pool size (server databases).',
  }),
  maxCapacity: long({
    key: 'maximum.capacity',
    aliases: legacy('maximum.capacity'),
    default: 0,
    min: 0,
    invalid: 'default',
    doc: 'Maximum events in the channel; 0 means no limit.',
  }),
  sysprops: prefixed({
    prefix: 'sysprop.',
    doc: 'Java system properties for Derby. Only sysprop.user.home has a meaning here (the default database location); others are ignored with a warning.',
  }),
  legacySysprops: prefixed({
    prefix: `${LEGACY}sysprop.`,
    doc: 'Long form of sysprop.* (deprecated in Flume).',
  }),
  keepAlive: int({
    key: 'keep-alive',
    default: 0,
    min: 0,
    invalid: 'default',
    doc: "flumen: seconds a take waits for an event and a commit waits for capacity. Flume's JDBC channel never waits (0).",
  }),
  transactionCapacity: int({
    key: 'transactionCapacity',
    default: 0,
    min: 0,
    invalid: 'default',
    doc: 'flumen: maximum puts or takes per transaction; 0 means no limit (Flume has no limit for this channel).',
  }),
}

export type JdbcChannelConfig = ConfigOf<typeof jdbcFields>

export type JdbcTarget =
  | { readonly kind: 'sqlite'; readonly file: string; readonly dir: string }
  | {
      readonly kind: 'postgresql' | 'mariadb'
      readonly host: string
      readonly port: number
      readonly database: string
      readonly user: string | undefined
      readonly password: string | undefined
      readonly extra: Readonly<Record<string, string>>
    }

export const SQLITE_FILE = 'flumen-channel.sqlite'

function parseServerUrl(
  url: string,
  kind: 'postgresql' | 'mariadb',
  defaultPort: number,
): JdbcTarget | string {
  let u: URL
  try {
    u = new URL(url.replace(/^jdbc:/, '').replace(/^(postgres|postgresql|mysql|mariadb):/, 'db:'))
  } catch {
    return `driver.url '${url}' is not a valid URL`
  }
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''))
  if (u.hostname === '' || database === '') {
    return `driver.url '${url}' must name a host and a database (jdbc:${kind === 'mariadb' ? 'mysql' : 'postgresql'}://host:port/database)`
  }
  const extra: Record<string, string> = {}
  for (const [k, v] of u.searchParams) extra[k] = v
  return {
    kind,
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port === '' ? defaultPort : Number(u.port),
    database,
    user: u.username !== '' ? decodeURIComponent(u.username) : extra.user,
    password: u.password !== '' ? decodeURIComponent(u.password) : extra.password,
    extra,
  }
}

/** Where the channel's data lives, or why the URL is not usable. */
export function resolveTarget(cfg: JdbcChannelConfig, sys: ReadonlyMap<string, string>): JdbcTarget | string {
  const url = cfg.driverUrl?.trim() ?? ''
  const sysprop = (k: string) => cfg.sysprops.get(k) ?? cfg.legacySysprops.get(k)
  if (url === '') {
    const home = (sysprop('user.home') ?? sys.get('user.home') ?? homedir()).replace(/\\/g, '/')
    const dir = `${home}/.flume/jdbc-channel`
    return { kind: 'sqlite', dir, file: join(dir, SQLITE_FILE) }
  }
  if (url.startsWith('jdbc:derby:')) {
    const path = url.slice('jdbc:derby:'.length).split(';')[0] ?? ''
    if (path === '' || path.startsWith('memory:')) {
      return `driver.url '${url}': an in-memory Derby database is not durable; use a directory (jdbc:derby:/path/db) or jdbc:sqlite:<file>`
    }
    const base = sysprop('derby.system.home')
    const dir = isAbsolute(path) ? path : resolve(base ?? '.', path)
    return { kind: 'sqlite', dir, file: join(dir, SQLITE_FILE) }
  }
  if (url.startsWith('jdbc:sqlite:')) {
    const file = resolve(url.slice('jdbc:sqlite:'.length))
    return { kind: 'sqlite', dir: dirname(file), file }
  }
  if (/^(jdbc:)?postgres(ql)?:\/\//.test(url)) return parseServerUrl(url, 'postgresql', 5432)
  if (/^(jdbc:)?(mysql|mariadb):\/\//.test(url)) return parseServerUrl(url, 'mariadb', 3306)
  return `driver.url '${url}' is not supported: flumen's JDBC channel uses embedded SQLite (no URL, jdbc:derby:<dir> or jdbc:sqlite:<file>), PostgreSQL (jdbc:postgresql://…) or MariaDB/MySQL (jdbc:mysql://…)`
}

/** Warnings for Flume settings that have no effect here (Derby-only and Java-only ones). */
export function jdbcWarnings(cfg: JdbcChannelConfig, target: JdbcTarget): string[] {
  const w: string[] = []
  for (const [k] of [...cfg.sysprops, ...cfg.legacySysprops]) {
    if (k === 'user.home' || k === 'derby.system.home') continue
    w.push(`sysprop.${k} is a Java/Derby system property; flumen has no JVM or Derby and ignores it`)
  }
  const type = cfg.dbType?.trim().toUpperCase()
  const expected =
    target.kind === 'sqlite'
      ? ['DERBY', 'SQLITE']
      : target.kind === 'postgresql'
        ? ['POSTGRESQL']
        : ['MYSQL', 'MARIADB']
  if (type !== undefined && !expected.includes(type)) {
    w.push(
      `db.type ${cfg.dbType} does not match driver.url; the database is chosen by the URL (${target.kind})`,
    )
  }
  if (cfg.driverClass !== undefined && target.kind === 'sqlite' && !/derby|sqlite/i.test(cfg.driverClass)) {
    w.push(`driver.class ${cfg.driverClass} is not used: flumen picks the database from driver.url`)
  }
  return w
}

export function isolationOf(cfg: JdbcChannelConfig): IsolationLevel {
  return cfg.isolation as IsolationLevel
}
