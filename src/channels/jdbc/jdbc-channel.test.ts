/**
 * The JDBC channel on all three databases: embedded SQLite (a temp directory), and the PostgreSQL and
 * MariaDB servers of the test machine (127.0.0.1:5432 trust auth and 127.0.0.1:3306 root, database
 * `test`; CI provisions them). A server that is not reachable fails these tests, never skips them.
 * Every test uses its own channel name, so runs never see each other's rows.
 */

import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import pg from 'pg'
import { channelConformance } from '../../../test/helpers/channel-conformance.ts'
import { compileAgent } from '../../config/compile.ts'
import type { Channel } from '../../core/channel.ts'
import { ChannelError, ChannelFullError } from '../../core/errors.ts'
import { Event, newHeaders } from '../../core/event.ts'
import type { PropertyValue } from '../../core/spec.ts'
import { Registry } from '../../registry.ts'
import { drain, putCommit, removeRoot, silent, takeCommit, tempRoot } from '../file/test-support/harness.ts'
import {
  type JdbcChannelConfig,
  type JdbcTarget,
  jdbcWarnings,
  resolveTarget,
  SQLITE_FILE,
} from './config.ts'
import { JdbcChannel, jdbcSettings } from './index.ts'

const PG_URL = 'jdbc:postgresql://127.0.0.1:5432/test'
const MARIADB_URL = 'jdbc:mysql://127.0.0.1:3306/test'

function config(o: Partial<JdbcChannelConfig> = {}): JdbcChannelConfig {
  return {
    dbType: undefined,
    driverClass: undefined,
    driverUrl: undefined,
    username: undefined,
    password: undefined,
    propertiesFile: undefined,
    createSchema: true,
    createIndex: true,
    createForeignKey: true,
    isolation: 'READ_COMMITTED',
    maxConnections: 4,
    maxCapacity: 0,
    sysprops: new Map(),
    legacySysprops: new Map(),
    keepAlive: 0,
    transactionCapacity: 0,
    ...o,
  }
}

function channel(name: string, o: Partial<JdbcChannelConfig>, sys = new Map<string, string>()): JdbcChannel {
  const c = config(o)
  const t = resolveTarget(c, sys)
  if (typeof t === 'string') throw new Error(t)
  return new JdbcChannel(name, jdbcSettings(c, t), silent, { cacheBytes: 0 })
}

const uniqueName = (p: string) => `${p}_${randomBytes(5).toString('hex')}`

interface Backend {
  readonly label: string
  /** Settings for a channel on this backend, in `root` (a temp dir) where it needs one. */
  readonly settings: (root: string) => Partial<JdbcChannelConfig>
}

const backends: Backend[] = [
  { label: 'sqlite', settings: (root) => ({ driverUrl: `jdbc:derby:${join(root, 'db')};create=true` }) },
  { label: 'postgresql', settings: () => ({ driverUrl: PG_URL, username: 'postgres' }) },
  { label: 'mariadb', settings: () => ({ driverUrl: MARIADB_URL, username: 'root' }) },
]

