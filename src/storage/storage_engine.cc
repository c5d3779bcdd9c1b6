// StorageEngine: per-namespace backend choice, journal directory checks and recovery, and
// the background threads (journal writers, interval flusher, retention).
#include "storage/storage_engine.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <thread>
#include <tuple>

#include <spdlog/spdlog.h>

#include "storage/journal/file_util.h"
#include "storage/journal/format.h"
#include "storage/journal/journal_stream.h"
#include "storage/journal/segment_files.h"
#include "storage/memory/memory_stream.h"

namespace unimq::storage {

std::optional<Backend> parse_backend(std::string_view s) {
  if (s == "memory") return Backend::Memory;
  if (s == "journal") return Backend::Journal;
  return std::nullopt;
}

namespace {

using journal::JournalStream;
using Key = std::tuple<std::string, std::string, uint32_t>;

std::vector<std::string> list_dir(const std::string& path) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(path.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n.empty() || n[0] == '.') continue;
      if (e->d_type == DT_DIR || e->d_type == DT_UNKNOWN) out.push_back(n);
    }
    ::closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Creates the journal root, checks FORMAT and that files can be created there, and takes
// the directory lock (lock_fd) so two brokers never write the same journal.
Status prepare_journal_dir(const std::string& root, int& lock_fd) {
  Status st = journal::make_dirs(root);
  if (!st.ok()) return st;
  const std::string lock_path = root + "/.lock";
  lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0) return journal::errno_status("cannot create", lock_path, errno);
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(lock_fd);
    lock_fd = -1;
    if (err == EWOULDBLOCK) {
      return Status::Error(Errc::IoError, lock_path +
                                              " is locked: another process (or engine) "
                                              "is using this journal");
    }
    return journal::errno_status("cannot lock", lock_path, err);
  }
  const std::string format_path = root + "/" + journal::kFormatFileName;
  std::string text;
  st = journal::read_small_file(format_path, text);
  if (st.code == Errc::NotFound) {
    return journal::write_file_atomic(
        format_path, "unimq-journal " + std::to_string(journal::kJournalFormatVersion) + "\n");
  }
  if (!st.ok()) return st;
  int version = 0;
  if (std::sscanf(text.c_str(), "unimq-journal %d", &version) != 1 || version < 1) {
    return Status::Error(Errc::IoError, format_path + " is not a UniMQ journal FORMAT file");
  }
  if (version > journal::kJournalFormatVersion) {
    return Status::Error(Errc::InvalidArgument,
                         format_path + ": journal format " + std::to_string(version) +
                             " is newer than this build supports (" +
                             std::to_string(journal::kJournalFormatVersion) + ")");
  }
  const std::string probe = root + "/.write-probe";
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return journal::errno_status("cannot create", probe, errno);
  ::close(fd);
  ::unlink(probe.c_str());
  return Status::Ok();
}

constexpr uint64_t kReservedFds = 4096;
// The active segment, its O_DIRECT twin, and a share of the sealed segments' descriptors
// (storage.max_open_segments defaults to one per stream: journal/segment_files.h).
constexpr uint64_t kFdsPerStream = 3;

uint32_t nofile_limit_budget() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
    return journal_stream_budget(1u << 20);
  return journal_stream_budget(rl.rlim_cur);
}

class Engine : public StorageEngine {
 public:
  explicit Engine(EngineOptions opts)
      : opts_(std::move(opts)),
        max_streams_(opts_.max_streams ? opts_.max_streams : nofile_budget_) {
    journal_root_ = opts_.data_dir + "/journal";
    size_t threads = std::clamp<size_t>(std::thread::hardware_concurrency() / 2, 2, 8);
    writers_ = std::make_shared<journal::WriterPool>(threads);
    tail_budget_ = std::make_shared<journal::TailCacheBudget>(opts_.tail_cache_stream_bytes,
                                                              opts_.tail_cache_bytes);
    journal::SegmentFiles::instance().set_capacity(opts_.max_open_segments ? opts_.max_open_segments
                                                                           : nofile_budget_);
  }
  ~Engine() override {
    close();
    if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the directory lock
  }
  void set_lock_fd(int fd) { lock_fd_ = fd; }

  Backend backend_for(const std::string& ns) const {
    auto it = opts_.backend_by_namespace.find(ns);
    return it == opts_.backend_by_namespace.end() ? opts_.default_backend : it->second;
  }

  // A journal stream's config: the caller's (or the defaults) with the engine-wide settings.
  StreamConfig journal_config(const StreamConfig* config) const {
    StreamConfig c = config ? *config : opts_.default_stream;
    c.page_cache_window_bytes = opts_.default_stream.page_cache_window_bytes;
    c.direct_io = opts_.default_stream.direct_io;
    return c;
  }

