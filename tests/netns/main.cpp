// Catch2 main of the host network-namespace tests (label netns; root).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
