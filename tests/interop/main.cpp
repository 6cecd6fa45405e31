// Catch2 main of the interop tests (ipsecd against real IKE peers), run inside the qemu VM (label interop).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
