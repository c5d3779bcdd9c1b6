// Small POSIX file helpers for the journal: errors carry the path and errno text.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/status.h"

namespace unimq::storage::journal {

// IoError (or DiskFull for ENOSPC/EDQUOT) "<what> <path>: <strerror(err)>".
Status errno_status(std::string_view what, const std::string& path, int err);
// mkdir -p.
Status make_dirs(const std::string& path);
// fsync of a directory, so created/renamed/removed entries are durable.
Status fsync_dir(const std::string& path);
// Writes via "<path>.tmp" + rename; durable = fdatasync the file before the rename and the
// directory after it. Caches (index files) skip that: a torn one fails validation later.
Status write_file_atomic(const std::string& path, std::string_view data, bool durable = true);
// Whole file into out (index files, small metadata); NotFound if it does not exist.
Status read_small_file(const std::string& path, std::string& out);
// Removes a file; a missing file is not an error.
void remove_file(const std::string& path);
// pread until n bytes or EOF; returns bytes read, or -1 (errno set).
ssize_t pread_all(int fd, void* buf, size_t n, uint64_t offset);
// Current wall-clock time in ms.
int64_t wall_ms();

}  // namespace unimq::storage::journal
