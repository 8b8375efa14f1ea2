// Issue 5: the audit log. Being written.
#include <catch2/catch.hpp>
