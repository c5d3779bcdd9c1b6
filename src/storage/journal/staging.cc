#include "storage/journal/staging.h"

#include "storage/journal/format.h"

#include <sys/mman.h>

#if defined(__x86_64__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <vector>

namespace unimq::storage::journal {
namespace {

// A new buffer is small (most streams stage little at a time); one that must hold more
// becomes a chunk: whole transparent huge pages, so direct I/O pins one folio instead of 512
// pages and the copy into it takes no TLB misses (writes ran at 1.2 GB/s from 4 KiB pages,
// 1.6 GB/s from huge ones). A stream fills chunks of kStagingChunk, which with the lead fits
// one huge page; only a single larger batch needs more.
constexpr size_t kSmallCapacity = 256u << 10;
constexpr size_t kHuge = 2u << 20;
static_assert(kStagingChunk + 2 * StagingBuffer::kAlign <= kHuge);
// The pool keeps at most this many buffers, none larger than kMaxPooled, kPoolBytes in all:
// enough for a stream's chunks in flight (kMaxPendingBytes), little for an idle broker.
constexpr size_t kMaxPooledBuffers = 16;
constexpr size_t kMaxPooled = 2 * kHuge;
constexpr size_t kPoolBytes = 32u << 20;

size_t round_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

struct Pool {
  std::mutex mu;
  std::vector<std::unique_ptr<StagingBuffer>> free;
  size_t bytes = 0;
};

Pool& pool() {
  static Pool* p = new Pool;  // never destroyed: streams may return buffers during exit
  return *p;
}

// Copies a batch into a chunk. The chunk is cold (last touched a buffer cycle ago) and the
// CPU never reads it again (the device reads it), so large copies use non-temporal stores:
// no read-for-ownership of every destination line, no eviction of the hot input buffer.
void copy_in(uint8_t* dst, const uint8_t* src, size_t n) {
#if defined(__x86_64__)
  if (n >= (16u << 10)) {
    const size_t head = (64 - reinterpret_cast<uintptr_t>(dst) % 64) % 64;
    std::memcpy(dst, src, head);
    dst += head;
    src += head;
    n -= head;
    auto* d = reinterpret_cast<__m128i*>(dst);
    const auto* s = reinterpret_cast<const __m128i*>(src);
    for (size_t i = 0, lines = n / 64; i < lines; ++i, d += 4, s += 4) {
      const __m128i a = _mm_loadu_si128(s), b = _mm_loadu_si128(s + 1), c = _mm_loadu_si128(s + 2),
                    e = _mm_loadu_si128(s + 3);
      _mm_stream_si128(d, a);
      _mm_stream_si128(d + 1, b);
      _mm_stream_si128(d + 2, c);
      _mm_stream_si128(d + 3, e);
    }
    std::memcpy(d, s, n % 64);
    _mm_sfence();  // ordered before the queue lock hands the chunk to the writer
    return;
  }
#endif
  std::memcpy(dst, src, n);
}

}  // namespace

uint8_t* allocate_aligned(size_t cap) {
  if (cap % kHuge == 0) {
    void* p =
        ::mmap(nullptr, cap + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    auto* raw = static_cast<uint8_t*>(p);
    auto* aligned =
        reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(raw) + kHuge - 1) / kHuge * kHuge);
    if (aligned > raw) ::munmap(raw, size_t(aligned - raw));
    if (size_t tail = size_t(raw + cap + kHuge - (aligned + cap)); tail > 0)
      ::munmap(aligned + cap, tail);
    ::madvise(aligned, cap, MADV_HUGEPAGE);
    return aligned;
  }
  auto* mem = static_cast<uint8_t*>(std::aligned_alloc(StagingBuffer::kAlign, cap));
  if (!mem) throw std::bad_alloc();
  return mem;
}

void free_aligned(uint8_t* mem, size_t cap) {
  if (!mem) return;
  if (cap % kHuge == 0)
    ::munmap(mem, cap);
  else
    std::free(mem);
}

StagingBuffer::~StagingBuffer() { free_aligned(mem_, cap_); }

void StagingBuffer::reset(size_t lead) {
  lead_ = lead;
  size_ = 0;
  if (cap_ < lead_ + 1) grow(1);
}

void StagingBuffer::grow(size_t need) {
  const size_t cap =
      lead_ + need <= kSmallCapacity ? kSmallCapacity : round_up(lead_ + need, kHuge);
  uint8_t* mem = allocate_aligned(cap);
  if (size_ > 0) std::memcpy(mem + lead_, mem_ + lead_, size_);
  free_aligned(mem_, cap_);
  mem_ = mem;
  cap_ = cap;
}

size_t StagingBuffer::append(std::span<const uint8_t> bytes) {
  if (lead_ + size_ + bytes.size() > cap_) grow(size_ + bytes.size());
  const size_t at = size_;
  copy_in(mem_ + lead_ + at, bytes.data(), bytes.size());
  size_ += bytes.size();
  return at;
}

std::unique_ptr<StagingBuffer> take_staging(size_t lead) {
  std::unique_ptr<StagingBuffer> b;
  {
    Pool& p = pool();
    std::lock_guard g(p.mu);
    if (!p.free.empty()) {
      b = std::move(p.free.back());
      p.free.pop_back();
      p.bytes -= b->capacity();
    }
  }
  if (!b) b = std::make_unique<StagingBuffer>();
  b->reset(lead);
  return b;
}

void give_staging(std::unique_ptr<StagingBuffer> b) {
  if (!b || b->capacity() > kMaxPooled) return;
  Pool& p = pool();
  std::lock_guard g(p.mu);
  if (p.free.size() >= kMaxPooledBuffers || p.bytes + b->capacity() > kPoolBytes) return;
  p.bytes += b->capacity();
  p.free.push_back(std::move(b));
}

}  // namespace unimq::storage::journal
