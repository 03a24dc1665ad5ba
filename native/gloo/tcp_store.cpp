#include "gloo/tcp_store.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <thread>

#include "core/error.h"

namespace rk::dist {

Socket::~Socket() {
  if (fd_ >= 0) close(fd_);
}

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

namespace {

using Clock = std::chrono::steady_clock;

int msLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

void putU32(std::vector<char>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint32_t getU32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

/** Waits for `events` on fd until the deadline; false on timeout. */
bool waitFor(int fd, short events, Clock::time_point deadline) {
  pollfd p{fd, events, 0};
  for (;;) {
    int n = poll(&p, 1, msLeft(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

/**
 * Connects fd to `a` by the deadline: 0 or an errno value (ETIMEDOUT when the deadline passed).
 * Non-blocking, as a blocking connect to a silent host waits for the kernel's SYN retries
 * (minutes), not for the timeout. Leaves fd blocking.
 */
int connectBy(int fd, const addrinfo* a, Clock::time_point deadline) {
  int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  int error = ::connect(fd, a->ai_addr, a->ai_addrlen) == 0 ? 0 : errno;
  if (error == EINPROGRESS) {
    socklen_t length = sizeof error;
    if (!waitFor(fd, POLLOUT, deadline)) {
      error = ETIMEDOUT;
    } else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) {
      error = errno;
    }
  }
  fcntl(fd, F_SETFL, flags);
  return error;
}

}  // namespace

TcpStore::TcpStore(std::string host, int port, std::chrono::milliseconds timeout)
    : host_(std::move(host)), port_(port), timeout_(timeout) {}

std::string TcpStore::where() const { return str("the store at ", host_, ":", port_); }

void TcpStore::connect(Clock::time_point deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(host_.c_str(), std::to_string(port_).c_str(), &hints, &found);
  if (rc != 0) {
    fail(Error::Code::Distributed, "cannot resolve ", where(), ": ", gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addresses(found, freeaddrinfo);
  std::string lastError = "no address";
  // The server may not listen yet (rank 0 starts it while the others already connect): retry.
  for (;;) {
    for (addrinfo* a = addresses.get(); a; a = a->ai_next) {
      Socket s(socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
      if (!s) {
        lastError = std::strerror(errno);
        continue;
      }
      int error = connectBy(s.fd(), a, deadline);
      if (error == 0) {
        int one = 1;
        setsockopt(s.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        socket_ = std::move(s);
        return;
      }
      lastError = std::strerror(error);
    }
    if (Clock::now() >= deadline) {
      fail(Error::Code::Distributed, "cannot connect to ", where(), " within ", timeout_.count(),
           " ms: ", lastError);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::vector<char> TcpStore::call(Op op, const std::string& key, const std::vector<char>& value,
                                 Clock::time_point deadline) {
  const char* name = op == kSet ? "SET" : "GET";
  if (!socket_) connect(deadline);
  std::vector<char> frame;
  putU32(frame, static_cast<uint32_t>(1 + 4 + key.size() + 4 + value.size()));
  frame.push_back(static_cast<char>(op));
  putU32(frame, static_cast<uint32_t>(key.size()));
  frame.insert(frame.end(), key.begin(), key.end());
  putU32(frame, static_cast<uint32_t>(value.size()));
  frame.insert(frame.end(), value.begin(), value.end());

  auto lost = [&](const std::string& why) {
    socket_ = Socket();
    fail(Error::Code::Distributed, name, " '", key, "' on ", where(), ": ", why);
  };
  for (size_t sent = 0; sent < frame.size();) {
    ssize_t n = send(socket_.fd(), frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) lost(str("send failed: ", std::strerror(errno)));
    sent += static_cast<size_t>(n);
  }
  auto receive = [&](char* into, size_t size) {
    for (size_t got = 0; got < size;) {
      if (!waitFor(socket_.fd(), POLLIN, deadline)) {
        lost(str("no reply within ", timeout_.count(), " ms"));
      }
      ssize_t n = recv(socket_.fd(), into + got, size - got, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n == 0) lost("the server closed the connection");
      if (n < 0) lost(str("recv failed: ", std::strerror(errno)));
      got += static_cast<size_t>(n);
    }
  };
  char header[4 + 1 + 4];
  receive(header, sizeof header);
  uint32_t length = getU32(header);
  uint32_t valueLength = getU32(header + 5);
  if (length != 1 + 4 + valueLength) {
    lost(str("malformed reply (frame length ", length, ", value length ", valueLength, ")"));
  }
  std::vector<char> reply(valueLength);
  receive(reply.data(), reply.size());
  if (header[4] != 0) {
    fail(Error::Code::Distributed, name, " '", key, "' on ", where(),
         ": the server says: ", std::string(reply.begin(), reply.end()));
  }
  return reply;
}

void TcpStore::set(const std::string& key, const std::vector<char>& data) {
  call(kSet, key, data, Clock::now() + timeout_);
}

std::vector<char> TcpStore::get(const std::string& key) {
  return call(kGet, key, {}, Clock::now() + timeout_);
}

void TcpStore::wait(const std::vector<std::string>& keys) { wait(keys, timeout_); }

void TcpStore::wait(const std::vector<std::string>& keys,
                    const std::chrono::milliseconds& timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  for (const std::string& key : keys) call(kGet, key, {}, deadline);
}

}  // namespace rk::dist
