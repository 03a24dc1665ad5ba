// A gloo::rendezvous::Store that talks to rnnkit's TCP store server (lib/distributed/store.ts,
// served by rank 0's process). Each message is a frame: u32le length of the rest, then
//   request: u8 op, u32le key length, key, u32le value length, value
//   reply:   u8 status (0 ok, 1 error), u32le value length, value (status 1: a UTF-8 message)
// Ops: 1 SET (reply empty), 2 GET (the server replies once the key exists), 3 ADD (i64le delta,
// reply the counter as i64le), 4 CHECK (reply one byte 1/0). Gloo's Store needs SET and GET only.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <gloo/rendezvous/store.h>

namespace rk::dist {

/** A connected socket, closed with its owner. */
class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket();
  Socket(Socket&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Socket& operator=(Socket&& other) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  int fd() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

class TcpStore : public gloo::rendezvous::Store {
 public:
  /** Connects lazily; `timeout` bounds connecting (the server may start later) and each GET. */
  TcpStore(std::string host, int port, std::chrono::milliseconds timeout);

  void set(const std::string& key, const std::vector<char>& data) override;
  std::vector<char> get(const std::string& key) override;
  void wait(const std::vector<std::string>& keys) override;
  void wait(const std::vector<std::string>& keys,
            const std::chrono::milliseconds& timeout) override;

 private:
  enum Op : uint8_t { kSet = 1, kGet = 2 };
  using Clock = std::chrono::steady_clock;

  /** One request and its reply's value; throws RK_DISTRIBUTED on error, timeout or lost server. */
  std::vector<char> call(Op op, const std::string& key, const std::vector<char>& value,
                         Clock::time_point deadline);
  void connect(Clock::time_point deadline);
  std::string where() const;

  std::string host_;
  int port_;
  std::chrono::milliseconds timeout_;
  // Closed after any failure: a reply may still be on its way, so the stream is out of step.
  Socket socket_;
};

}  // namespace rk::dist
