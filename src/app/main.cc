// unimq: one binary, every role. See `unimq --help`.
#include "app/cli.h"
#include "app/server.h"

int main(int argc, char** argv) { return unimq::app::run_cli(argc, argv, unimq::app::run_server); }
