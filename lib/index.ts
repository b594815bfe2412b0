/**
 * utmpx: the Unix user-accounting databases (utmp, wtmp, btmp, lastlog)
 * from Node.js.
 */
export { UtmpFile, chooseSource, defaultUtmpPath } from './utmp-file';
export type { UtmpFileOptions, UtmpSource } from './utmp-file';
export type { UtmpEntry, ExitStatus } from './entry';
export { devicePath, addressText } from './entry';
export type { UtmpType, TypeNumbering } from './record-types';
export { typeName, typeCode } from './record-types';
export { LAYOUTS, detectLayout, hostLayout } from './layouts';
export type { LayoutName, RecordLayout, IntField, BytesField } from './layouts';
export { UtmpRecordError } from './warnings';
export type { UtmpWarning, UtmpWarningCode, WarningOptions } from './warnings';
export { paths } from './paths';
export type { DatabasePaths } from './paths';
export type { NativePlatform } from './native';
export { LastlogFile, lastLogin, lastLoginAsync } from './lastlog';
export type { LastlogEntry, LastlogFileOptions, LastlogKey } from './lastlog';
export { sessions, sessionsAsync } from './sessions';
export type { Session, SessionEnd, SessionKind, SessionsOptions } from './sessions';
export {
  users, usersAsync, bootTime, bootTimeAsync, runLevel, runLevelAsync, failedLogins, failedLoginsAsync, processExists,
} from './functions';
export {
  logindSessions, logindSessionsAsync, logindEntries, logindLibrary, chooseLiveSource, LogindEntry,
} from './modern/logind';
export type { LogindSession, LiveFacts } from './modern/logind';
export type { DataSource } from './modern/source';
export { liveSource } from './functions';
export type { UsersOptions, UtmpQueryOptions, RunLevel, FailedLoginsOptions } from './functions';
export { watch, Watch } from './watch';
export type {
  WatchOptions, WatchFileKind, WatchEvent, WatchEventType, WatchWarning, WatchItem, WatchPosition, WatchSource,
} from './watch';
export { historySource } from './sessions';
export { lastlogSource } from './lastlog';
export { WTMPDB_PATH, wtmpdbRows, wtmpdbRowsAsync } from './modern/wtmpdb';
export type { WtmpdbRow } from './modern/wtmpdb';
export { LASTLOG2_PATH, lastlog2Rows, lastlog2RowsAsync } from './modern/lastlog2';
export type { Lastlog2Row } from './modern/lastlog2';
export { isSqliteFile, sqliteInfo } from './modern/sqlite';
