// RecordBatch v2: header parsing, validation, encoding and decoding (see record_batch.h).
#include "storage/record_batch.h"

#include <algorithm>
#include <cstring>

#include "storage/compression/compression.h"

namespace unimq::storage {
namespace {

uint16_t get16(const uint8_t* p) { return uint16_t(p[0]) << 8 | p[1]; }
uint32_t get32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
uint64_t get64(const uint8_t* p) { return uint64_t(get32(p)) << 32 | get32(p + 4); }
void put16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}
void put32(uint8_t* p, uint32_t v) {
  for (int i = 3; i >= 0; --i, v >>= 8) p[i] = uint8_t(v);
}
void put64(uint8_t* p, uint64_t v) {
  put32(p, uint32_t(v >> 32));
  put32(p + 4, uint32_t(v));
}

uint64_t zigzag(int64_t v) { return (uint64_t(v) << 1) ^ uint64_t(v >> 63); }
size_t varint_size(int64_t v) {
  uint64_t u = zigzag(v);
  size_t n = 1;
  while (u >= 0x80) {
    u >>= 7;
    ++n;
  }
  return n;
}
uint8_t* put_varint(uint8_t* p, int64_t v) {
  uint64_t u = zigzag(v);
  while (u >= 0x80) {
    *p++ = uint8_t(u | 0x80);
    u >>= 7;
  }
  *p++ = uint8_t(u);
  return p;
}

// Bounds-checked reader over one batch's records section.
struct Reader {
  const uint8_t* p;
  const uint8_t* end;
  bool ok = true;

  // max_bytes: 5 for varint (int32), 10 for varlong (int64).
  int64_t varint(int max_bytes) {
    uint64_t u = 0;
    for (int i = 0; i < max_bytes; ++i) {
      if (p == end) break;
      uint8_t b = *p++;
      u |= uint64_t(b & 0x7F) << (7 * i);
      if (!(b & 0x80)) {
        int64_t v = int64_t(u >> 1) ^ -int64_t(u & 1);
        if (max_bytes == 5 && (v < INT32_MIN || v > INT32_MAX)) break;
        return v;
      }
    }
    ok = false;
    return 0;
  }
  // Nullable bytes: length -1 = null. Returns false on malformed input.
  bool bytes(std::optional<std::string>& out) {
    int64_t len = varint(5);
    if (!ok || len < -1 || len > end - p) return ok = false;
    if (len == -1) {
      out.reset();
    } else {
      out.emplace(reinterpret_cast<const char*>(p), size_t(len));
      p += len;
    }
    return true;
  }
};

Status corrupt(const char* what) { return Status::Error(Errc::CorruptBatch, what); }

}  // namespace

Status parse_batch_header(std::span<const uint8_t> b, BatchHeader& h) {
  if (b.size() < kBatchHeaderSize) return corrupt("batch shorter than its header");
  const uint8_t* p = b.data();
  h.base_offset = int64_t(get64(p));
  h.batch_length = int32_t(get32(p + 8));
  h.partition_leader_epoch = int32_t(get32(p + 12));
  h.magic = int8_t(p[16]);
  h.crc = get32(p + 17);
  h.attributes = int16_t(get16(p + 21));
  h.last_offset_delta = int32_t(get32(p + 23));
  h.base_timestamp = int64_t(get64(p + 27));
  h.max_timestamp = int64_t(get64(p + 35));
  h.producer_id = int64_t(get64(p + 43));
  h.producer_epoch = int16_t(get16(p + 51));
  h.base_sequence = int32_t(get32(p + 53));
  h.record_count = int32_t(get32(p + 57));
  if (h.magic != 2) return corrupt("unsupported magic (want 2)");
  if (h.batch_length < int32_t(kBatchHeaderSize - 12)) return corrupt("batch length too small");
  if (h.last_offset_delta < 0) return corrupt("negative last offset delta");
  if (h.record_count < 0) return corrupt("negative record count");
  return Status::Ok();
}

size_t whole_batches(std::span<const uint8_t> bytes, int64_t end_offset, size_t max_bytes,
                     int64_t& next_offset) {
  size_t used = 0;
  BatchHeader h;
  while (used + kBatchHeaderSize <= bytes.size() &&
         parse_batch_header(bytes.subspan(used), h).ok()) {
    const size_t size = h.total_size();
    if (used + size > bytes.size() || h.base_offset >= end_offset ||
        (used > 0 && used + size > max_bytes)) {
      break;
    }
    used += size;
    next_offset = h.last_offset() + 1;
  }
  return used;
}

Status validate_batch(std::span<const uint8_t> batch, bool check_crc) {
  BatchHeader h;
  Status st = parse_batch_header(batch, h);
  if (!st.ok()) return st;
  if (h.total_size() != batch.size()) return corrupt("batch length does not match its size");
  if (!check_crc) return Status::Ok();
  uint32_t crc = crc32c(batch.data() + kBatchCrcCoveredFrom, batch.size() - kBatchCrcCoveredFrom);
  if (crc != h.crc) return corrupt("CRC32C mismatch");
  return Status::Ok();
}

Status validate_producer_batch(std::span<const uint8_t> batch, bool check_crc) {
  Status st = validate_batch(batch, check_crc);
  if (!st.ok()) return st;
  BatchHeader h;
  parse_batch_header(batch, h);
  if (h.record_count < 1 || int64_t(h.record_count) != int64_t(h.last_offset_delta) + 1) {
    return corrupt("recordCount does not match lastOffsetDelta");
  }
  return Status::Ok();
}

void set_base_offset(std::span<uint8_t> batch, int64_t base_offset) {
  put64(batch.data(), uint64_t(base_offset));
}

