/**
 * utmpx: the Unix user-accounting databases (utmp, wtmp, btmp, lastlog)
 * from Node.js.
 */
export { UtmpFile } from './utmp-file';
export type { UtmpFileOptions } from './utmp-file';
export { chooseSource, chooseLiveSource, defaultUtmpPath, paths, typeName, typeCode, WTMPDB_PATH, LASTLOG2_PATH } from './platform';
export type { UtmpSource, LiveFacts, UtmpType, TypeNumbering, DatabasePaths } from './platform';
export type { UtmpEntry, ExitStatus } from './entry';
export { devicePath, addressText } from './entry';
export { LAYOUTS, detectLayout, hostLayout } from './layouts';
export type { LayoutName, RecordLayout, IntField, BytesField } from './layouts';
export { UtmpRecordError } from './warnings';
export type { UtmpWarning, UtmpWarningCode, WarningOptions } from './warnings';
export type { NativePlatform } from './native';
export { LastlogFile, lastLogin, lastLoginAsync } from './lastlog';
export type { LastlogEntry, LastlogFileOptions, LastlogKey, LastlogLayout, LastlogLayoutName } from './lastlog';
export { sessions, sessionsAsync } from './sessions';
export type { Session, SessionEnd, SessionKind, SessionsOptions } from './sessions';
export {
  users, usersAsync, bootTime, bootTimeAsync, runLevel, runLevelAsync, failedLogins, failedLoginsAsync, processExists,
} from './functions';
export {
  logindSessions, logindSessionsAsync, logindEntries, logindLibrary, LogindEntry,
} from './modern/logind';
export type { LogindSession } from './modern/logind';
export type { DataSource } from './modern/source';
export { liveSource } from './functions';
export type { UsersOptions, UtmpQueryOptions, RunLevel, FailedLoginsOptions } from './functions';
export { watch, Watch } from './watch';
export type {
  WatchOptions, WatchFileKind, WatchEvent, WatchEventType, WatchWarning, WatchGap, WatchItem, WatchPosition, WatchSource,
} from './watch';
// Types that public signatures name (UtmpFile#progress, WatchOptions.sources, WatchSource); logindLibrary()'s
// addon parameter, a test hook, stays out on purpose (typedoc.json intentionallyNotExported).
export type { WatchSourceName, SourcePosition, FilePosition, SlotsPosition, SourceSink, StartPoint, WakeReason } from './watch';
export type { SourceEvent, SourceGap, SourceWarning } from './watch/events';
export type { WatchLogin } from './watch/events';
export type { StoredLogin } from './watch/pairing';
export type { ReadProgress } from './entry-cursor';
export { historySource } from './sessions';
export { LASTLOG_LAYOUTS, detectLastlogLayout, lastlogSource } from './lastlog';
export { wtmpdbRows, wtmpdbRowsAsync } from './modern/wtmpdb';
export type { WtmpdbRow, WtmpdbRowsOptions } from './modern/wtmpdb';
export { lastlog2Rows, lastlog2RowsAsync } from './modern/lastlog2';
export type { Lastlog2Row } from './modern/lastlog2';
export { isSqliteFile, sqliteInfo } from './modern/sqlite';
