#include "protocol/amqp/codec/field_table.h"

#include <bit>
#include <cstring>

namespace unimq::amqp::codec {

namespace {
// Wire tag per variant alternative, in Variant order.
constexpr char kTags[] = {'V', 't', 'b', 'B', 's', 'u', 'I', 'i', 'l',
                          'L', 'f', 'd', 'D', 'S', 'x', 'A', 'T', 'F'};
static_assert(sizeof(kTags) == std::variant_size_v<FieldValue::Variant>);
}  // namespace

const FieldValue* FieldTable::find(std::string_view name) const {
  for (const auto& e : entries)
    if (e.name == name) return &e.value;
  return nullptr;
}

void FieldTable::set(std::string_view name, FieldValue value) {
  for (auto& e : entries)
    if (e.name == name) {
      e.value = std::move(value);
      return;
    }
  entries.push_back(FieldEntry{std::string(name), std::move(value)});
}

char FieldValue::type_tag() const { return kTags[v.index()]; }

std::optional<int64_t> FieldValue::as_int() const {
  return std::visit(
      [](const auto& x) -> std::optional<int64_t> {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>)
          return static_cast<int64_t>(x);
        else
          return std::nullopt;
      },
      v);
}

const std::string* FieldValue::as_string() const {
  if (auto* s = std::get_if<std::string>(&v)) return s;
  if (auto* b = std::get_if<ByteArray>(&v)) return &b->bytes;
  return nullptr;
}

void read_value(Reader& r, char tag, FieldValue& out, int depth) {
  switch (tag) {
    case 't':
      out.v = r.u8() != 0;
      break;
    case 'b':
      out.v = static_cast<int8_t>(r.u8());
      break;
    case 'B':
      out.v = r.u8();
      break;
    case 's':
      out.v = static_cast<int16_t>(r.u16());
      break;
    case 'u':
      out.v = r.u16();
      break;
    case 'I':
      out.v = static_cast<int32_t>(r.u32());
      break;
    case 'i':
      out.v = r.u32();
      break;
    case 'l':
      out.v = static_cast<int64_t>(r.u64());
      break;
    case 'L':
      out.v = r.u64();
      break;
    case 'f':
      out.v = std::bit_cast<float>(r.u32());
      break;
    case 'd':
      out.v = std::bit_cast<double>(r.u64());
      break;
    case 'D': {
      Decimal d;
      d.scale = r.u8();
      d.value = r.u32();
      out.v = d;
      break;
    }
    case 'S':
      out.v = r.longstr();
      break;
    case 'x':
      out.v = ByteArray{r.longstr()};
      break;
    case 'T':
      out.v = Timestamp{r.u64()};
      break;
    case 'V':
      out.v = Void{};
      break;
    case 'A': {
      FieldArray a;
      read_array(r, a, depth + 1);
      out.v = std::move(a);
      break;
    }
    case 'F': {
      FieldTable t;
      read_table(r, t, depth + 1);
      out.v = std::move(t);
      break;
    }
    default:
      r.fail("unknown field value type");
      break;
  }
}

void read_table(Reader& r, FieldTable& out, int depth) {
  out.entries.clear();
  if (depth > kMaxFieldNesting) return r.fail("field tables nested too deeply");
  const uint32_t len = r.u32();
  if (!r.ok()) return;
  if (len > r.remaining()) return r.fail("field table longer than its frame");
  Reader sub(r.position(), len);
  r.bytes(len);
  while (sub.ok() && !sub.at_end()) {
    FieldEntry e;
    e.name = sub.shortstr();
    const char tag = static_cast<char>(sub.u8());
    if (!sub.ok()) break;
    read_value(sub, tag, e.value, depth);
    if (sub.ok()) out.entries.push_back(std::move(e));
  }
  if (!sub.ok()) r.fail(sub.error());
}

void read_array(Reader& r, FieldArray& out, int depth) {
  out.items.clear();
  if (depth > kMaxFieldNesting) return r.fail("field arrays nested too deeply");
  const uint32_t len = r.u32();
  if (!r.ok()) return;
  if (len > r.remaining()) return r.fail("field array longer than its frame");
  Reader sub(r.position(), len);
  r.bytes(len);
  while (sub.ok() && !sub.at_end()) {
    const char tag = static_cast<char>(sub.u8());
    FieldValue v;
    read_value(sub, tag, v, depth);
    if (sub.ok()) out.items.push_back(std::move(v));
  }
  if (!sub.ok()) r.fail(sub.error());
}

