// Kafka zstd: one or more zstd frames; streaming producers (librdkafka) may omit the content
// size, so decompression streams instead of trusting ZSTD_getFrameContentSize.
#include <zstd.h>

#include <algorithm>

#include "storage/compression/codecs.h"

namespace unimq::storage::compression {

Status zstd_decompress(std::span<const uint8_t> in, std::vector<uint8_t>& out, size_t max_out) {
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  if (!dctx) return corrupt_data("zstd: cannot create a context");
  const size_t start = out.size();
  ZSTD_inBuffer src{in.data(), in.size(), 0};
  size_t rc = 1;
  const char* error = nullptr;
  while (src.pos < src.size || rc != 0) {
    size_t produced = out.size() - start;
    if (produced >= max_out) {
      error = "zstd: decompressed data too large";
      break;
    }
    size_t chunk = std::min(max_out - produced, std::max<size_t>(in.size() * 4, 65536));
    out.resize(start + produced + chunk);
    ZSTD_outBuffer dst{out.data() + start + produced, chunk, 0};
    size_t in_before = src.pos;
    rc = ZSTD_decompressStream(dctx, &dst, &src);
    out.resize(start + produced + dst.pos);
    if (ZSTD_isError(rc)) {
      error = "zstd: malformed frame";
      break;
    }
    if (rc != 0 && src.pos == src.size && dst.pos < chunk) {
      error = "zstd: truncated frame";
      break;
    }
    if (src.pos == in_before && dst.pos == 0 && rc != 0) {
      error = "zstd: no progress";
      break;
    }
  }
  ZSTD_freeDCtx(dctx);
  if (error) {
    out.resize(start);
    return corrupt_data(error);
  }
  return Status::Ok();
}

Status zstd_compress(std::span<const uint8_t> in, std::vector<uint8_t>& out) {
  const size_t start = out.size();
  size_t bound = ZSTD_compressBound(in.size());
  out.resize(start + bound);
  size_t n = ZSTD_compress(out.data() + start, bound, in.data(), in.size(), 3);
  if (ZSTD_isError(n)) {
    out.resize(start);
    return Status::Error(Errc::InvalidArgument, "zstd: compress failed");
  }
  out.resize(start + n);
  return Status::Ok();
}

}  // namespace unimq::storage::compression
