// Names the rank behind a failed Gloo collective. Gloo's TCP pairs report a broken connection as
// an exception whose text holds only the socket's peer address ("[./gloo/transport/tcp/pair.cc:598]
// Connection closed by peer [10.0.0.2]:41234"); neither the exception nor the context says which
// pair failed, and tcp::Pair keeps its peer's address protected (Debian's libgloo-dev cannot even
// include its header). So once the full mesh is up (pair r is the connection to rank r) the ranks
// exchange the addresses their pairs published and are connected from, and a message is matched
// against them.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <gloo/context.h>

namespace rk::dist {

/** One address of a connection to a rank: as Gloo's messages print it, and as it is. */
struct PeerAddress {
  std::string gloo;
  std::string shown;
};

/**
 * Element r: the addresses Gloo may print for the connection to rank r (none for this rank): the
 * one rank r published and the one it is connected from (which one a message names depends on
 * which side connected). `published`: this rank's value in the rendezvous store. A collective:
 * every rank calls it once connectFullMesh returned.
 */
std::vector<std::vector<PeerAddress>> peerAddresses(const std::shared_ptr<gloo::Context>& context,
                                                    const std::vector<char>& published);

/**
 * Gloo's `what` without its source location; when it names a peer's address, as
 * "rank 2 is gone (connection to 10.0.0.2:41234 closed)" (or reset; or Gloo's words, the address as
 * it is, in the parentheses for other I/O errors on that connection).
 */
std::string describeFailure(const std::string& what,
                            const std::vector<std::vector<PeerAddress>>& peers);

}  // namespace rk::dist