for (const b of backends) {
  channelConformance(`jdbc (${b.label})`, async (o) => {
    const root = tempRoot('flumen-jdbc-')
    return {
      channel: channel(uniqueName('conf'), {
        ...b.settings(root),
        maxCapacity: o.capacity,
        transactionCapacity: o.transactionCapacity,
        keepAlive: o.keepAlive,
      }),
      cleanup: async () => removeRoot(root),
    }
  })

  describe(`jdbc channel on ${b.label}`, () => {
    it('keeps committed events and their headers across a restart', async () => {
      const root = tempRoot('flumen-jdbc-')
      const name = uniqueName('restart')
      try {
        let ch = channel(name, b.settings(root))
        await ch.start()
        const h = newHeaders({ k: 'v', empty: '', 'ü n i': 'ç ö' })
        const tricky = '__proto__'
        h[tricky] = 'x'
        const tx = ch.begin()
        tx.put([new Event(Buffer.from([0, 255, 10, 13]), h), Event.fromString('second')])
        await tx.commit()
        tx.close()
        await putCommit(ch, ['third'])
        assert.deepEqual(await takeCommit(ch, 2).then((x) => x.length), 2)
        // An open transaction's takes come back after a restart.
        const open = ch.begin()
        assert.equal((await open.take(1)).length, 1)
        await ch.stop()
        ch = channel(name, b.settings(root))
        await ch.start()
        assert.deepEqual(await drain(ch), ['third'])
        await putCommit(ch, ['fourth'])
        await ch.stop()
        ch = channel(name, b.settings(root))
        await ch.start()
        const t2 = ch.begin()
        const got = await t2.take(10)
        assert.deepEqual(
          got.map((e) => e.body.toString()),
          ['fourth'],
        )
        await t2.commit()
        t2.close()
        await ch.stop()

        // Headers and binary bodies round-trip (first restart's events, checked on a fresh channel).
        const name2 = uniqueName('headers')
        let c2 = channel(name2, b.settings(root))
        await c2.start()
        const t3 = c2.begin()
        t3.put([new Event(Buffer.from([0, 255, 10, 13]), h)])
        await t3.commit()
        t3.close()
        await c2.stop()
        c2 = channel(name2, b.settings(root))
        await c2.start()
        const t4 = c2.begin()
        const [e] = await t4.take(1)
        assert.deepEqual([...(e as Event).body], [0, 255, 10, 13])
        assert.deepEqual({ ...(e as Event).headers }, { k: 'v', empty: '', 'ü n i': 'ç ö', [tricky]: 'x' })
        await t4.commit()
        t4.close()
        await c2.stop()
      } finally {
        removeRoot(root)
      }
    })

    if (b.label !== 'sqlite') {
      // (SQLite: channels of one agent share the database by name; another process is refused, see e2e.)
      it('refuses a second channel with the same name on the same database, and says why', async () => {
        const name = uniqueName('lock')
        const a = channel(name, b.settings(''))
        const second = channel(name, b.settings(''))
        try {
          await a.start()
          await assert.rejects(
            second.start(),
            (e: unknown) => e instanceof ChannelError && /in use by another agent/.test(e.message),
          )
          await a.stop()
          await second.start()
        } finally {
          await a.stop()
          await second.stop()
        }
      })

      it('runs sessions at the configured isolation level', async () => {
        const ch = channel(uniqueName('iso'), { ...b.settings(''), isolation: 'SERIALIZABLE' })
        try {
          await ch.start()
          await putCommit(ch, ['i'])
          assert.deepEqual(await drain(ch), ['i'])
        } finally {
          await ch.stop()
        }
      })
    }

    it('refuses puts past maximum.capacity with ChannelFullError', async () => {
      const root = tempRoot('flumen-jdbc-')
      const ch = channel(uniqueName('cap'), { ...b.settings(root), maxCapacity: 3 })
      try {
        await ch.start()
        await putCommit(ch, ['a', 'b', 'c'])
        await assert.rejects(putCommit(ch, ['d']), ChannelFullError)
        assert.equal(ch.counter.snapshot().ChannelFillPercentage, 100)
        await takeCommit(ch, 1)
        await putCommit(ch, ['d'])
        assert.deepEqual(await drain(ch), ['b', 'c', 'd'])
      } finally {
        await ch.stop()
        removeRoot(root)
      }
    })
  })
}

describe('jdbc channel: SQLite specifics', () => {
  it('shares one database between channels of an agent, keeping their events apart', async () => {
    const root = tempRoot('flumen-jdbc-')
    const url = { driverUrl: `jdbc:sqlite:${join(root, 'shared.sqlite')}` }
    const a = channel('a', url)
    const b = channel('b', url)
    try {
      await a.start()
      await b.start()
      await putCommit(a, ['a1', 'a2'])
      await putCommit(b, ['b1'])
      assert.deepEqual(await drain(b), ['b1'])
      assert.deepEqual(await drain(a), ['a1', 'a2'])
    } finally {
      await a.stop()
      await b.stop()
      removeRoot(root)
    }
  })

  it('groups concurrent commits and keeps each one atomic', async () => {
    const root = tempRoot('flumen-jdbc-')
    const ch: Channel = channel('g', { driverUrl: `jdbc:sqlite:${join(root, 'g.sqlite')}` })
    try {
      await ch.start()
      await Promise.all(Array.from({ length: 20 }, (_, i) => putCommit(ch, [`${i}-a`, `${i}-b`])))
      const got = await drain(ch, 7)
      assert.equal(got.length, 40)
      for (let i = 0; i < 20; i++) assert.equal(got.indexOf(`${i}-b`), got.indexOf(`${i}-a`) + 1)
    } finally {
      await ch.stop()
      removeRoot(root)
    }
  })

  it('fails to start without the table when create.schema is false', async () => {
    const root = tempRoot('flumen-jdbc-')
    try {
      const ch = channel('x', { driverUrl: `jdbc:sqlite:${join(root, 'empty.sqlite')}`, createSchema: false })
      await assert.rejects(
        ch.start(),
        /table flumen_channel_events does not exist and create.schema is false/,
      )
    } finally {
      removeRoot(root)
    }
  })

  it("puts the database under the Derby URL's directory, or Flume's default place", async () => {
    const root = tempRoot('flumen-jdbc-')
    try {
      const t = resolveTarget(
        config({ driverUrl: `jdbc:derby:${root}/db;create=true` }),
        new Map(),
      ) as JdbcTarget
      assert.deepEqual(t, { kind: 'sqlite', dir: `${root}/db`, file: `${root}/db/${SQLITE_FILE}` })
      const d = resolveTarget(config({ sysprops: new Map([['user.home', root]]) }), new Map()) as JdbcTarget
      assert.deepEqual(d, {
        kind: 'sqlite',
        dir: `${root}/.flume/jdbc-channel`,
        file: `${root}/.flume/jdbc-channel/${SQLITE_FILE}`,
      })
      const ch = channel('d', { sysprops: new Map([['user.home', root]]) })
      await ch.start()
      await putCommit(ch, ['x'])
      await ch.stop()
      assert.ok(existsSync(join(root, '.flume/jdbc-channel', SQLITE_FILE)))
    } finally {
      removeRoot(root)
    }
  })
})