void encode_batch(std::span<const AppendRecord> records, int64_t now_ms,
                  std::vector<uint8_t>& out) {
  auto ts_of = [now_ms](const AppendRecord& r) {
    return r.timestamp_ms != 0 ? r.timestamp_ms : now_ms;
  };
  const int64_t base_ts = records.empty() ? now_ms : ts_of(records[0]);
  int64_t max_ts = base_ts;
  // Pass 1: exact size, so the output grows once and nothing else is allocated.
  auto body_size = [&](const AppendRecord& r, int64_t delta) {
    size_t n = 1 + varint_size(ts_of(r) - base_ts) + varint_size(delta);
    n += r.key ? varint_size(int64_t(r.key->size())) + r.key->size() : varint_size(-1);
    n += varint_size(int64_t(r.value.size())) + r.value.size();
    n += varint_size(int64_t(r.headers.size()));
    for (const auto& [k, v] : r.headers) {
      n += varint_size(int64_t(k.size())) + k.size() + varint_size(int64_t(v.size())) + v.size();
    }
    return n;
  };
  size_t total = kBatchHeaderSize;
  for (size_t i = 0; i < records.size(); ++i) {
    size_t body = body_size(records[i], int64_t(i));
    total += varint_size(int64_t(body)) + body;
    max_ts = std::max(max_ts, ts_of(records[i]));
  }
  const size_t start = out.size();
  out.resize(start + total);
  uint8_t* h = out.data() + start;
  put64(h, 0);                                           // baseOffset (assigned on append)
  put32(h + 8, uint32_t(total - 12));                    // batchLength
  put32(h + 12, uint32_t(-1));                           // partitionLeaderEpoch: unknown
  h[16] = 2;                                             // magic
  put16(h + 21, 0);                                      // attributes: no compression, CreateTime
  put32(h + 23, uint32_t(int32_t(records.size()) - 1));  // lastOffsetDelta
  put64(h + 27, uint64_t(base_ts));
  put64(h + 35, uint64_t(max_ts));
  put64(h + 43, uint64_t(-1));  // producerId: not idempotent
  put16(h + 51, uint16_t(-1));  // producerEpoch
  put32(h + 53, uint32_t(-1));  // baseSequence
  put32(h + 57, uint32_t(records.size()));
  uint8_t* p = h + kBatchHeaderSize;
  for (size_t i = 0; i < records.size(); ++i) {
    const AppendRecord& r = records[i];
    p = put_varint(p, int64_t(body_size(r, int64_t(i))));
    *p++ = 0;  // record attributes (unused)
    p = put_varint(p, ts_of(r) - base_ts);
    p = put_varint(p, int64_t(i));
    auto put_bytes = [&p](std::string_view s) {
      p = put_varint(p, int64_t(s.size()));
      if (!s.empty()) std::memcpy(p, s.data(), s.size());
      p += s.size();
    };
    if (r.key) {
      put_bytes(*r.key);
    } else {
      p = put_varint(p, -1);
    }
    put_bytes(r.value);
    p = put_varint(p, int64_t(r.headers.size()));
    for (const auto& [k, v] : r.headers) {
      put_bytes(k);
      put_bytes(v);
    }
  }
  put32(h + kBatchCrcOffset, crc32c(h + kBatchCrcCoveredFrom, total - kBatchCrcCoveredFrom));
}

Status decode_batch(std::span<const uint8_t> batch, std::vector<Record>& out, bool check_crc) {
  Status st = check_crc ? validate_batch(batch) : Status::Ok();
  if (!st.ok()) return st;
  BatchHeader h;
  st = parse_batch_header(batch, h);
  if (!st.ok()) return st;
  if (h.total_size() != batch.size()) return corrupt("batch length does not match its size");
  std::span<const uint8_t> section = batch.subspan(kBatchHeaderSize);
  std::vector<uint8_t> plain;  // the records of a compressed batch
  if (h.compression() != 0) {
    st = compression::decompress(compression::Codec(h.compression()), section, plain);
    if (!st.ok()) return st;
    section = plain;
  }
  const bool log_append_time = h.attributes & 0x8;
  Reader r{section.data(), section.data() + section.size()};
  const size_t first = out.size();
  for (int32_t i = 0; i < h.record_count; ++i) {
    int64_t len = r.varint(5);
    if (!r.ok || len < 1 || len > r.end - r.p) break;
    Reader rec{r.p, r.p + len};
    r.p += len;
    ++rec.p;  // record attributes
    Record& out_rec = out.emplace_back();
    int64_t ts_delta = rec.varint(10);
    int64_t off_delta = rec.varint(5);
    out_rec.timestamp_ms = log_append_time ? h.max_timestamp : h.base_timestamp + ts_delta;
    out_rec.offset = h.base_offset + off_delta;
    if (!rec.ok || !rec.bytes(out_rec.key) || !rec.bytes(out_rec.value)) break;
    int64_t n_headers = rec.varint(5);
    if (!rec.ok || n_headers < 0 || n_headers > rec.end - rec.p) break;
    out_rec.headers.reserve(size_t(n_headers));
    for (int64_t k = 0; k < n_headers && rec.ok; ++k) {
      std::optional<std::string> key, value;
      if (!rec.bytes(key) || !rec.bytes(value) || !key) {
        rec.ok = false;
        break;
      }
      out_rec.headers.push_back({std::move(*key), value ? std::move(*value) : std::string()});
    }
    if (!rec.ok || rec.p != rec.end) break;
    if (i + 1 == h.record_count) {
      if (r.p != r.end) break;  // trailing bytes after the last record
      return Status::Ok();
    }
  }
  if (h.record_count == 0 && r.p == r.end) return Status::Ok();
  out.resize(first);
  return corrupt("malformed record in batch");
}

}  // namespace unimq::storage
