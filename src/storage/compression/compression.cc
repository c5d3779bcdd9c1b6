#include "storage/compression/compression.h"

#include "storage/compression/codecs.h"

namespace unimq::storage::compression {

const char* codec_name(Codec c) {
  switch (c) {
    case Codec::None:
      return "none";
    case Codec::Gzip:
      return "gzip";
    case Codec::Snappy:
      return "snappy";
    case Codec::Lz4:
      return "lz4";
    case Codec::Zstd:
      return "zstd";
  }
  return "unknown";
}

Status decompress(Codec codec, std::span<const uint8_t> in, std::vector<uint8_t>& out,
                  size_t max_out) {
  switch (codec) {
    case Codec::None:
      if (in.size() > max_out) return corrupt_data("records section too large");
      out.insert(out.end(), in.begin(), in.end());
      return Status::Ok();
    case Codec::Gzip:
      return gzip_decompress(in, out, max_out);
    case Codec::Snappy:
      return snappy_decompress(in, out, max_out);
    case Codec::Lz4:
      return lz4_decompress(in, out, max_out);
    case Codec::Zstd:
      return zstd_decompress(in, out, max_out);
  }
  return Status::Error(Errc::InvalidArgument, "unknown compression codec");
}

Status compress(Codec codec, std::span<const uint8_t> in, std::vector<uint8_t>& out) {
  switch (codec) {
    case Codec::None:
      out.insert(out.end(), in.begin(), in.end());
      return Status::Ok();
    case Codec::Gzip:
      return gzip_compress(in, out);
    case Codec::Snappy:
      return snappy_compress(in, out);
    case Codec::Lz4:
      return lz4_compress(in, out);
    case Codec::Zstd:
      return zstd_compress(in, out);
  }
  return Status::Error(Errc::InvalidArgument, "unknown compression codec");
}

}  // namespace unimq::storage::compression
