#pragma once

// Small helpers of AblyAuth (ably/auth*.cc), internal to the ably module.

#include <string>

#include "ably/batch_parser.h"

namespace presenced {

// Identity of a file's current version (device, inode, size, mtime); "" when it cannot be read.
std::string FileStamp(const std::string& path);
// The auth_url without user info, query or fragment (they may carry secrets).
std::string ShownAuthUrl(const std::string& url);
// "code N: message".
std::string DescribeAblyError(const AblyError& error);

}  // namespace presenced
