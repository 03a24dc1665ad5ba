#include "gloo/lost_rank.h"

#include <gloo/allgather.h>
#include <gloo/transport/pair.h>
#include <gloo/transport/tcp/address.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "core/error.h"

namespace rk::dist {

namespace {

using gloo::transport::tcp::Address;

/** Room for one address as text ("[" IPv6 "]:" port), NUL-padded. */
constexpr size_t kSlotBytes = 64;
/** Per connection: its address as published and as connected, each as Gloo prints it and as it is.
 */
constexpr size_t kSlots = 4;

/** "10.0.0.2:41234" ("[::1]:41234"). Gloo's own str() prints the port in network byte order. */
std::string shown(const Address& address) {
  const sockaddr_storage& ss = address.getSockaddr();
  char host[INET6_ADDRSTRLEN] = "?";
  if (ss.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(ss);
    inet_ntop(AF_INET, &in.sin_addr, host, sizeof host);
    return str(host, ":", ntohs(in.sin_port));
  }
  const auto& in6 = reinterpret_cast<const sockaddr_in6&>(ss);
  inet_ntop(AF_INET6, &in6.sin6_addr, host, sizeof host);
  return str("[", host, "]:", ntohs(in6.sin6_port));
}

void put(std::vector<char>& into, size_t slot, const std::string& text) {
  text.copy(&into[slot * kSlotBytes], kSlotBytes - 1);
}

/** Drops Gloo's "[./gloo/transport/tcp/pair.cc:598] " prefix. */
std::string withoutLocation(const std::string& what) {
  if (what.rfind("[", 0) != 0) return what;
  size_t end = what.find("] ");
  if (end == std::string::npos || what.find(".cc:") > end) return what;
  return what.substr(end + 2);
}

/** Whether `message` holds `address` followed by no further digit (port 4123 is not 41234). */
bool names(const std::string& message, const std::string& address) {
  for (size_t at = message.find(address); at != std::string::npos;
       at = message.find(address, at + 1)) {
    size_t after = at + address.size();
    if (after == message.size() || !std::isdigit(static_cast<unsigned char>(message[after]))) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::vector<std::vector<PeerAddress>> peerAddresses(const std::shared_ptr<gloo::Context>& context,
                                                    const std::vector<char>& published) {
  auto n = static_cast<size_t>(context->size);
  auto me = static_cast<size_t>(context->rank);
  // connectFullMesh published one address per other rank, in rank order, all of one size.
  size_t each = n > 1 ? published.size() / (n - 1) : 0;
  std::vector<char> mine(n * kSlots * kSlotBytes, '\0');
  for (size_t r = 0, k = 0; r < n; ++r) {
    if (r == me) continue;
    Address before(std::vector<char>(published.begin() + static_cast<ptrdiff_t>(k * each),
                                     published.begin() + static_cast<ptrdiff_t>((k + 1) * each)));
    ++k;
    const auto& now =
        dynamic_cast<const Address&>(context->getPair(static_cast<int>(r))->address());
    size_t base = r * kSlots;
    put(mine, base, before.str());
    put(mine, base + 1, shown(before));
    put(mine, base + 2, now.str());
    put(mine, base + 3, shown(now));
  }
  std::vector<char> all(n * mine.size());
  gloo::AllgatherOptions opts(context);
  opts.setInput(mine.data(), mine.size());
  opts.setOutput(all.data(), all.size());
  gloo::allgather(opts);
  std::vector<std::vector<PeerAddress>> peers(n);
  for (size_t r = 0; r < n; ++r) {
    if (r == me) continue;
    const char* theirs = &all[(r * n + me) * kSlots * kSlotBytes];
    for (size_t i = 0; i < kSlots; i += 2) {
      peers[r].push_back({theirs + i * kSlotBytes, theirs + (i + 1) * kSlotBytes});
    }
  }
  return peers;
}

std::string describeFailure(const std::string& what,
                            const std::vector<std::vector<PeerAddress>>& peers) {
  std::string message = withoutLocation(what);
  static const std::string kClosed = "Connection closed by peer ";
  static const std::string kReadError = "Read error ";
  for (size_t r = 0; r < peers.size(); ++r) {
    for (const PeerAddress& address : peers[r]) {
      if (!names(message, address.gloo)) continue;
      std::string detail = message;
      if (message == kClosed + address.gloo) {
        detail = str("connection to ", address.shown, " closed");
      } else if (message == str(kReadError, address.gloo, ": ", std::strerror(ECONNRESET))) {
        // A peer that dies with data unread resets rather than closes.
        detail = str("connection to ", address.shown, " reset");
      } else {
        detail.replace(detail.find(address.gloo), address.gloo.size(), address.shown);
      }
      return str("rank ", r, " is gone (", detail, ")");
    }
  }
  return message;
}

}  // namespace rk::dist