  std::string stream_dir(const StreamId& id) const {
    return journal_root_ + "/" + journal::escape_name(id.ns) + "/" + journal::escape_name(id.name) +
           "-" + std::to_string(id.partition);
  }

  Status recover_all() {
    for (const std::string& ns_dir : list_dir(journal_root_)) {
      std::string ns;
      if (!journal::unescape_name(ns_dir, ns)) continue;
      if (backend_for(ns) != Backend::Journal) {
        spdlog::warn(
            "journal: namespace={} has journal files but uses another backend; "
            "leaving them untouched",
            ns);
        continue;
      }
      for (const std::string& dir : list_dir(journal_root_ + "/" + ns_dir)) {
        size_t dash = dir.rfind('-');
        StreamId id;
        id.ns = ns;
        if (dash == std::string::npos || dash == 0 ||
            !journal::unescape_name(dir.substr(0, dash), id.name)) {
          spdlog::warn("journal: ignoring unexpected directory {}/{}", ns_dir, dir);
          continue;
        }
        const std::string part = dir.substr(dash + 1);
        if (part.empty() || part.size() > 10 ||
            part.find_first_not_of("0123456789") != std::string::npos ||
            std::stoull(part) > UINT32_MAX) {
          spdlog::warn("journal: ignoring unexpected directory {}/{}", ns_dir, dir);
          continue;
        }
        id.partition = uint32_t(std::stoull(part));
        std::shared_ptr<JournalStream> js;
        Status st = JournalStream::open(stream_dir(id), id, journal_config(nullptr), writers_,
                                        tail_budget_, js);
        if (!st.ok()) {
          return Status::Error(st.code,
                               "cannot recover stream " + id.to_string() + ": " + st.message);
        }
        add_flush_target(js);
        streams_[key(id)] = Entry{js, js.get(), nullptr, false};
      }
    }
    if (streams_.size() > max_streams_)
      spdlog::warn(
          "journal: {} streams recovered, more than storage.max_streams ({}): no new ones can "
          "be created, and files may run out (raise the open-file limit)",
          streams_.size(), max_streams_);
    return Status::Ok();
  }

  void start_background() {
    retention_thread_ = std::thread([this] { retention_loop(); });
  }

  std::shared_ptr<Stream> get_or_create(const StreamId& id, const StreamConfig* config) override {
    if (id.ns.empty() || id.name.empty()) {
      spdlog::error("storage: invalid stream id {}", id.to_string());
      return nullptr;
    }
    std::lock_guard lock(mu_);
    if (closed_) return nullptr;
    auto it = streams_.find(key(id));
    if (it != streams_.end()) {
      Entry& e = it->second;
      // A stream recovered at start-up takes the configuration of its first user.
      if (config && !e.claimed && e.journal) {
        e.journal->reconfigure(journal_config(config));
        flusher_.note_interval(std::max<uint32_t>(config->fsync_interval_ms, 1));
      }
      e.claimed = true;
      return e.stream;
    }
    if (streams_.size() >= max_streams_) {
      spdlog::error(
          "storage: cannot open stream {}: {} streams are open, the limit "
          "(storage.max_streams)",
          id.to_string(), streams_.size());
      return nullptr;
    }
    const StreamConfig& cfg = config ? *config : opts_.default_stream;
    Entry e;
    e.claimed = true;
    if (backend_for(id.ns) == Backend::Memory) {
      auto ms = std::make_shared<MemoryStream>(id, cfg);
      e.stream = ms;
      e.memory = ms.get();
    } else {
      std::shared_ptr<JournalStream> js;
      Status st =
          JournalStream::open(stream_dir(id), id, journal_config(&cfg), writers_, tail_budget_, js);
      if (!st.ok()) {
        spdlog::error("storage: cannot open stream {}: {}", id.to_string(), st.message);
        return nullptr;
      }
      add_flush_target(js);
      e.stream = js;
      e.journal = js.get();
    }
    streams_[key(id)] = e;
    return e.stream;
  }

  std::shared_ptr<Stream> find(const StreamId& id) override {
    std::lock_guard lock(mu_);
    auto it = streams_.find(key(id));
    return it == streams_.end() ? nullptr : it->second.stream;
  }

