#include "storage/journal/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace unimq::storage::journal {

Status errno_status(std::string_view what, const std::string& path, int err) {
  Errc code = (err == ENOSPC || err == EDQUOT) ? Errc::DiskFull : Errc::IoError;
  return Status::Error(code, std::string(what) + " " + path + ": " + std::strerror(err));
}

Status make_dirs(const std::string& path) {
  if (path.empty()) return Status::Error(Errc::InvalidArgument, "empty directory path");
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i != path.size() && path[i] != '/') continue;
    std::string part = path.substr(0, i);
    if (::mkdir(part.c_str(), 0755) == 0) continue;
    int err = errno;
    struct stat st;
    if (err == EEXIST && ::stat(part.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) continue;
    if (err == EEXIST) err = ENOTDIR;
    return errno_status("cannot create directory", part, err);
  }
  return Status::Ok();
}

Status fsync_dir(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_status("cannot open directory", path, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  return rc == 0 ? Status::Ok() : errno_status("cannot fsync directory", path, err);
}

Status write_file_atomic(const std::string& path, std::string_view data, bool durable) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno_status("cannot create", tmp, errno);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      remove_file(tmp);
      return errno_status("cannot write", tmp, err);
    }
    done += size_t(n);
  }
  if (durable && ::fdatasync(fd) != 0) {
    int err = errno;
    ::close(fd);
    remove_file(tmp);
    return errno_status("cannot fsync", tmp, err);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    remove_file(tmp);
    return errno_status("cannot rename to", path, err);
  }
  if (!durable) return Status::Ok();
  size_t slash = path.rfind('/');
  return fsync_dir(slash == std::string::npos ? "." : path.substr(0, slash));
}

Status read_small_file(const std::string& path, std::string& out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::Error(Errc::NotFound, path + " does not exist");
    return errno_status("cannot open", path, errno);
  }
  out.clear();
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return errno_status("cannot read", path, err);
    }
    if (n == 0) break;
    out.append(buf, size_t(n));
  }
  ::close(fd);
  return Status::Ok();
}

ssize_t pread_all(int fd, void* buf, size_t n, uint64_t offset) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd, static_cast<char*>(buf) + done, n - done, off_t(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) break;
    done += size_t(r);
  }
  return ssize_t(done);
}

void remove_file(const std::string& path) { ::unlink(path.c_str()); }

int64_t wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace unimq::storage::journal
