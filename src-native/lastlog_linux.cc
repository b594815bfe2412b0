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
#include <cstring>
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

// This machine's struct lastlog: ll_time, ll_line[32], ll_host[256], padded
// to ll_time's alignment.
constexpr uint32_t kHostTimeSize = sizeof(((struct lastlog*)nullptr)->ll_time);
constexpr uint64_t kLineSize = 32;
constexpr uint64_t kHostSize = 256;
constexpr uint64_t RecordSizeOf(uint64_t time_size) {
  return (time_size + kLineSize + kHostSize + time_size - 1) / time_size * time_size;
}
static_assert(RecordSizeOf(kHostTimeSize) == sizeof(struct lastlog), "struct lastlog is ll_time, ll_line, ll_host");

// The format a file is read in: the one asked for, or this machine's.
struct Format {
  uint64_t time_size;
  bool big_endian;
  uint64_t record_size;
};

Format FormatOf(const LastlogFormat& asked) {
  if (asked.time_size == 0) {
    return {kHostTimeSize, __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__, sizeof(struct lastlog)};
  }
  return {asked.time_size, asked.big_endian, RecordSizeOf(asked.time_size)};
}

// Bytes of one call of a scan: bounds the time of a step on a dense file or
// where the filesystem cannot report holes.
constexpr uint64_t kScanBudgetBytes = 8u << 20;

// x86-64 glibc stores an int32 (read unsigned, valid to 2106, as ut_tv.tv_sec);
// ABIs with a 64-bit time store time_t. Assembled byte by byte: the file may
// come from a machine of the other byte order.
double LastlogSeconds(const unsigned char* p, const Format& f) {
  uint64_t v = 0;
  for (uint64_t i = 0; i < f.time_size; i++) {
    v |= static_cast<uint64_t>(p[f.big_endian ? i : f.time_size - 1 - i]) << (8 * (f.time_size - 1 - i));
  }
  if (f.time_size == 4) return static_cast<double>(static_cast<uint32_t>(v));
  return static_cast<double>(static_cast<int64_t>(v));
}

// A string field: bounded by its size, cut at the first NUL.
std::string Field(const unsigned char* p, size_t size) {
  const void* nul = memchr(p, 0, size);
  size_t len = nul ? static_cast<size_t>(static_cast<const unsigned char*>(nul) - p) : size;
  return std::string(reinterpret_cast<const char*>(p), len);
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
std::optional<LastlogRecord> Decode(const unsigned char* p, const Format& f, uint64_t uid, bool names) {
  double time = LastlogSeconds(p, f);
  if (time == 0) return std::nullopt;
  LastlogRecord r;
  r.uid = static_cast<double>(uid);
  r.time = time;
  r.line = Field(p + f.time_size, kLineSize);
  r.host = Field(p + f.time_size + kLineSize, kHostSize);
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
  // One pread at uid * the record size; a slot past the end, or cut short by
  // the end of the file, is no login.
  const Format f = FormatOf(path.format);
  uint64_t offset = static_cast<uint64_t>(*uid) * f.record_size;
  if (offset + f.record_size > file.size()) return res;
  std::vector<unsigned char> record(f.record_size);
  if (!file.ReadAt(reinterpret_cast<char*>(record.data()), record.size(), offset, &res.error)) return res;
  res.record = Decode(record.data(), f, *uid, true);
  return res;
}

LastlogScan PlatformScanLastlog(const LastlogPath& path, double offset, size_t max_records, bool names) {
  LastlogScan res;
  LastlogFd file(path.shown, &res.error);
  if (res.error.failed()) return res;
  res.file_size = static_cast<double>(file.size());
  const Format f = FormatOf(path.format);
  const uint64_t kRecordSize = f.record_size;
  // Only whole records; JS reports the trailing bytes.
  const uint64_t end = file.size() / kRecordSize * kRecordSize;
  uint64_t pos = (static_cast<uint64_t>(offset) + kRecordSize - 1) / kRecordSize * kRecordSize;
  uint64_t scanned = 0;
  constexpr size_t kChunkRecords = 1024;
  std::vector<unsigned char> chunk(kChunkRecords * kRecordSize);

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
        if (auto r = Decode(chunk.data() + i * kRecordSize, f, pos / kRecordSize + i, names)) {
          res.records.push_back(std::move(*r));
        }
      }
      pos += i * kRecordSize;
    }
  }
  res.next = static_cast<double>(pos);
  res.done = pos >= end;
  return res;
}

LastlogSource PlatformLastlogSource() {
  return {"file", static_cast<double>(sizeof(struct lastlog))};
}

}  // namespace utmpx_addon
