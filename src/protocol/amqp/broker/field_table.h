// AMQP 0-9-1 field tables as the broker model needs them: queue/exchange/binding arguments,
// message headers (headers exchange, x-death) and their wire encoding (RabbitMQ's type tags).
// A small self-contained placeholder the broker owns; the session converts from the codec's
// table type or passes raw encoded bytes through decode_table().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace unimq::amqp {

struct ArgValue;
using ArgTable = std::vector<std::pair<std::string, ArgValue>>;

// One field value. `type` is the wire tag: 't' bool, 'b' 'B' 's' 'u' 'I' 'i' 'l' integers,
// 'L' uint64 (stored as int64), 'f' 'd' floats, 'D' decimal, 'S' long string, 'x' bytes, 'T'
// timestamp, 'A' array, 'F' table, 'V' void.
struct ArgValue {
  char type = 'V';
  int64_t i = 0;                // bool, integers, timestamp, decimal value
  uint8_t scale = 0;            // decimal scale
  double d = 0;                 // 'f', 'd'
  std::string s;                // 'S', 'x'
  std::vector<ArgValue> array;  // 'A'
  ArgTable table;               // 'F'

  // Defined where ArgValue is complete: ArgTable holds pair<string, ArgValue>, which clang
  // (with libstdc++) will not instantiate inside ArgValue's own definition.
  ArgValue();
  ~ArgValue();
  ArgValue(const ArgValue&);
  ArgValue(ArgValue&&) noexcept;
  ArgValue& operator=(const ArgValue&);
  ArgValue& operator=(ArgValue&&) noexcept;

  static ArgValue str(std::string v);
  static ArgValue integer(int64_t v);  // 'l'
  static ArgValue timestamp(int64_t seconds);
  static ArgValue of_array(std::vector<ArgValue> v);
  static ArgValue of_table(ArgTable t);

  bool is_integer() const;
  bool is_string() const { return type == 'S' || type == 'x'; }
  // RabbitMQ compares header values by value (1 == 1 whatever the integer width).
  bool same_value(const ArgValue& o) const;
};

const ArgValue* find_arg(const ArgTable& t, std::string_view key);
std::optional<int64_t> arg_int(const ArgTable& t, std::string_view key);
std::optional<std::string> arg_string(const ArgTable& t, std::string_view key);
void set_arg(ArgTable& t, std::string_view key, ArgValue v);  // replaces or appends

// Wire encoding of a table's contents with its 4-byte length prefix.
void encode_table(const ArgTable& t, std::string& out);
// Decodes a table with its length prefix from `in`, advancing it; false on malformed input.
bool decode_table(std::string_view& in, ArgTable& out);

}  // namespace unimq::amqp
