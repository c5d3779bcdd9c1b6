// MQTT packet model shared by 3.1 (level 3), 3.1.1 (level 4) and 5.0 (level 5).
// Pure data: no I/O, no broker state. Decoding lives in decoder.h, encoding in encoder.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace unimq::mqtt {

enum class PacketType : uint8_t {
  Connect = 1,
  Connack = 2,
  Publish = 3,
  Puback = 4,
  Pubrec = 5,
  Pubrel = 6,
  Pubcomp = 7,
  Subscribe = 8,
  Suback = 9,
  Unsubscribe = 10,
  Unsuback = 11,
  Pingreq = 12,
  Pingresp = 13,
  Disconnect = 14,
  Auth = 15,
};

// Protocol level byte of CONNECT.
enum class Version : uint8_t { V31 = 3, V311 = 4, V5 = 5 };

// MQTT 5 reason codes (also used internally for 3.1.1, then mapped to return codes).
namespace reason {
constexpr uint8_t Success = 0x00;
constexpr uint8_t NormalDisconnection = 0x00;
constexpr uint8_t GrantedQoS0 = 0x00;
constexpr uint8_t GrantedQoS1 = 0x01;
constexpr uint8_t GrantedQoS2 = 0x02;
constexpr uint8_t DisconnectWithWill = 0x04;
constexpr uint8_t NoMatchingSubscribers = 0x10;
constexpr uint8_t NoSubscriptionExisted = 0x11;
constexpr uint8_t ContinueAuthentication = 0x18;
constexpr uint8_t ReAuthenticate = 0x19;
constexpr uint8_t UnspecifiedError = 0x80;
constexpr uint8_t MalformedPacket = 0x81;
constexpr uint8_t ProtocolError = 0x82;
constexpr uint8_t ImplementationSpecificError = 0x83;
constexpr uint8_t UnsupportedProtocolVersion = 0x84;
constexpr uint8_t ClientIdentifierNotValid = 0x85;
constexpr uint8_t BadUserNameOrPassword = 0x86;
constexpr uint8_t NotAuthorized = 0x87;
constexpr uint8_t ServerUnavailable = 0x88;
constexpr uint8_t ServerBusy = 0x89;
constexpr uint8_t Banned = 0x8A;
constexpr uint8_t ServerShuttingDown = 0x8B;
constexpr uint8_t BadAuthenticationMethod = 0x8C;
constexpr uint8_t KeepAliveTimeout = 0x8D;
constexpr uint8_t SessionTakenOver = 0x8E;
constexpr uint8_t TopicFilterInvalid = 0x8F;
constexpr uint8_t TopicNameInvalid = 0x90;
constexpr uint8_t PacketIdentifierInUse = 0x91;
constexpr uint8_t PacketIdentifierNotFound = 0x92;
constexpr uint8_t ReceiveMaximumExceeded = 0x93;
constexpr uint8_t TopicAliasInvalid = 0x94;
constexpr uint8_t PacketTooLarge = 0x95;
constexpr uint8_t MessageRateTooHigh = 0x96;
constexpr uint8_t QuotaExceeded = 0x97;
constexpr uint8_t AdministrativeAction = 0x98;
constexpr uint8_t PayloadFormatInvalid = 0x99;
constexpr uint8_t RetainNotSupported = 0x9A;
constexpr uint8_t QoSNotSupported = 0x9B;
constexpr uint8_t UseAnotherServer = 0x9C;
constexpr uint8_t ServerMoved = 0x9D;
constexpr uint8_t SharedSubscriptionsNotSupported = 0x9E;
constexpr uint8_t ConnectionRateExceeded = 0x9F;
constexpr uint8_t MaximumConnectTime = 0xA0;
constexpr uint8_t SubscriptionIdentifiersNotSupported = 0xA1;
constexpr uint8_t WildcardSubscriptionsNotSupported = 0xA2;
}  // namespace reason

// MQTT 3.1/3.1.1 CONNACK return codes.
namespace connack_v3 {
constexpr uint8_t Accepted = 0;
constexpr uint8_t UnacceptableProtocolVersion = 1;
constexpr uint8_t IdentifierRejected = 2;
constexpr uint8_t ServerUnavailable = 3;
constexpr uint8_t BadUserNameOrPassword = 4;
constexpr uint8_t NotAuthorized = 5;
}  // namespace connack_v3

using UserProperties = std::vector<std::pair<std::string, std::string>>;

