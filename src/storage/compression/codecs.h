// One pair of functions per codec (compression.cc dispatches). Internal to compression/.
#pragma once

#include <span>
#include <vector>

#include "storage/status.h"

namespace unimq::storage::compression {

Status gzip_decompress(std::span<const uint8_t> in, std::vector<uint8_t>& out, size_t max_out);
Status gzip_compress(std::span<const uint8_t> in, std::vector<uint8_t>& out);
Status snappy_decompress(std::span<const uint8_t> in, std::vector<uint8_t>& out, size_t max_out);
Status snappy_compress(std::span<const uint8_t> in, std::vector<uint8_t>& out);
Status lz4_decompress(std::span<const uint8_t> in, std::vector<uint8_t>& out, size_t max_out);
Status lz4_compress(std::span<const uint8_t> in, std::vector<uint8_t>& out);
Status zstd_decompress(std::span<const uint8_t> in, std::vector<uint8_t>& out, size_t max_out);
Status zstd_compress(std::span<const uint8_t> in, std::vector<uint8_t>& out);

inline Status corrupt_data(const char* what) { return Status::Error(Errc::CorruptBatch, what); }

}  // namespace unimq::storage::compression