  Status remove(const StreamId& id) override {
    Entry e;
    {
      std::lock_guard lock(mu_);
      auto it = streams_.find(key(id));
      if (it == streams_.end()) return Status::Error(Errc::NotFound, id.to_string());
      e = it->second;
      streams_.erase(it);
    }
    if (e.memory) e.memory->close();
    if (!e.journal) return Status::Ok();
    e.journal->close();
    std::error_code ec;
    std::filesystem::remove_all(e.journal->dir(), ec);
    if (ec) {
      return Status::Error(Errc::IoError,
                           "cannot remove " + e.journal->dir() + ": " + ec.message());
    }
    spdlog::info("journal: removed stream={}", id.to_string());
    return Status::Ok();
  }

  size_t streams_left() override {
    std::lock_guard lock(mu_);
    return streams_.size() >= max_streams_ ? 0 : max_streams_ - streams_.size();
  }

  std::vector<StreamId> list(const std::string& ns) override {
    std::lock_guard lock(mu_);
    std::vector<StreamId> out;
    for (const auto& [k, e] : streams_) {
      if (std::get<0>(k) == ns) out.push_back(e.stream->id());
    }
    return out;
  }

  void close() override {
    std::map<Key, Entry> streams;
    {
      std::lock_guard lock(mu_);
      if (closed_) return;
      closed_ = true;
      streams = streams_;
    }
    retention_cv_.notify_all();
    if (retention_thread_.joinable()) retention_thread_.join();
    for (auto& [k, e] : streams) {
      if (e.journal) e.journal->close();
      if (e.memory) e.memory->close();
    }
    flusher_.stop();
    writers_->stop();
  }

 private:
  struct Entry {
    std::shared_ptr<Stream> stream;
    JournalStream* journal = nullptr;
    MemoryStream* memory = nullptr;
    bool claimed = false;
  };

  static Key key(const StreamId& id) { return {id.ns, id.name, id.partition}; }

  void add_flush_target(const std::shared_ptr<JournalStream>& js) {
    std::weak_ptr<JournalStream> weak = js;
    flusher_.add(
        [weak](int64_t now) {
          auto s = weak.lock();
          return s && s->flush_if_due(now);
        },
        std::max<uint32_t>(js->config().fsync_interval_ms, 1));
  }

  void retention_loop() {
    std::unique_lock lock(mu_);
    while (!closed_) {
      retention_cv_.wait_for(
          lock, std::chrono::milliseconds(std::max<uint32_t>(opts_.retention_check_ms, 1)));
      if (closed_) break;
      std::vector<std::shared_ptr<Stream>> streams;
      for (const auto& [k, e] : streams_) streams.push_back(e.stream);
      lock.unlock();
      const int64_t now = journal::wall_ms();
      for (const auto& s : streams) s->enforce_retention(now);
      lock.lock();
    }
  }

  EngineOptions opts_;
  const uint32_t nofile_budget_ = nofile_limit_budget();  // read once: both limits default to it
  const size_t max_streams_;
  std::string journal_root_;
  std::shared_ptr<journal::WriterPool> writers_;
  std::shared_ptr<journal::TailCacheBudget> tail_budget_;
  journal::Flusher flusher_;
  std::mutex mu_;
  std::condition_variable retention_cv_;
  std::map<Key, Entry> streams_;
  bool closed_ = false;
  std::thread retention_thread_;
  int lock_fd_ = -1;
};

}  // namespace

uint32_t journal_stream_budget(uint64_t nofile) {
  const uint64_t reserved = std::min(kReservedFds, nofile / 4);
  return uint32_t(std::clamp<uint64_t>((nofile - reserved) / kFdsPerStream, 1, UINT32_MAX));
}

Status StorageEngine::open(EngineOptions opts, std::unique_ptr<StorageEngine>& out) {
  bool uses_journal = opts.default_backend == Backend::Journal;
  for (const auto& [ns, b] : opts.backend_by_namespace) uses_journal |= b == Backend::Journal;
  int lock_fd = -1;
  if (uses_journal) {
    if (opts.data_dir.empty()) {
      return Status::Error(Errc::InvalidArgument, "storage: data_dir is required for the journal");
    }
    const std::string root = opts.data_dir + "/journal";
    Status st = prepare_journal_dir(root, lock_fd);
    if (!st.ok()) {
      if (lock_fd >= 0) ::close(lock_fd);
      return Status::Error(st.code == Errc::InvalidArgument ? st.code : Errc::IoError,
                           "storage: journal directory " + root + " is not usable: " + st.message);
    }
  }
  auto engine = std::make_unique<Engine>(std::move(opts));
  engine->set_lock_fd(lock_fd);
  if (uses_journal) {
    Status st = engine->recover_all();
    if (!st.ok()) return st;
  }
  engine->start_background();
  out = std::move(engine);
  return Status::Ok();
}

}  // namespace unimq::storage
