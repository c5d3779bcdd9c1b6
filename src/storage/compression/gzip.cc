// Kafka gzip: a gzip stream (RFC 1952); zlib-wrapped data is accepted too (header auto-detect).
#include <zlib.h>

#include "storage/compression/codecs.h"

namespace unimq::storage::compression {

Status gzip_decompress(std::span<const uint8_t> in, std::vector<uint8_t>& out, size_t max_out) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return corrupt_data("gzip: inflateInit failed");
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = uInt(in.size());
  const size_t start = out.size();
  int rc = Z_OK;
  while (true) {
    size_t produced = out.size() - start;
    if (produced >= max_out) {
      rc = Z_MEM_ERROR;
      break;
    }
    size_t chunk = std::min(max_out - produced, std::max<size_t>(in.size() * 4, 16384));
    out.resize(start + produced + chunk);
    zs.next_out = out.data() + start + produced;
    zs.avail_out = uInt(chunk);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.resize(out.size() - zs.avail_out);
    if (rc == Z_STREAM_END) {
      // Concatenated gzip members: continue with the next one.
      if (zs.avail_in == 0) break;
      if (inflateReset(&zs) != Z_OK) break;
      continue;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) break;
    if (rc == Z_BUF_ERROR && zs.avail_in == 0 && zs.avail_out != 0) break;  // truncated
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) {
    out.resize(start);
    return corrupt_data(rc == Z_MEM_ERROR ? "gzip: decompressed data too large"
                                          : "gzip: malformed or truncated data");
  }
  return Status::Ok();
}

Status gzip_compress(std::span<const uint8_t> in, std::vector<uint8_t>& out) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return Status::Error(Errc::InvalidArgument, "gzip: deflateInit failed");
  const size_t start = out.size();
  size_t bound = deflateBound(&zs, uLong(in.size()));
  out.resize(start + bound);
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = uInt(in.size());
  zs.next_out = out.data() + start;
  zs.avail_out = uInt(bound);
  int rc = deflate(&zs, Z_FINISH);
  out.resize(start + (bound - zs.avail_out));
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) {
    out.resize(start);
    return Status::Error(Errc::InvalidArgument, "gzip: deflate failed");
  }
  return Status::Ok();
}

}  // namespace unimq::storage::compression
