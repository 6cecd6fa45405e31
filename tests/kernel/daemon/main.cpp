// Catch2 main of the daemon kernel tests (two ipsecd gateways), run inside the qemu VM (label kernel).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
