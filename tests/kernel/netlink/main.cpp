// Catch2 main of the netlink kernel tests, run inside the qemu VM (label kernel).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
