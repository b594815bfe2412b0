/** Watching the databases: events as they are recorded. */
export { watch, Watch } from './watch';
export { ecsDocument, ECS_VERSION } from './ecs';
export type { EcsOptions } from './ecs';
export type { WatchOptions, WatchFileKind, WatchSourceName } from './watch';
export type { WatchEvent, WatchEventType, WatchWarning, WatchGap, WatchItem, WatchLogin } from './events';
export type { WatchPosition, SourcePosition, FilePosition, SlotsPosition } from './position';
export type { WatchFeed, WatchSource, SourceSink, StartPoint, WakeReason } from './feed';