// Every MQTT 5 property. Absent = std::nullopt / empty vector. Binary data is held in std::string.
struct Properties {
  std::optional<uint8_t> payload_format_indicator;           // 0x01
  std::optional<uint32_t> message_expiry_interval;           // 0x02
  std::optional<std::string> content_type;                   // 0x03
  std::optional<std::string> response_topic;                 // 0x08
  std::optional<std::string> correlation_data;               // 0x09 (binary)
  std::vector<uint32_t> subscription_identifiers;            // 0x0B (varint; several allowed in PUBLISH)
  std::optional<uint32_t> session_expiry_interval;           // 0x11
  std::optional<std::string> assigned_client_identifier;     // 0x12
  std::optional<uint16_t> server_keep_alive;                 // 0x13
  std::optional<std::string> authentication_method;          // 0x15
  std::optional<std::string> authentication_data;            // 0x16 (binary)
  std::optional<uint8_t> request_problem_information;        // 0x17
  std::optional<uint32_t> will_delay_interval;               // 0x18
  std::optional<uint8_t> request_response_information;       // 0x19
  std::optional<std::string> response_information;           // 0x1A
  std::optional<std::string> server_reference;               // 0x1C
  std::optional<std::string> reason_string;                  // 0x1F
  std::optional<uint16_t> receive_maximum;                   // 0x21
  std::optional<uint16_t> topic_alias_maximum;               // 0x22
  std::optional<uint16_t> topic_alias;                       // 0x23
  std::optional<uint8_t> maximum_qos;                        // 0x24
  std::optional<uint8_t> retain_available;                   // 0x25
  UserProperties user_properties;                            // 0x26 (ordered, duplicates allowed)
  std::optional<uint32_t> maximum_packet_size;               // 0x27
  std::optional<uint8_t> wildcard_subscription_available;    // 0x28
  std::optional<uint8_t> subscription_identifier_available;  // 0x29
  std::optional<uint8_t> shared_subscription_available;      // 0x2A

  bool operator==(const Properties&) const = default;
};

struct Will {
  std::string topic;
  std::string payload;  // binary
  uint8_t qos = 0;
  bool retain = false;
  Properties props;  // will properties (v5)
  bool operator==(const Will&) const = default;
};

struct Connect {
  std::string protocol_name = "MQTT";  // "MQIsdp" for 3.1
  Version version = Version::V311;
  bool clean_start = true;  // clean session in 3.1.1
  uint16_t keep_alive = 60;
  std::string client_id;
  std::optional<Will> will;
  std::optional<std::string> username;
  std::optional<std::string> password;  // binary
  Properties props;
  bool operator==(const Connect&) const = default;
};

struct Connack {
  bool session_present = false;
  uint8_t reason_code = 0;  // v5 reason code, or v3 return code
  Properties props;
  bool operator==(const Connack&) const = default;
};

struct Publish {
  bool dup = false;
  uint8_t qos = 0;
  bool retain = false;
  std::string topic;       // may be empty in v5 when a topic alias is used
  uint16_t packet_id = 0;  // only for qos > 0
  Properties props;
  // Decoding: a view into the decoder's input buffer (valid while that buffer is).
  // Encoding: the payload bytes to append.
  std::string_view payload;
  bool operator==(const Publish&) const = default;
};

// PUBACK, PUBREC, PUBREL, PUBCOMP share one shape.
struct Ack {
  PacketType type = PacketType::Puback;
  uint16_t packet_id = 0;
  uint8_t reason_code = 0;
  Properties props;
  bool operator==(const Ack&) const = default;
};

struct SubscribeTopic {
  std::string filter;
  uint8_t qos = 0;
  bool no_local = false;             // v5
  bool retain_as_published = false;  // v5
  uint8_t retain_handling = 0;       // v5: 0 send, 1 send if new, 2 never
  bool operator==(const SubscribeTopic&) const = default;
};

struct Subscribe {
  uint16_t packet_id = 0;
  Properties props;
  std::vector<SubscribeTopic> topics;
  bool operator==(const Subscribe&) const = default;
};

struct Suback {
  uint16_t packet_id = 0;
  Properties props;
  std::vector<uint8_t> reason_codes;  // v3: 0,1,2 or 0x80
  bool operator==(const Suback&) const = default;
};

struct Unsubscribe {
  uint16_t packet_id = 0;
  Properties props;
  std::vector<std::string> filters;
  bool operator==(const Unsubscribe&) const = default;
};

struct Unsuback {
  uint16_t packet_id = 0;
  Properties props;
  std::vector<uint8_t> reason_codes;  // v5 only; empty for v3
  bool operator==(const Unsuback&) const = default;
};

struct Pingreq {
  bool operator==(const Pingreq&) const = default;
};
struct Pingresp {
  bool operator==(const Pingresp&) const = default;
};

struct Disconnect {
  uint8_t reason_code = 0;
  Properties props;
  bool operator==(const Disconnect&) const = default;
};

struct Auth {
  uint8_t reason_code = 0;
  Properties props;
  bool operator==(const Auth&) const = default;
};

using Packet = std::variant<Connect, Connack, Publish, Ack, Subscribe, Suback, Unsubscribe,
                            Unsuback, Pingreq, Pingresp, Disconnect, Auth>;

PacketType packet_type(const Packet& p);
const char* packet_type_name(PacketType t);

}  // namespace unimq::mqtt
