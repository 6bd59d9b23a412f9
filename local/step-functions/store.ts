/**
 * Where the local Step Functions service keeps its executions across restarts: a snapshot
 * (`executions.json`, replaced whole by write-temp-then-rename) plus a journal of what happened
 * since (`journal.ndjson`, one record a line, appended in batches). Loading replays the journal
 * on the snapshot; a torn last line (a crash mid-append) is ignored, and records already in the
 * snapshot (a crash between the snapshot's rename and the journal's truncation) are skipped by
 * their sequence number. So an event costs one buffered line, never a rewrite of every execution.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { ExecutionStatus } from './executions';

/** Where a running execution is parked, so a restart resumes it there. */
export interface Checkpoint {
  /** A top-level state of the definition. */
  state: string;
  /** The state's raw input, as it entered. */
  input: unknown;
  /** A Wait: when it falls due (epoch ms, real time). */
  dueAt?: number;
  /** A `.waitForTaskToken` task: the token the target was given, and when the task times out (epoch ms). */
  token?: string;
  timeoutAt?: number;
}

export interface StoredEvent {
  id: number;
  previousEventId: number;
  /** Epoch ms. */
  timestamp: number;
  type: string;
  [details: string]: unknown;
}

export interface StoredExecution {
  arn: string;
  name: string;
  machineArn: string;
  input: string;
  status: ExecutionStatus;
  /** Epoch ms. */
  startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  history: StoredEvent[];
  checkpoint?: Checkpoint;
}

export type JournalRecord =
  | { t: 'start'; arn: string; name: string; machineArn: string; input: string; startDate: number }
  | { t: 'event'; arn: string; event: StoredEvent }
  | { t: 'checkpoint'; arn: string; checkpoint: Checkpoint }
  | { t: 'end'; arn: string; status: ExecutionStatus; stopDate: number; output?: string; error?: string; cause?: string };

type Sequenced = JournalRecord & { seq: number };

interface Snapshot {
  format: 1;
  /** The last journal record folded in. */
  seq: number;
  executions: StoredExecution[];
}

export interface ExecutionStoreOptions {
  dir: string;
  /** How long appended records may wait in memory before they are written. Default 50 ms. */
  flushDelayMs?: number;
  /** A journal larger than this is folded into a new snapshot. Default 64 MiB. */
  compactBytes?: number;
  /** Ended executions older than this (real ms since their stop) are dropped at compaction. Default 90 days, as AWS keeps them. */
  retainEndedMs?: number;
  log?: (line: string) => void;
  /** Every execution as it is now, for a compaction: the service's own records are the truth, the store keeps no copy. */
  current: () => StoredExecution[];
}

export class ExecutionStore {
  private readonly snapshotFile: string;
  private readonly journalFile: string;
  private seq = 0;
  private pending: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private journal: FileHandle | undefined;
  private journalBytes = 0;
  /** Serializes writes: a flush never overlaps another flush or a compaction. */
  private writing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: ExecutionStoreOptions) {
    mkdirSync(options.dir, { recursive: true });
    this.snapshotFile = path.join(options.dir, 'executions.json');
    this.journalFile = path.join(options.dir, 'journal.ndjson');
  }

  /** Reads the snapshot and replays the journal: every execution as last recorded. */
  load(): StoredExecution[] {
    const executions = new Map<string, StoredExecution>();
    let snapshotSeq = 0;
    if (existsSync(this.snapshotFile)) {
      const snapshot = JSON.parse(readFileSync(this.snapshotFile, 'utf8')) as Partial<Snapshot>;
      if (snapshot.format !== 1 || snapshot.seq === undefined || !snapshot.executions)
        throw new Error(`${this.snapshotFile}: unknown format ${String(snapshot.format)}`);
      snapshotSeq = snapshot.seq;
      for (const execution of snapshot.executions) executions.set(execution.arn, execution);
    }
    this.seq = snapshotSeq;
    if (existsSync(this.journalFile)) {
      const text = readFileSync(this.journalFile, 'utf8');
      this.journalBytes = Buffer.byteLength(text);
      const lines = text.split('\n');
      for (const [index, line] of lines.entries()) {
        if (line === '') continue;
        let record: Sequenced;
        try {
          record = JSON.parse(line) as Sequenced;
        } catch (error) {
          // Only the last line can be torn by a crash; anything else is a damaged file.
          if (index >= lines.length - 2) break;
          throw new Error(`${this.journalFile}: line ${index + 1} is not JSON`, { cause: error });
        }
        if (record.seq <= snapshotSeq) continue;
        this.seq = Math.max(this.seq, record.seq);
        const { seq: _seq, ...change } = record;
        apply(executions, change);
      }
    }
    return [...executions.values()];
  }

  /** Records a change; it reaches the disk within the flush delay (or at `flush`/`close`). */
  append(record: JournalRecord): void {
    if (this.closed) return;
    this.seq += 1;
    this.pending.push(JSON.stringify({ ...record, seq: this.seq }));
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush().catch((error: unknown) => this.options.log?.(`sfn store: write failed: ${String(error)}`));
    }, this.options.flushDelayMs ?? 50);
  }

  /** Writes what is pending; compacts when the journal has grown past its limit. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const lines = this.pending;
    this.pending = [];
    this.writing = this.writing.then(async () => {
      if (lines.length > 0) {
        const chunk = lines.join('\n') + '\n';
        this.journal ??= await open(this.journalFile, 'a');
        await this.journal.write(chunk);
        this.journalBytes += Buffer.byteLength(chunk);
      }
      if (this.journalBytes > (this.options.compactBytes ?? 64 * 1024 * 1024)) await this.compactNow();
    });
    return this.writing;
  }

  /** Flushes, folds everything into a fresh snapshot, and stops recording. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    this.writing = this.writing.then(() => this.compactNow());
    await this.writing;
    await this.journal?.close();
    this.journal = undefined;
  }

  /** A new snapshot (temp file, fsync, rename), then an empty journal. */
  private async compactNow(): Promise<void> {
    const keepAfter = Date.now() - (this.options.retainEndedMs ?? 90 * 24 * 3600 * 1000);
    const executions = this.options.current().filter((execution) => execution.stopDate === undefined || execution.stopDate >= keepAfter);
    const snapshot: Snapshot = { format: 1, seq: this.seq, executions };
    const temp = `${this.snapshotFile}.tmp`;
    const fd = openSync(temp, 'w');
    try {
      writeSync(fd, JSON.stringify(snapshot));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, this.snapshotFile);
    // Records up to `seq` are in the snapshot now; a crash before this truncation only replays skipped lines.
    await this.journal?.close();
    this.journal = await open(this.journalFile, 'w');
    this.journalBytes = 0;
  }
}

/** Folds one record into the executions (the same code when recording and when replaying). */
function apply(executions: Map<string, StoredExecution>, record: JournalRecord): void {
  if (record.t === 'start') {
    executions.set(record.arn, {
      arn: record.arn,
      name: record.name,
      machineArn: record.machineArn,
      input: record.input,
      status: 'RUNNING',
      startDate: record.startDate,
      history: [],
    });
    return;
  }
  const execution = executions.get(record.arn);
  if (!execution) return;
  switch (record.t) {
    case 'event':
      execution.history.push(record.event);
      return;
    case 'checkpoint':
      execution.checkpoint = record.checkpoint;
      return;
    case 'end': {
      const { t: _t, arn: _arn, ...outcome } = record;
      Object.assign(execution, outcome);
      delete execution.checkpoint;
      return;
    }
  }
}
