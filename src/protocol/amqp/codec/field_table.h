// AMQP 0-9-1 field tables and arrays in RabbitMQ's dialect (x-arguments, headers exchange,
// message headers, peer properties). Every value keeps its wire type, so a decoded table
// re-encodes to the same bytes.
//
// Type tags (RabbitMQ, not the 0-9-1 spec errata): t bool, b int8, B uint8, s int16 (!),
// u uint16, I int32, i uint32, l int64, L uint64, f float, d double, D decimal, S long string,
// x byte array, A array, T timestamp, F table, V void.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocol/amqp/codec/wire.h"

namespace unimq::amqp::codec {

struct FieldValue;
struct FieldEntry;

struct Decimal {
  uint8_t scale = 0;
  uint32_t value = 0;
  bool operator==(const Decimal&) const = default;
};
struct ByteArray {  // 'x'
  std::string bytes;
  bool operator==(const ByteArray&) const = default;
};
struct Timestamp {  // 'T', seconds since the epoch
  uint64_t seconds = 0;
  bool operator==(const Timestamp&) const = default;
};
struct Void {  // 'V'
  bool operator==(const Void&) const = default;
};

// Ordered name/value pairs; duplicates are kept as received (lookups return the first).
// FieldTable and FieldArray hold vectors of types completed further down, so their special
// members are defined after those (clang rejects the implicit ones here).
struct FieldTable {
  std::vector<FieldEntry> entries;

  FieldTable();
  FieldTable(const FieldTable&);
  FieldTable(FieldTable&&) noexcept;
  FieldTable& operator=(const FieldTable&);
  FieldTable& operator=(FieldTable&&) noexcept;
  ~FieldTable();

  bool empty() const;
  size_t size() const;
  const FieldValue* find(std::string_view name) const;
  // Replaces the first entry with this name or appends one.
  void set(std::string_view name, FieldValue value);
  bool operator==(const FieldTable& o) const;
};

struct FieldArray {
  std::vector<FieldValue> items;

  FieldArray();
  FieldArray(std::vector<FieldValue> values);  // NOLINT: FieldArray{{a, b}}
  FieldArray(const FieldArray&);
  FieldArray(FieldArray&&) noexcept;
  FieldArray& operator=(const FieldArray&);
  FieldArray& operator=(FieldArray&&) noexcept;
  ~FieldArray();

  bool operator==(const FieldArray& o) const;
};

struct FieldValue {
  using Variant = std::variant<Void, bool, int8_t, uint8_t, int16_t, uint16_t, int32_t, uint32_t,
                               int64_t, uint64_t, float, double, Decimal, std::string, ByteArray,
                               FieldArray, Timestamp, FieldTable>;
  Variant v;

  FieldValue() = default;
  template <typename T>
  requires std::is_constructible_v<Variant, T&&> FieldValue(T&& x)
      : v(std::forward<T>(x)) {}  // NOLINT: implicit on purpose
  FieldValue(const char* s) : v(std::string(s)) {}

  char type_tag() const;
  template <typename T>
  const T* get() const {
    return std::get_if<T>(&v);
  }
  // Any integer type widened (bool excluded); nullopt for other types.
  std::optional<int64_t> as_int() const;
  // 'S' long string or 'x' byte array contents.
  const std::string* as_string() const;
  bool operator==(const FieldValue& o) const { return v == o.v; }
};

struct FieldEntry {
  std::string name;
  FieldValue value;
  bool operator==(const FieldEntry&) const = default;
};

inline FieldTable::FieldTable() = default;
inline FieldTable::FieldTable(const FieldTable&) = default;
inline FieldTable::FieldTable(FieldTable&&) noexcept = default;
inline FieldTable& FieldTable::operator=(const FieldTable&) = default;
inline FieldTable& FieldTable::operator=(FieldTable&&) noexcept = default;
inline FieldTable::~FieldTable() = default;
inline bool FieldTable::empty() const { return entries.empty(); }
inline size_t FieldTable::size() const { return entries.size(); }
inline bool FieldTable::operator==(const FieldTable& o) const { return entries == o.entries; }

inline FieldArray::FieldArray() = default;
inline FieldArray::FieldArray(std::vector<FieldValue> values) : items(std::move(values)) {}
inline FieldArray::FieldArray(const FieldArray&) = default;
inline FieldArray::FieldArray(FieldArray&&) noexcept = default;
inline FieldArray& FieldArray::operator=(const FieldArray&) = default;
inline FieldArray& FieldArray::operator=(FieldArray&&) noexcept = default;
inline FieldArray::~FieldArray() = default;
inline bool FieldArray::operator==(const FieldArray& o) const { return items == o.items; }

// Tables nest at most this deep; deeper input is malformed (keeps the decoder's stack bounded).
constexpr int kMaxFieldNesting = 64;

// Reads a table (u32 length + entries). On malformed input the reader fails with a reason.
void read_table(Reader& r, FieldTable& out, int depth = 0);
void read_array(Reader& r, FieldArray& out, int depth = 0);
// Reads one value given its tag (already consumed).
void read_value(Reader& r, char tag, FieldValue& out, int depth = 0);

void write_table(Writer& w, const FieldTable& t);
void write_array(Writer& w, const FieldArray& a);
void write_value(Writer& w, const FieldValue& v);  // tag + value

// Debug text like {"a": 1, "b": [true]}.
std::string to_string(const FieldTable& t);

}  // namespace unimq::amqp::codec
