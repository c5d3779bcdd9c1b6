// The journal's on-disk and in-memory batch format IS Kafka's RecordBatch v2 (magic 2):
// Kafka produce batches are stored as they came and served back to Fetch byte for byte
// (sendfile), and MQTT/AMQP appends are encoded into the same format. Layout (big-endian):
//   baseOffset i64 | batchLength i32 | partitionLeaderEpoch i32 | magic i8 (=2) |
//   crc u32 (CRC32C of everything after this field) | attributes i16 | lastOffsetDelta i32 |
//   baseTimestamp i64 | maxTimestamp i64 | producerId i64 | producerEpoch i16 |
//   baseSequence i32 | recordCount i32 | records...
// Each record: length varint | attributes i8 | timestampDelta varlong | offsetDelta varint |
//   keyLength varint (-1 null) | key | valueLength varint | value | headerCount varint |
//   headers (keyLength varint, key, valueLength varint, value)  — varints are zigzag.
// The CRC does not cover baseOffset, so offsets are assigned in place without re-checksumming.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "storage/status.h"
#include "storage/types.h"

namespace unimq::storage {

constexpr size_t kBatchHeaderSize = 61;
constexpr size_t kBatchLengthOffset = 8;     // batchLength field
constexpr size_t kBatchCrcOffset = 17;       // crc field
constexpr size_t kBatchCrcCoveredFrom = 21;  // attributes onwards

struct BatchHeader {
  int64_t base_offset = 0;
  int32_t batch_length = 0;  // bytes after the batchLength field
  int32_t partition_leader_epoch = 0;
  int8_t magic = 2;
  uint32_t crc = 0;
  int16_t attributes = 0;  // bits 0-2 compression, 3 timestamp type, 4 transactional, 5 control
  int32_t last_offset_delta = 0;
  int64_t base_timestamp = 0;
  int64_t max_timestamp = 0;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  int32_t record_count = 0;

  size_t total_size() const { return 12 + size_t(batch_length); }
  int64_t last_offset() const { return base_offset + last_offset_delta; }
  int compression() const { return attributes & 0x7; }
};

// Hardware-accelerated CRC32C (SSE4.2 when available, table fallback).
uint32_t crc32c(const uint8_t* data, size_t len, uint32_t crc = 0);

// Parses the fixed header of the batch at the start of bytes (needs kBatchHeaderSize bytes).
Status parse_batch_header(std::span<const uint8_t> bytes, BatchHeader& out);
// Length of the whole batches at the start of bytes that begin below end_offset: the first
// one, then more while the total stays within max_bytes. next_offset is set to the offset
// after the last batch counted (untouched when none is).
size_t whole_batches(std::span<const uint8_t> bytes, int64_t end_offset, size_t max_bytes,
                     int64_t& next_offset);
// Full validation: header sane, length fits, magic 2, CRC32C matches.
// check_crc = false skips the CRC32C pass (the caller has just verified it: it is the one
// costly step).
Status validate_batch(std::span<const uint8_t> batch, bool check_crc = true);
// validate_batch plus what a batch being appended must satisfy: at least one record and
// recordCount == lastOffsetDelta + 1 (the log assigns dense offsets).
Status validate_producer_batch(std::span<const uint8_t> batch, bool check_crc = true);
// Rewrites baseOffset in place (CRC stays valid).
void set_base_offset(std::span<uint8_t> batch, int64_t base_offset);
// Encodes records as one uncompressed batch (offsets relative, base offset 0) appended to out.
void encode_batch(std::span<const AppendRecord> records, int64_t now_ms, std::vector<uint8_t>& out);
// Decodes the records of one batch, decompressing gzip/snappy/lz4/zstd batches.
// check_crc = false skips the CRC32C (for a batch validated moments ago, e.g. on append).
Status decode_batch(std::span<const uint8_t> batch, std::vector<Record>& out,
                    bool check_crc = true);

}  // namespace unimq::storage
