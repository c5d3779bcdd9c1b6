// Kafka lz4 (record batch v2): the standard LZ4 frame format.
#include <lz4frame.h>

#include <algorithm>

#include "storage/compression/codecs.h"

namespace unimq::storage::compression {

Status lz4_decompress(std::span<const uint8_t> in, std::vector<uint8_t>& out, size_t max_out) {
  LZ4F_dctx* dctx = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION)))
    return corrupt_data("lz4: cannot create a context");
  const size_t start = out.size();
  size_t pos = 0;
  size_t hint = 1;
  const char* error = nullptr;
  while (hint != 0) {
    size_t produced = out.size() - start;
    if (produced >= max_out) {
      error = "lz4: decompressed data too large";
      break;
    }
    size_t chunk = std::min(max_out - produced, std::max<size_t>(in.size() * 4, 65536));
    out.resize(start + produced + chunk);
    size_t dst = chunk, src = in.size() - pos;
    hint =
        LZ4F_decompress(dctx, out.data() + start + produced, &dst, in.data() + pos, &src, nullptr);
    out.resize(start + produced + dst);
    pos += src;
    if (LZ4F_isError(hint)) {
      error = "lz4: malformed frame";
      break;
    }
    if (hint == 0 && pos < in.size()) hint = 1;  // another frame follows
    if (src == 0 && dst == 0) {
      error = pos == in.size() ? "lz4: truncated frame" : "lz4: no progress";
      break;
    }
  }
  LZ4F_freeDecompressionContext(dctx);
  if (error) {
    out.resize(start);
    return corrupt_data(error);
  }
  return Status::Ok();
}

Status lz4_compress(std::span<const uint8_t> in, std::vector<uint8_t>& out) {
  LZ4F_preferences_t prefs{};
  prefs.frameInfo.contentSize = in.size();
  const size_t start = out.size();
  size_t bound = LZ4F_compressFrameBound(in.size(), &prefs);
  out.resize(start + bound);
  size_t n = LZ4F_compressFrame(out.data() + start, bound, in.data(), in.size(), &prefs);
  if (LZ4F_isError(n)) {
    out.resize(start);
    return Status::Error(Errc::InvalidArgument, "lz4: compress failed");
  }
  out.resize(start + n);
  return Status::Ok();
}

}  // namespace unimq::storage::compression
