// Rebuilds the log from the records of every segment, oldest first. Segments that held only
// compacted or replaced entries may have been deleted, so replay cannot rely on seeing every
// entry from index 1. It relies instead on two facts the writer guarantees:
//  - every snapshot marker after the last one that replaced the log is at least as high as
//    the ones before it, so the last marker is the origin the log had when the node stopped;
//  - a deleted segment held only entries at or below that origin, or entries a later
//    replacing snapshot discarded.
// So replay starts after the last replacing marker, with the last marker as origin, and
// applies every entries record above it: that reproduces exactly the log before the stop.

import type { HardState, LogIndex, Term } from '../raft/types.js';
import { EMPTY_HARD_STATE, logIndex, term } from '../raft/types.js';
import { StorageCorruptError } from './errors.js';
import { InMemoryLog } from './in-memory-log.js';
import type { ScannedRecord } from './segment-scan.js';
import { WalRecordType } from './wal-record.js';

export interface SegmentRecords {
  readonly file: string;
  readonly records: readonly ScannedRecord[];
}

/** What the writer needs to know of a segment to decide when it may be deleted. */
export interface SegmentContents {
  /** The highest index of any entry written to the segment since it last recorded a replacing snapshot (0 if none). */
  maxEntryIndex: number;
  /** A snapshot that replaced the whole log was recorded in a later segment. */
  supersededBySnapshot: boolean;
}

export interface ReplayedLog {
  readonly log: InMemoryLog;
  readonly hardState: HardState;
  /** One per segment, in the order given. */
  readonly contents: SegmentContents[];
}

interface RecordPosition {
  readonly segment: number;
  readonly record: number;
}

export function replaySegments(segments: readonly SegmentRecords[]): ReplayedLog {
  const survey = surveyRecords(segments);
  const log = new InMemoryLog(survey.origin.index, survey.origin.term);
  const start = survey.lastReplacement;
  for (let s = start?.segment ?? 0; s < segments.length; s++) {
    const { file, records } = segments[s]!;
    const firstRecord = s === start?.segment ? start.record + 1 : 0;
    for (let r = firstRecord; r < records.length; r++) {
      const { record, offset } = records[r]!;
      if (record.type !== WalRecordType.Entries || record.entries.length === 0) continue;
      if (!log.overwrite(record.entries)) {
        throw new StorageCorruptError(
          file,
          offset,
          `entries from index ${record.entries[0]!.index} leave a gap after the last index ${log.lastIndex()} ` +
            '(a segment is missing)',
        );
      }
    }
  }
  return { log, hardState: survey.hardState, contents: survey.contents };
}

interface RecordSurvey {
  origin: { index: LogIndex; term: Term };
  hardState: HardState;
  lastReplacement: RecordPosition | null;
  contents: SegmentContents[];
}

/** The first pass: the final origin and hard state, the last replacing snapshot, and each segment's contents. */
function surveyRecords(segments: readonly SegmentRecords[]): RecordSurvey {
  const survey: RecordSurvey = {
    origin: { index: logIndex(0), term: term(0) },
    hardState: EMPTY_HARD_STATE,
    lastReplacement: null,
    contents: [],
  };
  segments.forEach(({ records }, segment) => {
    let maxEntryIndex = 0;
    records.forEach(({ record }, index) => {
      if (record.type === WalRecordType.Entries) {
        for (const entry of record.entries) maxEntryIndex = Math.max(maxEntryIndex, entry.index);
      } else if (record.type === WalRecordType.HardState) {
        survey.hardState = record.hardState;
      } else {
        survey.origin = { index: record.index, term: record.term };
        if (!record.replacesLog) return;
        survey.lastReplacement = { segment, record: index };
        maxEntryIndex = 0;
      }
    });
    survey.contents.push({ maxEntryIndex, supersededBySnapshot: false });
  });
  const replacedBefore = survey.lastReplacement?.segment ?? 0;
  for (let s = 0; s < replacedBefore; s++) survey.contents[s]!.supersededBySnapshot = true;
  return survey;
}
