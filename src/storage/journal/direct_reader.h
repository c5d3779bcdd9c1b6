// O_DIRECT reads of segment files into pooled, aligned buffers (Stream::read_shared).
//
// The journal writes with O_DIRECT (direct_writer.h), so the page cache never holds a
// segment's bytes: a buffered read would make the kernel read them into fresh page-cache
// pages, copy them out into the reader's buffer and later evict them again. A direct read
// lets the device write them once, straight into the buffer the Kafka fetch answer is then
// sent from (Redpanda and ScyllaDB read this way): no copy by the CPU, no page-cache churn.
//
// Direct I/O needs aligned blocks, so a read covers [the block holding pos, the block holding
// pos + len) and the caller's bytes start inside the first block. The file is reopened with
// O_DIRECT through /proc/self/fd, so the read hits the same inode as the segment's own fd
// even if the file was deleted or replaced meanwhile.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "storage/status.h"

namespace unimq::storage::journal {

struct DirectRead {
  std::shared_ptr<const void> owner;  // the buffer; returned to the pool when released
  std::span<const uint8_t> bytes;     // [pos, pos + got): may be shorter at the end of file
};

// Reads up to len bytes at pos of the file open as `fd` into an aligned buffer.
// unsupported = the file system refuses O_DIRECT (tmpfs, some FUSE): the caller reads
// buffered instead. Any other failure is an IoError.
Status direct_read(int fd, uint64_t pos, size_t len, DirectRead& out, bool& unsupported);

// Process-wide count of direct reads (tests, metrics).
uint64_t direct_reads_total();
// Tests: direct_read() answers `unsupported`, as on a file system without O_DIRECT.
void refuse_direct_reads_for_test(bool refuse);

}  // namespace unimq::storage::journal
