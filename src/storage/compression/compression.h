// Kafka record-batch compression codecs (attributes bits 0-2): the records section of a
// compressed batch is one compressed blob. Used to decode compressed batches (decode_batch)
// and to build them (tests, bridges). Stored batches stay as the producer sent them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "storage/status.h"

namespace unimq::storage::compression {

enum class Codec : int { None = 0, Gzip = 1, Snappy = 2, Lz4 = 3, Zstd = 4 };

// Cap on one decompressed records section (a corrupt or hostile batch must not exhaust
// memory); larger output is CorruptBatch.
constexpr size_t kMaxDecompressedSize = size_t(256) << 20;

const char* codec_name(Codec c);

// Appends the decompressed bytes to out. Gzip: gzip (or zlib) stream; Snappy: raw block or
// xerial "\x82SNAPPY\0" framing; Lz4: LZ4 frame; Zstd: zstd frames (content size optional).
// Unknown codec: InvalidArgument; bad data: CorruptBatch.
Status decompress(Codec codec, std::span<const uint8_t> in, std::vector<uint8_t>& out,
                  size_t max_out = kMaxDecompressedSize);
// Appends the compressed form of in (Snappy: a raw block, as librdkafka writes it).
Status compress(Codec codec, std::span<const uint8_t> in, std::vector<uint8_t>& out);

}  // namespace unimq::storage::compression
