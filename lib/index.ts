/**
 * utmpx: the Unix user-accounting databases (utmp, wtmp, btmp, lastlog)
 * from Node.js.
 */
export { UtmpFile } from './utmp-file';
export type { UtmpFileOptions } from './utmp-file';
export { chooseSource, chooseLiveSource, defaultUtmpPath, paths, typeName, typeCode, WTMPDB_PATH, LASTLOG2_PATH } from './platform/platform';
export type { UtmpReader, UtmpSource, LiveFacts, UtmpType, TypeNumbering, DatabasePaths } from './platform/platform';
export type { UtmpEntry, ExitStatus } from './model/entry';
export { devicePath, addressText } from './model/entry';
export { LAYOUTS, detectLayout, hostLayout } from './records/layouts';
export type { LayoutName, RecordLayout, IntField, BytesField } from './records/layouts';
export { UtmpRecordError } from './model/warnings';
export type { UtmpWarning, UtmpWarningCode, WarningOptions } from './model/warnings';
export type { NativePlatform } from './platform/native';
export { LastlogFile, lastLogin, lastLoginAsync } from './lastlog';
export type { LastlogEntry, LastlogFileOptions, LastlogKey, LastlogLayout, LastlogLayoutName } from './lastlog';
export { sessions, sessionsAsync } from './sessions';
export type { Session, SessionEnd, SessionKind, SessionsOptions } from './sessions';
export {
  users, usersAsync, bootTime, bootTimeAsync, runLevel, runLevelAsync, failedLogins, failedLoginsAsync, processExists,
} from './functions';
export {
  logindSessions, logindSessionsAsync, logindEntries, logindLibrary, LogindEntry,
} from './sources/logind';
export type { LogindSession } from './sources/logind';
export type { DataSource } from './model/data-source';
export { liveSource } from './functions';
export type { UsersOptions, UtmpQueryOptions, RunLevel, FailedLoginsOptions } from './functions';
export { watch, Watch, ecsDocument, ECS_VERSION } from './watch';
export type { EcsOptions, WatchLogin } from './watch';
export type {
  WatchOptions, WatchFileKind, WatchEvent, WatchEventType, WatchWarning, WatchGap, WatchItem, WatchPosition, WatchFeed, WatchSource,
} from './watch';
// Types that public signatures name (UtmpFile#progress, WatchOptions.sources, WatchFeed); logindLibrary()'s
// addon parameter, a test hook, stays out on purpose (typedoc.json intentionallyNotExported).
export type { WatchSourceName, SourcePosition, FilePosition, SlotsPosition, SourceSink, StartPoint, WakeReason } from './watch';
export type { SourceEvent, SourceGap, SourceWarning } from './watch/events';
export type { StoredLogin } from './watch/pairing';
export type { ReadProgress } from './records/entry-cursor';
export { historySource } from './sessions';
export { LASTLOG_LAYOUTS, detectLastlogLayout, lastlogSource } from './lastlog';
export { wtmpdbRows, wtmpdbRowsAsync } from './sources/wtmpdb';
export type { WtmpdbRow, WtmpdbRowsOptions } from './sources/wtmpdb';
export { lastlog2Rows, lastlog2RowsAsync } from './sources/lastlog2';
export type { Lastlog2Row } from './sources/lastlog2';
export { isSqliteFile, sqliteInfo } from './sources/sqlite';
