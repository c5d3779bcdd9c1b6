// Building compressed RecordBatch v2 batches (what a Kafka producer with compression.type
// sends): used by tests and by bridges that append compressed batches.
#pragma once

#include <span>
#include <vector>

#include "storage/compression/compression.h"
#include "storage/status.h"
#include "storage/types.h"

namespace unimq::storage::compression {

// Appends one batch holding records, its records section compressed with codec (attributes
// bits 0-2 set, CRC computed). Codec::None gives the same bytes as encode_batch.
Status encode_compressed_batch(std::span<const AppendRecord> records, int64_t now_ms, Codec codec,
                               std::vector<uint8_t>& out);

}  // namespace unimq::storage::compression
