// Tests of varsam/insights.h (docs/insights.md).

#include "catch2/catch.hpp"
#include "varsam/insights.h"
