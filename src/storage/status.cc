#include "storage/status.h"

namespace unimq::storage {

const char* errc_name(Errc e) {
  switch (e) {
    case Errc::Ok:
      return "ok";
    case Errc::NotFound:
      return "not found";
    case Errc::OffsetOutOfRange:
      return "offset out of range";
    case Errc::CorruptBatch:
      return "corrupt batch";
    case Errc::DiskFull:
      return "disk full";
    case Errc::IoError:
      return "I/O error";
    case Errc::Closed:
      return "closed";
    case Errc::InvalidArgument:
      return "invalid argument";
  }
  return "unknown";
}

}  // namespace unimq::storage
