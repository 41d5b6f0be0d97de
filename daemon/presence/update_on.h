#pragma once

namespace presenced {

// When a member that stays present emits `update` (CONTRACT §3 `presence.update_on`): kData when
// its data or encoding changed; kAny also when only its Ably message id changed.
enum class UpdateOn { kData, kAny };

}  // namespace presenced
