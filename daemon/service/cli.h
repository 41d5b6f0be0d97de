#pragma once

// The command line of CONTRACT §2. Exit codes: 0 clean stop, 1 invalid config or fatal start-up
// error, 2 bad command line.

namespace presenced {

// Parses argv and runs the chosen mode; returns the process exit code.
int RunCli(int argc, char** argv);

}  // namespace presenced