namespace {
void write_payload(Writer& w, const FieldValue& fv) {
  std::visit(
      [&w](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, Void>) {
        } else if constexpr (std::is_same_v<T, bool>) {
          w.u8(x ? 1 : 0);
        } else if constexpr (std::is_same_v<T, int8_t> || std::is_same_v<T, uint8_t>) {
          w.u8(static_cast<uint8_t>(x));
        } else if constexpr (std::is_same_v<T, int16_t> || std::is_same_v<T, uint16_t>) {
          w.u16(static_cast<uint16_t>(x));
        } else if constexpr (std::is_same_v<T, int32_t> || std::is_same_v<T, uint32_t>) {
          w.u32(static_cast<uint32_t>(x));
        } else if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, uint64_t>) {
          w.u64(static_cast<uint64_t>(x));
        } else if constexpr (std::is_same_v<T, float>) {
          w.u32(std::bit_cast<uint32_t>(x));
        } else if constexpr (std::is_same_v<T, double>) {
          w.u64(std::bit_cast<uint64_t>(x));
        } else if constexpr (std::is_same_v<T, Decimal>) {
          w.u8(x.scale);
          w.u32(x.value);
        } else if constexpr (std::is_same_v<T, std::string>) {
          w.longstr(x);
        } else if constexpr (std::is_same_v<T, ByteArray>) {
          w.longstr(x.bytes);
        } else if constexpr (std::is_same_v<T, Timestamp>) {
          w.u64(x.seconds);
        } else if constexpr (std::is_same_v<T, FieldArray>) {
          write_array(w, x);
        } else if constexpr (std::is_same_v<T, FieldTable>) {
          write_table(w, x);
        }
      },
      fv.v);
}
}  // namespace

void write_value(Writer& w, const FieldValue& v) {
  w.u8(static_cast<uint8_t>(v.type_tag()));
  write_payload(w, v);
}

void write_table(Writer& w, const FieldTable& t) {
  const size_t at = w.reserve_u32();
  for (const auto& e : t.entries) {
    w.shortstr(e.name);
    write_value(w, e.value);
  }
  w.patch_u32(at, static_cast<uint32_t>(w.size() - at - 4));
}

void write_array(Writer& w, const FieldArray& a) {
  const size_t at = w.reserve_u32();
  for (const auto& v : a.items) write_value(w, v);
  w.patch_u32(at, static_cast<uint32_t>(w.size() - at - 4));
}

namespace {
void append_value(std::string& s, const FieldValue& fv);
void append_table(std::string& s, const FieldTable& t) {
  s += '{';
  for (size_t i = 0; i < t.entries.size(); ++i) {
    if (i) s += ", ";
    s += '"' + t.entries[i].name + "\": ";
    append_value(s, t.entries[i].value);
  }
  s += '}';
}
void append_value(std::string& s, const FieldValue& fv) {
  if (auto* t = fv.get<FieldTable>()) return append_table(s, *t);
  if (auto* a = fv.get<FieldArray>()) {
    s += '[';
    for (size_t i = 0; i < a->items.size(); ++i) {
      if (i) s += ", ";
      append_value(s, a->items[i]);
    }
    s += ']';
    return;
  }
  if (auto* b = fv.get<bool>()) return void(s += *b ? "true" : "false");
  if (auto* str = fv.as_string()) return void(s += '"' + *str + '"');
  if (auto n = fv.as_int()) return void(s += std::to_string(*n));
  if (auto* f = fv.get<float>()) return void(s += std::to_string(*f));
  if (auto* d = fv.get<double>()) return void(s += std::to_string(*d));
  if (auto* ts = fv.get<Timestamp>()) return void(s += std::to_string(ts->seconds));
  if (auto* dec = fv.get<Decimal>())
    return void(s += std::to_string(dec->value) + "e-" + std::to_string(dec->scale));
  s += "null";
}
}  // namespace

std::string to_string(const FieldTable& t) {
  std::string s;
  append_table(s, t);
  return s;
}

}  // namespace unimq::amqp::codec