describe('jdbc channel configuration', () => {
  it('maps driver.url to a database and rejects what it cannot use', () => {
    const pgT = resolveTarget(
      config({ driverUrl: 'jdbc:postgresql://db.example:6432/flume?ssl=true&user=u' }),
      new Map(),
    )
    assert.deepEqual(pgT, {
      kind: 'postgresql',
      host: 'db.example',
      port: 6432,
      database: 'flume',
      user: 'u',
      password: undefined,
      extra: { ssl: 'true', user: 'u' },
    })
    const my = resolveTarget(config({ driverUrl: 'jdbc:mariadb://h/db' }), new Map()) as JdbcTarget
    assert.equal(my.kind, 'mariadb')
    assert.equal(my.kind === 'mariadb' ? my.port : 0, 3306)
    assert.match(
      String(resolveTarget(config({ driverUrl: 'jdbc:oracle:thin:@h:1521:x' }), new Map())),
      /is not supported/,
    )
    assert.match(
      String(resolveTarget(config({ driverUrl: 'jdbc:derby:memory:x' }), new Map())),
      /in-memory Derby/,
    )
  })

  it('warns about Derby-only settings', () => {
    const c = config({ sysprops: new Map([['derby.system.durability', 'test']]), dbType: 'MYSQL' })
    const w = jdbcWarnings(c, resolveTarget(c, new Map()) as JdbcTarget)
    assert.equal(w.length, 2)
    assert.match(w[0] ?? '', /sysprop.derby.system.durability is a Java\/Derby system property/)
    assert.match(w[1] ?? '', /db.type MYSQL does not match driver.url/)
  })

  it('reads the long-form keys and warns that they are deprecated', async () => {
    const props = new Map<string, PropertyValue>(
      [
        ['a1.sources', 'r1'],
        ['a1.channels', 'c1'],
        ['a1.sinks', 'k1'],
        ['a1.sources.r1.type', 'seq'],
        ['a1.sources.r1.channels', 'c1'],
        ['a1.sinks.k1.type', 'null'],
        ['a1.sinks.k1.channel', 'c1'],
        ['a1.channels.c1.type', 'org.apache.flume.channel.jdbc.JdbcChannel'],
        ['a1.channels.c1.org.apache.flume.channel.jdbc.maximum.capacity', '42'],
        ['a1.channels.c1.transaction.isolation', 'SERIALIZABLE'],
      ].map(([k, v], i) => [k as string, { value: v as string, file: 'agent.conf', line: i + 1 }]),
    )
    const c = await compileAgent({
      agentName: 'a1',
      properties: props,
      registry: new Registry(),
      env: {},
      sys: new Map(),
    })
    const cfg = c.channels.get('c1')?.config as JdbcChannelConfig
    assert.equal(cfg.maxCapacity, 42)
    assert.equal(cfg.isolation, 'SERIALIZABLE')
    assert.ok(c.diagnostics.some((d) => d.code === 'DEPRECATED_PROPERTY' && d.line === 9))
  })

  it('reads user and password from connection.properties.file, explicit settings winning', async () => {
    const root = tempRoot('flumen-jdbc-')
    try {
      const file = join(root, 'conn.properties')
      writeFileSync(file, 'user = postgres\npassword = ignored-by-trust-auth\n')
      const ch = channel(uniqueName('props'), { driverUrl: PG_URL, propertiesFile: file })
      await ch.start()
      await putCommit(ch, ['p'])
      assert.deepEqual(await drain(ch), ['p'])
      await ch.stop()
      const bad = channel(uniqueName('props'), { driverUrl: PG_URL, propertiesFile: join(root, 'missing') })
      await assert.rejects(bad.start(), /cannot read connection.properties.file/)
    } finally {
      removeRoot(root)
    }
  })
})

// Rows of channels created by these tests are removed at the end, so the shared databases do not grow.
describe('jdbc channel test cleanup', () => {
  it('removes test rows from the server databases', async () => {
    const c = new pg.Client({ host: '127.0.0.1', port: 5432, database: 'test', user: 'postgres' })
    await c.connect()
    await c.query(
      `DELETE FROM flumen_channel_events WHERE channel ~ '^(conf|restart|headers|lock|cap|props|iso)_'`,
    )
    await c.end()
    const mysql = (await import('mysql2/promise')).default
    const m = await mysql.createConnection({ host: '127.0.0.1', port: 3306, database: 'test', user: 'root' })
    await m.query(
      `DELETE FROM flumen_channel_events WHERE channel REGEXP '^(conf|restart|headers|lock|cap|props|iso)_'`,
    )
    await m.end()
  })
})
