// Linux's lastlog (glibc and musl alike): a file of `struct lastlog` indexed
// by uid, read with pread; a scan walks only the written parts of the sparse
// file (SEEK_DATA/SEEK_HOLE). binding.gyp builds this file for Linux only.
#include "lastlog_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utmp.h>  // struct lastlog

#include <algorithm>
#include <cerrno>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "errors.h"
#include "platform.h"

#if !defined(__linux__)
#  error "lastlog_linux.cc is Linux's lastlog reader; binding.gyp picks the one for each OS"
#endif

namespace utmpx_addon {

namespace {

constexpr uint64_t kRecordSize = sizeof(struct lastlog);

// Bytes of one call of a scan: bounds the time of a step on a dense file or
// where the filesystem cannot report holes.
constexpr uint64_t kScanBudgetBytes = 8u << 20;

// x86-64 glibc stores an int32 (read unsigned, valid to 2106, as ut_tv.tv_sec);
// ABIs with a 64-bit time store time_t.
double LastlogSeconds(const struct lastlog& ll) {
  if constexpr (sizeof ll.ll_time == 4) return static_cast<double>(static_cast<uint32_t>(ll.ll_time));
  return static_cast<double>(ll.ll_time);
}

// An open lastlog file and its size; closes itself.
class LastlogFd {
 public:
  LastlogFd(const std::string& path, SysError* err) {
    struct stat st;
    fd_ = OpenRegularFile(path, &st, err);  // a FIFO or device is refused, never read
    if (fd_ >= 0) size_ = static_cast<uint64_t>(st.st_size);
  }
  ~LastlogFd() {
    if (fd_ >= 0) close(fd_);
  }
  LastlogFd(const LastlogFd&) = delete;
  LastlogFd& operator=(const LastlogFd&) = delete;

  int fd() const { return fd_; }
  uint64_t size() const { return size_; }

  // Reads exactly `len` bytes at `offset` (retrying short reads and EINTR).
  bool ReadAt(char* buf, size_t len, uint64_t offset, SysError* err) const {
    size_t done = 0;
    while (done < len) {
      ssize_t n = pread(fd_, buf + done, len - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        *err = SysError{n < 0 ? errno : EIO, "read", err->path};
        return false;
      }
      done += static_cast<size_t>(n);
    }
    return true;
  }

 private:
  int fd_ = -1;
  uint64_t size_ = 0;
};

// A record with a login (never-logged-in slots and holes read as time 0).
std::optional<LastlogRecord> Decode(const struct lastlog& ll, uint64_t uid, bool names) {
  if (ll.ll_time == 0) return std::nullopt;
  LastlogRecord r;
  r.uid = static_cast<double>(uid);
  r.time = LastlogSeconds(ll);
  r.line = LastlogField(ll.ll_line);
  r.host = LastlogField(ll.ll_host);
  if (names) ResolveName(&r);
  return r;
}

// Where the next written bytes at or after `pos` lie: [*data, *hole). Returns
// false when only holes remain. Filesystems without SEEK_DATA/SEEK_HOLE (or
// an old kernel) are read as one extent: the scan fallback.
bool NextExtent(const LastlogFd& file, uint64_t pos, uint64_t* data, uint64_t* hole, SysError* err) {
  off_t d = lseek(file.fd(), static_cast<off_t>(pos), SEEK_DATA);
  if (d < 0) {
    if (errno == ENXIO) return false;
    if (errno != EINVAL && errno != ENOTSUP && errno != EOPNOTSUPP) {
      *err = SysError{errno, "lseek", err->path};
      return false;
    }
    *data = pos;
    *hole = file.size();
    return true;
  }
  off_t h = lseek(file.fd(), d, SEEK_HOLE);
  *data = static_cast<uint64_t>(d);
  *hole = h < 0 ? file.size() : static_cast<uint64_t>(h);
  return true;
}

}  // namespace

LastlogRead PlatformReadLastlog(const LastlogPath& path, const LastlogKey& key) {
  LastlogRead res;
  LastlogFd file(path.shown, &res.error);
  if (res.error.failed()) return res;
  res.file_size = static_cast<double>(file.size());
  std::optional<uint32_t> uid = KeyUid(key, path.shown, &res.error);
  if (res.error.failed() || !uid) return res;
  res.uid = *uid;
  // One pread at uid * sizeof(struct lastlog); a slot past the end, or cut
  // short by the end of the file, is no login.
  uint64_t offset = static_cast<uint64_t>(*uid) * kRecordSize;
  if (offset + kRecordSize > file.size()) return res;
  struct lastlog ll;
  if (!file.ReadAt(reinterpret_cast<char*>(&ll), sizeof ll, offset, &res.error)) return res;
  res.record = Decode(ll, *uid, true);
  return res;
}

LastlogScan PlatformScanLastlog(const LastlogPath& path, double offset, size_t max_records, bool names) {
  LastlogScan res;
  LastlogFd file(path.shown, &res.error);
  if (res.error.failed()) return res;
  res.file_size = static_cast<double>(file.size());
  // Only whole records; JS reports the trailing bytes.
  const uint64_t end = file.size() / kRecordSize * kRecordSize;
  uint64_t pos = (static_cast<uint64_t>(offset) + kRecordSize - 1) / kRecordSize * kRecordSize;
  uint64_t scanned = 0;
  constexpr size_t kChunkRecords = 1024;
  std::vector<struct lastlog> chunk(kChunkRecords);

  while (pos < end && res.records.size() < max_records && scanned < kScanBudgetBytes) {
    uint64_t data = 0, hole = 0;
    if (!NextExtent(file, pos, &data, &hole, &res.error)) {
      if (res.error.failed()) return res;
      pos = end;
      break;
    }
    // Whole records overlapping the extent (a record may straddle its edges).
    uint64_t start = std::max(pos, data / kRecordSize * kRecordSize);
    uint64_t stop = std::min(end, (hole + kRecordSize - 1) / kRecordSize * kRecordSize);
    if (start >= stop) {  // the data lies in the partial record at the end
      pos = end;
      break;
    }
    pos = start;
    while (pos < stop && res.records.size() < max_records && scanned < kScanBudgetBytes) {
      size_t count = static_cast<size_t>(std::min<uint64_t>(kChunkRecords, (stop - pos) / kRecordSize));
      if (!file.ReadAt(reinterpret_cast<char*>(chunk.data()), count * kRecordSize, pos, &res.error)) return res;
      scanned += count * kRecordSize;
      size_t i = 0;
      for (; i < count && res.records.size() < max_records; i++) {
        if (auto r = Decode(chunk[i], pos / kRecordSize + i, names)) res.records.push_back(std::move(*r));
      }
      pos += i * kRecordSize;
    }
  }
  res.next = static_cast<double>(pos);
  res.done = pos >= end;
  return res;
}

LastlogSource PlatformLastlogSource() {
  return {"file", static_cast<double>(kRecordSize)};
}

}  // namespace utmpx_addon
