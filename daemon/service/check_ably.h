#pragma once

// `presenced --check-ably` (CONTRACT §2): before deploying, checks the config's credentials
// against Ably with the probes presenced will depend on, and says what the config will cost:
//  - time: GET /time (not billed), the offset between this host's clock and Ably's;
//  - credentials: a token from auth_url or token_file when configured;
//  - enumeration: one page of GET /channels per discovery prefix (`channel-metadata` on `*`);
//  - batch presence: up to 100 configured channels (else discovered ones), `subscribe` on each;
//  - presence history: one channel's recent history in `presence.mode: history` (`history`);
//  - cost: requests and billed messages per hour at the member counts just seen, next to the
//    hourly limits of Ably's plans, and the smallest plan each fits (service/cost_estimate.h).
// One plain line per probe on `out`; a failure names the missing capability, the channel or
// resource, and the fix. No secret is printed (nor logged). Returns 0 when every probe passed,
// else 1.

#include <cstdio>

#include "common/random.h"
#include "config/config.h"

namespace presenced {

int RunCheckAbly(const Config& config, Random& random, std::FILE* out);

}  // namespace presenced
