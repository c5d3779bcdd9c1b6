// Storage errors: one enum for the module, mapped to wire codes by each protocol.
#pragma once

#include <string>
#include <utility>

namespace unimq::storage {

enum class Errc {
  Ok = 0,
  NotFound,          // stream or key does not exist
  OffsetOutOfRange,  // read before the earliest or after the latest offset
  CorruptBatch,      // CRC mismatch or malformed record batch (rejected, never stored)
  DiskFull,          // ENOSPC / EDQUOT
  IoError,           // any other I/O failure
  Closed,            // the stream or store is shut down
  InvalidArgument,
};

struct Status {
  Errc code = Errc::Ok;
  std::string message;
  bool ok() const { return code == Errc::Ok; }
  static Status Ok() { return {}; }
  static Status Error(Errc c, std::string m) { return {c, std::move(m)}; }
};

const char* errc_name(Errc e);

}  // namespace unimq::storage
