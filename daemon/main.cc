// presenced: turns Ably's REST presence API into a live feed of enter/leave/update events.
#include "service/cli.h"

int main(int argc, char** argv) { return presenced::RunCli(argc, argv); }
