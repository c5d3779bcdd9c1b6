#include "protocol/kafka/codec/writer.h"

namespace unimq::kafka::codec {

void Writer::records(const Records& r, bool compact) {
  if (r.is_null) {
    length(-1, compact, true);
    return;
  }
  length(int64_t(r.size), compact, true);
  if (r.owner && r.size > 0) {
    externals_.push_back(External{buf_.size(), r.data, r.size, r.owner});
    external_bytes_ += r.size;
  } else {
    raw(r.bytes());
  }
}

void Writer::append(const Writer& other) {
  other.for_each_segment([this](std::span<const uint8_t> b) { raw(b); },
                         [this](const External& e) {
                           raw({e.data, e.size});
                         });
}

void Writer::for_each_segment(const std::function<void(std::span<const uint8_t>)>& owned,
                              const std::function<void(const External&)>& external) const {
  size_t pos = 0;
  for (const auto& e : externals_) {
    if (e.at > pos) owned(std::span<const uint8_t>(buf_).subspan(pos, e.at - pos));
    external(e);
    pos = e.at;
  }
  if (pos < buf_.size()) owned(std::span<const uint8_t>(buf_).subspan(pos));
}

std::vector<uint8_t> Writer::flatten() const {
  std::vector<uint8_t> out;
  out.reserve(size());
  for_each_segment([&](std::span<const uint8_t> b) { out.insert(out.end(), b.begin(), b.end()); },
                   [&](const External& e) { out.insert(out.end(), e.data, e.data + e.size); });
  return out;
}

}  // namespace unimq::kafka::codec
