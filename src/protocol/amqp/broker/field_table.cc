#include "protocol/amqp/broker/field_table.h"

#include <cstring>

namespace unimq::amqp {

ArgValue::ArgValue() = default;
ArgValue::~ArgValue() = default;
ArgValue::ArgValue(const ArgValue&) = default;
ArgValue::ArgValue(ArgValue&&) noexcept = default;
ArgValue& ArgValue::operator=(const ArgValue&) = default;
ArgValue& ArgValue::operator=(ArgValue&&) noexcept = default;
namespace {

void put_u8(std::string& o, uint8_t v) { o.push_back(static_cast<char>(v)); }
void put_be(std::string& o, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) o.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
bool get_be(std::string_view& in, int bytes, uint64_t& v) {
  if (in.size() < static_cast<size_t>(bytes)) return false;
  v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  in.remove_prefix(bytes);
  return true;
}
int64_t sign_extend(uint64_t v, int bytes) {
  if (bytes == 8) return static_cast<int64_t>(v);
  const uint64_t sign = 1ull << (bytes * 8 - 1);
  return static_cast<int64_t>((v ^ sign) - sign);
}

void encode_value(const ArgValue& v, std::string& o);
bool decode_value(std::string_view& in, ArgValue& v, int depth);

void encode_value(const ArgValue& v, std::string& o) {
  put_u8(o, static_cast<uint8_t>(v.type));
  switch (v.type) {
    case 't':
    case 'b':
    case 'B':
      put_be(o, static_cast<uint64_t>(v.i), 1);
      break;
    case 's':
    case 'u':
      put_be(o, static_cast<uint64_t>(v.i), 2);
      break;
    case 'I':
    case 'i':
      put_be(o, static_cast<uint64_t>(v.i), 4);
      break;
    case 'l':
    case 'L':
    case 'T':
      put_be(o, static_cast<uint64_t>(v.i), 8);
      break;
    case 'f': {
      float f = static_cast<float>(v.d);
      uint32_t b;
      std::memcpy(&b, &f, 4);
      put_be(o, b, 4);
      break;
    }
    case 'd': {
      uint64_t b;
      std::memcpy(&b, &v.d, 8);
      put_be(o, b, 8);
      break;
    }
    case 'D':
      put_u8(o, v.scale);
      put_be(o, static_cast<uint64_t>(v.i), 4);
      break;
    case 'S':
    case 'x':
      put_be(o, v.s.size(), 4);
      o += v.s;
      break;
    case 'A': {
      std::string inner;
      for (const auto& e : v.array) encode_value(e, inner);
      put_be(o, inner.size(), 4);
      o += inner;
      break;
    }
    case 'F':
      encode_table(v.table, o);
      break;
    default:
      break;  // 'V'
  }
}

bool decode_table_at(std::string_view& in, ArgTable& out, int depth);

bool decode_value(std::string_view& in, ArgValue& v, int depth) {
  if (in.empty() || depth > 64) return false;  // the codec's kMaxFieldNesting
  v.type = in[0];
  in.remove_prefix(1);
  uint64_t u = 0;
  switch (v.type) {
    case 't':
    case 'B':
      if (!get_be(in, 1, u)) return false;
      v.i = static_cast<int64_t>(u);
      return true;
    case 'b':
      if (!get_be(in, 1, u)) return false;
      v.i = sign_extend(u, 1);
      return true;
    case 's':
      if (!get_be(in, 2, u)) return false;
      v.i = sign_extend(u, 2);
      return true;
    case 'u':
      if (!get_be(in, 2, u)) return false;
      v.i = static_cast<int64_t>(u);
      return true;
    case 'I':
      if (!get_be(in, 4, u)) return false;
      v.i = sign_extend(u, 4);
      return true;
    case 'i':
      if (!get_be(in, 4, u)) return false;
      v.i = static_cast<int64_t>(u);
      return true;
    case 'l':
    case 'L':
    case 'T':
      if (!get_be(in, 8, u)) return false;
      v.i = static_cast<int64_t>(u);
      return true;
    case 'f': {
      if (!get_be(in, 4, u)) return false;
      uint32_t b = static_cast<uint32_t>(u);
      float f;
      std::memcpy(&f, &b, 4);
      v.d = f;
      return true;
    }
    case 'd':
      if (!get_be(in, 8, u)) return false;
      std::memcpy(&v.d, &u, 8);
      return true;
    case 'D':
      if (!get_be(in, 1, u)) return false;
      v.scale = static_cast<uint8_t>(u);
      if (!get_be(in, 4, u)) return false;
      v.i = sign_extend(u, 4);
      return true;
    case 'S':
    case 'x':
      if (!get_be(in, 4, u) || in.size() < u) return false;
      v.s.assign(in.substr(0, u));
      in.remove_prefix(u);
      return true;
    case 'A': {
      if (!get_be(in, 4, u) || in.size() < u) return false;
      std::string_view inner = in.substr(0, u);
      in.remove_prefix(u);
      while (!inner.empty()) {
        v.array.emplace_back();
        if (!decode_value(inner, v.array.back(), depth + 1)) return false;
      }
      return true;
    }
    case 'F':
      return decode_table_at(in, v.table, depth + 1);
    case 'V':
      return true;
    default:
      return false;
  }
}

bool decode_table_at(std::string_view& in, ArgTable& out, int depth) {
  uint64_t len = 0;
  if (!get_be(in, 4, len) || in.size() < len) return false;
  std::string_view body = in.substr(0, len);
  in.remove_prefix(len);
  while (!body.empty()) {
    const auto klen = static_cast<uint8_t>(body[0]);
    if (body.size() < 1u + klen) return false;
    std::string key(body.substr(1, klen));
    body.remove_prefix(1 + klen);
    ArgValue v;
    if (!decode_value(body, v, depth)) return false;
    out.emplace_back(std::move(key), std::move(v));
  }
  return true;
}

}  // namespace

ArgValue ArgValue::str(std::string v) {
  ArgValue a;
  a.type = 'S';
  a.s = std::move(v);
  return a;
}
ArgValue ArgValue::integer(int64_t v) {
  ArgValue a;
  a.type = 'l';
  a.i = v;
  return a;
}
ArgValue ArgValue::timestamp(int64_t seconds) {
  ArgValue a;
  a.type = 'T';
  a.i = seconds;
  return a;
}
ArgValue ArgValue::of_array(std::vector<ArgValue> v) {
  ArgValue a;
  a.type = 'A';
  a.array = std::move(v);
  return a;
}
ArgValue ArgValue::of_table(ArgTable t) {
  ArgValue a;
  a.type = 'F';
  a.table = std::move(t);
  return a;
}

bool ArgValue::is_integer() const {
  switch (type) {
    case 'b':
    case 'B':
    case 's':
    case 'u':
    case 'I':
    case 'i':
    case 'l':
    case 'L':
      return true;
    default:
      return false;
  }
}

bool ArgValue::same_value(const ArgValue& o) const {
  if (is_integer() && o.is_integer()) return i == o.i;
  if (is_string() && o.is_string()) return s == o.s;
  if (type != o.type) return false;
  switch (type) {
    case 't':
    case 'T':
      return (i != 0) == (o.i != 0) && (type == 't' || i == o.i);
    case 'f':
    case 'd':
      return d == o.d;
    case 'D':
      return i == o.i && scale == o.scale;
    case 'V':
      return true;
    case 'A':
      if (array.size() != o.array.size()) return false;
      for (size_t k = 0; k < array.size(); ++k)
        if (!array[k].same_value(o.array[k])) return false;
      return true;
    case 'F': {
      if (table.size() != o.table.size()) return false;
      for (size_t k = 0; k < table.size(); ++k)
        if (table[k].first != o.table[k].first || !table[k].second.same_value(o.table[k].second))
          return false;
      return true;
    }
    default:
      return false;
  }
}

const ArgValue* find_arg(const ArgTable& t, std::string_view key) {
  for (const auto& [k, v] : t)
    if (k == key) return &v;
  return nullptr;
}

std::optional<int64_t> arg_int(const ArgTable& t, std::string_view key) {
  const ArgValue* v = find_arg(t, key);
  if (!v || !v->is_integer()) return std::nullopt;
  return v->i;
}

std::optional<std::string> arg_string(const ArgTable& t, std::string_view key) {
  const ArgValue* v = find_arg(t, key);
  if (!v || !v->is_string()) return std::nullopt;
  return v->s;
}

void set_arg(ArgTable& t, std::string_view key, ArgValue v) {
  for (auto& [k, old] : t)
    if (k == key) {
      old = std::move(v);
      return;
    }
  t.emplace_back(std::string(key), std::move(v));
}

void encode_table(const ArgTable& t, std::string& out) {
  std::string body;
  for (const auto& [k, v] : t) {
    put_u8(body, static_cast<uint8_t>(std::min<size_t>(k.size(), 255)));
    body.append(k, 0, std::min<size_t>(k.size(), 255));
    encode_value(v, body);
  }
  put_be(out, body.size(), 4);
  out += body;
}

bool decode_table(std::string_view& in, ArgTable& out) { return decode_table_at(in, out, 0); }

}  // namespace unimq::amqp
