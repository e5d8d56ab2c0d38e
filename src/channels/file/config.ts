/**
 * The file channel's properties, with Flume's keys, defaults and quirks (reference §4.3). The spillable
 * memory channel reuses them for its overflow (minus capacity and keep-alive, which it sets itself).
 */

import { homedir } from 'node:os'
import { isAbsolute, resolve } from 'node:path'
import { bool, type ConfigOf, custom, Invalid, int, long, prefixed, str } from '../../core/spec.ts'
import { CIPHER_PROVIDERS, type EncryptionConfig, KEY_PROVIDERS } from './encryption.ts'

/** Flume's cap and default for maxFileSize: Integer.MAX_VALUE − 500 MiB. */
export const DEFAULT_MAX_FILE_SIZE = 1623195647
export const DEFAULT_MINIMUM_REQUIRED_SPACE = 524288000
export const FLOOR_MINIMUM_REQUIRED_SPACE = 1048576

/** Every file channel key except capacity and keep-alive (shared with spillablememory). */
export const fileChannelCommonFields = {
  checkpointDir: str({
    key: 'checkpointDir',
    doc: 'Directory for the checkpoint. Default `~/.flume/file-channel/checkpoint` (`~` = the user.home system property, else the home directory).',
  }),
  useDualCheckpoints: bool({
    key: 'useDualCheckpoints',
    default: false,
    doc: 'Also keep a copy of each checkpoint in backupCheckpointDir, used when the primary is damaged.',
  }),
  backupCheckpointDir: str({
    key: 'backupCheckpointDir',
    doc: 'Directory for the backup checkpoint (required with useDualCheckpoints; must differ from checkpointDir).',
  }),
  compressBackupCheckpoint: bool({
    key: 'compressBackupCheckpoint',
    default: false,
    doc: 'Gzip the backup checkpoint.',
  }),
  dataDirs: custom({
    key: 'dataDirs',
    typeName: 'comma-separated directories',
    doc: 'Comma-separated directories for the data log, used together (each transaction goes to one). Default `~/.flume/file-channel/data`.',
    parse(raw, report) {
      // Flume compat: Splitter.on(",").trimResults().omitEmptyStrings().
      const dirs = raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0)
      if (dirs.length === 0) {
        report('dataDirs lists no directory')
        return Invalid
      }
      return dirs as readonly string[]
    },
  }),
  transactionCapacity: int({
    key: 'transactionCapacity',
    default: 10000,
    min: 1,
    invalid: 'default',
    doc: 'Maximum puts or takes in one transaction; must not exceed capacity.',
  }),
  checkpointInterval: long({
    key: 'checkpointInterval',
    default: 30000,
    min: 1,
    invalid: 'default',
    doc: 'Milliseconds between checkpoints (they bound the replay after a crash).',
  }),
  maxFileSize: long({
    key: 'maxFileSize',
    default: DEFAULT_MAX_FILE_SIZE,
    min: 1,
    invalid: 'default',
    doc: 'Bytes after which a data file is closed and a new one started; values above the default are capped to it.',
  }),
  minimumRequiredSpace: long({
    key: 'minimumRequiredSpace',
    default: DEFAULT_MINIMUM_REQUIRED_SPACE,
    doc: 'Free bytes to keep on every channel directory; below it puts are refused. Never less than 1048576.',
  }),
  useLogReplayV1: bool({
    key: 'use-log-replay-v1',
    default: false,
    doc: 'Java Flume replay option; accepted and ignored (flumen has one replay).',
  }),
  useFastReplay: bool({
    key: 'use-fast-replay',
    default: false,
    doc: 'Java Flume replay option; accepted and ignored (flumen always replays in memory).',
  }),
  checkpointOnClose: bool({
    key: 'checkpointOnClose',
    default: true,
    doc: 'Write a checkpoint when the channel stops, so the next start replays nothing.',
  }),
  fsyncPerTransaction: bool({
    key: 'fsyncPerTransaction',
    default: true,
    doc: 'fsync at every commit (group-committed). false: fsync every fsyncInterval seconds; a power loss may lose the last seconds of commits (a process crash loses nothing).',
  }),
  fsyncInterval: int({
    key: 'fsyncInterval',
    default: 5,
    min: 1,
    invalid: 'default',
    doc: 'Seconds between fsyncs when fsyncPerTransaction is false.',
  }),
  encryptionActiveKey: str({
    key: 'encryption.activeKey',
    doc: 'Alias of the key that encrypts new data files (required with encryption.keyProvider).',
  }),
  encryptionCipherProvider: str({
    key: 'encryption.cipherProvider',
    doc: 'AESCTRNOPADDING (Flume) or AESGCM; both write AES-GCM.',
  }),
  encryptionKeyProvider: str({
    key: 'encryption.keyProvider',
    doc: 'JCEKSFILE (a Java JCEKS keystore, as Flume) or ENV (keys in environment variables).',
  }),
  encryptionKeyProviderProps: prefixed({
    prefix: 'encryption.keyProvider.',
    doc: 'Key provider settings: keyStoreFile, keyStorePasswordFile, keys, keys.<alias>.passwordFile (JCEKSFILE); keys, keys.<alias>.envVar (ENV).',
  }),
}

