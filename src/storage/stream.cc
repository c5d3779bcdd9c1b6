#include "storage/stream.h"

#include <condition_variable>
#include <mutex>

#include "storage/record_batch.h"

namespace unimq::storage {

AppendResult Stream::append_sync(std::span<const AppendRecord> records) {
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  AppendResult result;
  append(records, [&](const AppendResult& r) {
    std::lock_guard lock(m);
    result = r;
    done = true;
    cv.notify_one();
  });
  std::unique_lock lock(m);
  cv.wait(lock, [&] { return done; });
  return result;
}

SharedReadResult Stream::shared(ReadResult r) {
  SharedReadResult out;
  out.status = std::move(r.status);
  out.next_offset = r.next_offset;
  out.high_watermark = r.high_watermark;
  if (!r.bytes.empty()) {
    auto owner = std::make_shared<std::vector<uint8_t>>(std::move(r.bytes));
    out.bytes = *owner;
    out.owner = std::move(owner);
  }
  return out;
}

SharedReadResult Stream::read_shared(int64_t offset, size_t max_bytes) const {
  return shared(read(offset, max_bytes));
}

Status Stream::read_records(int64_t offset, size_t max_bytes, std::vector<Record>& out) const {
  ReadResult r = read(offset, max_bytes);
  if (!r.status.ok()) return r.status;
  std::span<const uint8_t> rest(r.bytes);
  std::vector<Record> batch;
  while (rest.size() >= kBatchHeaderSize) {
    BatchHeader h;
    Status st = parse_batch_header(rest, h);
    if (!st.ok()) return st;
    if (rest.size() < h.total_size()) break;
    batch.clear();
    st = decode_batch(rest.first(h.total_size()), batch);
    if (!st.ok()) return st;
    for (auto& rec : batch) {
      if (rec.offset >= offset) out.push_back(std::move(rec));
    }
    rest = rest.subspan(h.total_size());
  }
  return Status::Ok();
}

}  // namespace unimq::storage
