/**
 * Change notification for file sources: one fs.watch (inotify) per directory,
 * so that a file's creation, its rename by logrotate and its growth all wake
 * the sources that read it. A directory that cannot be watched (missing, or
 * a file system that does not notify) is tried again at every safety poll.
 */
import * as fs from 'fs';
import * as path from 'path';

interface WatchedDirectory {
  watcher: fs.FSWatcher | null;
  /** Callbacks by file name. */
  names: Map<string, Set<() => void>>;
}

export class DirectoryNotifier {
  private readonly dirs = new Map<string, WatchedDirectory>();
  private closed = false;

  /** Calls `wake` whenever `file` (or the directory entry named like it) changes. */
  add(file: string, wake: () => void): void {
    const dir = path.dirname(file);
    let d = this.dirs.get(dir);
    if (!d) {
      d = { watcher: null, names: new Map() };
      this.dirs.set(dir, d);
    }
    const name = path.basename(file);
    let set = d.names.get(name);
    if (!set) d.names.set(name, (set = new Set()));
    set.add(wake);
    this.open(dir, d);
  }

  /** Watches directories that could not be watched before (the safety poll calls this). */
  retry(): void {
    for (const [dir, d] of this.dirs) if (!d.watcher) this.open(dir, d);
  }

  close(): void {
    this.closed = true;
    for (const d of this.dirs.values()) d.watcher?.close();
    this.dirs.clear();
  }

  private open(dir: string, d: WatchedDirectory): void {
    if (d.watcher || this.closed) return;
    try {
      d.watcher = fs.watch(dir, { persistent: true }, (_event, name) => {
        if (name === null || name === undefined) {
          for (const set of d.names.values()) for (const wake of set) wake(); // the kernel's queue overflowed
          return;
        }
        const set = d.names.get(String(name));
        if (set) for (const wake of set) wake();
      });
      d.watcher.on('error', () => {
        // The directory went away: watch it again when it is back.
        d.watcher?.close();
        d.watcher = null;
        for (const set of d.names.values()) for (const wake of set) wake();
      });
    } catch {
      d.watcher = null; // missing or not watchable: the safety poll covers it
    }
  }
}
