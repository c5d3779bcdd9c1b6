// libFuzzer target for the record-batch compression codecs: the first byte picks the codec,
// the rest is decompressed with a 1 MiB cap. Must never crash, leak or exceed the cap; what
// decompresses must compress and decompress back to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

#include "storage/compression/compression.h"

using namespace unimq::storage::compression;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const Codec codec = Codec(data[0] % 5);
  std::span<const uint8_t> in(data + 1, size - 1);
  constexpr size_t kCap = size_t(1) << 20;
  std::vector<uint8_t> out;
  if (!decompress(codec, in, out, kCap).ok()) {
    if (!out.empty()) std::abort();  // failures leave out untouched
    return 0;
  }
  if (out.size() > kCap) std::abort();
  std::vector<uint8_t> packed, back;
  if (!compress(codec, out, packed).ok() || !decompress(codec, packed, back).ok() || back != out) {
    std::fprintf(stderr, "compression fuzz: %s round trip mismatch\n", codec_name(codec));
    std::abort();
  }
  return 0;
}
