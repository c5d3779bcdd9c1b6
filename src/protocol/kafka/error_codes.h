// Kafka wire error codes used by this broker, and the one mapping from storage errors to them.
#pragma once

#include <cstdint>

#include "storage/status.h"

namespace unimq::kafka {

enum class ErrorCode : int16_t {
  kNone = 0,
  kOffsetOutOfRange = 1,
  kCorruptMessage = 2,
  kUnknownTopicOrPartition = 3,
  kInvalidFetchSize = 4,
  kLeaderNotAvailable = 5,
  kNotLeaderOrFollower = 6,
  kRequestTimedOut = 7,
  kMessageTooLarge = 10,
  kCoordinatorNotAvailable = 15,
  kNotCoordinator = 16,
  kInvalidTopicException = 17,
  kRecordListTooLarge = 18,
  kInvalidRequiredAcks = 21,
  kInvalidTimestamp = 32,
  kUnsupportedSaslMechanism = 33,
  kIllegalSaslState = 34,
  kUnsupportedVersion = 35,
  kTopicAlreadyExists = 36,
  kInvalidPartitions = 37,
  kInvalidReplicationFactor = 38,
  kInvalidRequest = 42,
  kUnsupportedForMessageFormat = 43,
  kPolicyViolation = 44,
  kOutOfOrderSequenceNumber = 45,
  kDuplicateSequenceNumber = 46,
  kInvalidProducerEpoch = 47,
  kInvalidTxnState = 48,
  kInvalidConfig = 40,
  kSaslAuthenticationFailed = 58,
  kUnknownProducerId = 59,
  kKafkaStorageError = 56,
  kUnknownServerError = -1,
  kUnknownTopicId = 100,
};

inline int16_t code(ErrorCode e) { return static_cast<int16_t>(e); }

inline ErrorCode from_storage(const storage::Status& s) {
  using storage::Errc;
  switch (s.code) {
    case Errc::Ok:
      return ErrorCode::kNone;
    case Errc::NotFound:
      return ErrorCode::kUnknownTopicOrPartition;
    case Errc::OffsetOutOfRange:
      return ErrorCode::kOffsetOutOfRange;
    case Errc::CorruptBatch:
      return ErrorCode::kCorruptMessage;
    case Errc::DiskFull:
    case Errc::IoError:
      return ErrorCode::kKafkaStorageError;
    case Errc::Closed:
      return ErrorCode::kNotLeaderOrFollower;
    case Errc::InvalidArgument:
      return ErrorCode::kInvalidRequest;
  }
  return ErrorCode::kUnknownServerError;
}

}  // namespace unimq::kafka