export const fileChannelFields = {
  capacity: int({
    key: 'capacity',
    default: 1000000,
    min: 1,
    invalid: 'default',
    doc: 'Maximum number of events stored in the channel.',
  }),
  keepAlive: int({
    key: 'keep-alive',
    default: 3,
    min: 0,
    invalid: 'default',
    doc: 'Seconds a commit waits for capacity, and a take waits for an event.',
  }),
  ...fileChannelCommonFields,
}

export type FileChannelCommonConfig = ConfigOf<typeof fileChannelCommonFields>
export type FileChannelConfig = ConfigOf<typeof fileChannelFields>

/** Cross-field rules (Flume's Preconditions in FileChannel.configure). */
export function validateCommon(cfg: FileChannelCommonConfig): string[] {
  const errors: string[] = []
  if (cfg.useDualCheckpoints) {
    if (cfg.backupCheckpointDir === undefined || cfg.backupCheckpointDir.trim() === '') {
      errors.push('useDualCheckpoints is true but backupCheckpointDir is not set')
    } else if (resolve(cfg.backupCheckpointDir.trim()) === resolve((cfg.checkpointDir ?? '').trim())) {
      errors.push('backupCheckpointDir must differ from checkpointDir')
    }
  }
  const kp = cfg.encryptionKeyProvider
  if (kp !== undefined) {
    if (cfg.encryptionActiveKey === undefined || cfg.encryptionActiveKey.trim() === '') {
      errors.push('encryption.activeKey is required when encryption.keyProvider is set')
    }
    if (cfg.encryptionCipherProvider === undefined || cfg.encryptionCipherProvider.trim() === '') {
      errors.push('encryption.cipherProvider is required when encryption.keyProvider is set')
    } else if (!CIPHER_PROVIDERS.includes(cfg.encryptionCipherProvider.trim().toUpperCase())) {
      errors.push(
        `encryption.cipherProvider '${cfg.encryptionCipherProvider}' is not supported (${CIPHER_PROVIDERS.join(' or ')})`,
      )
    }
    if (!KEY_PROVIDERS.includes(kp.trim().toUpperCase())) {
      errors.push(`encryption.keyProvider '${kp}' is not supported (${KEY_PROVIDERS.join(' or ')})`)
    }
  } else {
    // Flume compat: these without a key provider are configuration errors.
    if (cfg.encryptionActiveKey !== undefined) {
      errors.push('encryption.activeKey is set but encryption.keyProvider is not')
    }
    if (cfg.encryptionCipherProvider !== undefined) {
      errors.push('encryption.cipherProvider is set but encryption.keyProvider is not')
    }
  }
  return errors
}

export function validateFileChannel(cfg: FileChannelConfig): string[] {
  const errors = validateCommon(cfg)
  if (cfg.transactionCapacity > cfg.capacity) {
    errors.push(
      `transactionCapacity (${cfg.transactionCapacity}) cannot be higher than capacity (${cfg.capacity})`,
    )
  }
  return errors
}

/** Everything the running channel needs, resolved (paths absolute, Flume's caps and floors applied). */
export interface ResolvedFileChannelConfig {
  readonly capacity: number
  readonly keepAliveMs: number
  readonly transactionCapacity: number
  readonly checkpointDir: string
  readonly backupCheckpointDir: string | undefined
  readonly compressBackupCheckpoint: boolean
  readonly dataDirs: readonly string[]
  readonly checkpointIntervalMs: number
  readonly maxFileSize: number
  readonly minimumRequiredSpace: number
  readonly checkpointOnClose: boolean
  readonly fsyncPerTransaction: boolean
  readonly fsyncIntervalMs: number
  readonly encryption: EncryptionConfig | undefined
}

export function resolveConfig(
  cfg: FileChannelCommonConfig & { capacity: number; keepAlive: number },
  sys: ReadonlyMap<string, string>,
): ResolvedFileChannelConfig {
  const home = (sys.get('user.home') ?? homedir()).replace(/\\/g, '/')
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(p))
  const providerProps = new Map(cfg.encryptionKeyProviderProps)
  return {
    capacity: cfg.capacity,
    keepAliveMs: cfg.keepAlive * 1000,
    transactionCapacity: cfg.transactionCapacity,
    checkpointDir: abs(cfg.checkpointDir?.trim() ?? `${home}/.flume/file-channel/checkpoint`),
    backupCheckpointDir:
      cfg.useDualCheckpoints && cfg.backupCheckpointDir !== undefined
        ? abs(cfg.backupCheckpointDir.trim())
        : undefined,
    compressBackupCheckpoint: cfg.compressBackupCheckpoint,
    dataDirs: (cfg.dataDirs ?? [`${home}/.flume/file-channel/data`]).map(abs),
    checkpointIntervalMs: cfg.checkpointInterval,
    maxFileSize: Math.min(cfg.maxFileSize, DEFAULT_MAX_FILE_SIZE),
    minimumRequiredSpace: Math.max(cfg.minimumRequiredSpace, FLOOR_MINIMUM_REQUIRED_SPACE),
    checkpointOnClose: cfg.checkpointOnClose,
    fsyncPerTransaction: cfg.fsyncPerTransaction,
    fsyncIntervalMs: cfg.fsyncInterval * 1000,
    encryption:
      cfg.encryptionKeyProvider === undefined
        ? undefined
        : {
            activeKey: (cfg.encryptionActiveKey ?? '').trim(),
            cipherProvider: (cfg.encryptionCipherProvider ?? '').trim().toUpperCase(),
            keyProvider: cfg.encryptionKeyProvider.trim().toUpperCase(),
            providerProps,
          },
  }
}
