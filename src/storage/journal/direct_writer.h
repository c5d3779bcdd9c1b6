// O_DIRECT appends to a segment file (storage.direct_io).
//
// Buffered appends copy every byte into a page-cache page the kernel must find fresh (on VMs
// with free page reporting each first touch is a host fault) and run ext4's buffered-write
// path; a direct write sends the staging buffer (staging.h) to the device as it is. Direct
// I/O needs whole, aligned blocks, so each write covers [the block holding the current end,
// the block holding the new end): the partial block the file ends with is kept in memory and
// written again in front of the new bytes, and the last block is zero-padded. The file is
// therefore up to one block longer than the log between writes; the segment trims that
// padding when sealed or closed, and after a crash recovery cuts the zeros like any torn
// tail. The data goes to the device before the write returns, so an acknowledged append
// survives kill -9 exactly as a buffered one does; fsync policies are unchanged (fdatasync
// still flushes the device cache and the file size).
//
// Readers keep using buffered reads of the same file: Linux invalidates cached pages over a
// direct write, so they see every byte written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "storage/status.h"

namespace unimq::storage::journal {

class DirectWriter {
 public:
  static constexpr size_t kBlock = 4096;

  // Opens path with O_DIRECT; nullptr (with why) when the file system refuses it.
  static std::unique_ptr<DirectWriter> open(const std::string& path, std::string& why);
  ~DirectWriter();
  DirectWriter(const DirectWriter&) = delete;
  DirectWriter& operator=(const DirectWriter&) = delete;

  // Writes bytes at file position pos (the segment's current end). read_fd (a buffered fd
  // of the same file) supplies the partial block before pos when it is not known. Fastest
  // when data sits at the same offset within a block as pos does (the stream stages its
  // appends so). On failure the file may hold part of the write: the caller cuts it back.
  Status write(int read_fd, uint64_t pos, const uint8_t* data, size_t bytes);
  // The file was cut or rewritten other than by write(): reload the partial block.
  void forget_tail() { tail_known_ = false; }

  // Process-wide counts (tests): writes, and writes whose data needed a bounce copy because
  // it did not sit at its file position's offset within a block (a staging misprediction).
  static uint64_t total_writes();
  static uint64_t bounce_copies();

 private:
  DirectWriter(int fd, uint8_t* blocks) : fd_(fd), blocks_(blocks) {}
  uint8_t* block(int i) { return blocks_ + size_t(i) * kBlock; }

  int fd_;
  uint8_t* blocks_;  // 3 aligned blocks: the file's partial last block, head and last scratch
  int tail_ = 0;     // which block holds the partial last block
  bool tail_known_ = false;
};

}  // namespace unimq::storage::journal
