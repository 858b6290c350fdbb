#!/usr/bin/python3
"""Self-test of check_includes.py on small fake trees: each rule must catch its violation."""

import contextlib
import io
import os
import sys
import tempfile
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_includes  # noqa: E402

# A minimal valid tree: util <- trace <- index, a test, a binary in bench/.
BASE = {
    "core/util/CMakeLists.txt": """
        kvb_cc_library(NAME kvb_util SRCS fnv.cc HDRS fnv.h DEPS absl::strings)
        """,
    "core/util/fnv.h": "#include <cstdint>\n",
    "core/util/fnv.cc": '#include "core/util/fnv.h"\n#include "absl/strings/str_cat.h"\n',
    "core/trace/CMakeLists.txt": """
        # a comment (with parentheses)
        set(trace_srcs trace.cc)
        kvb_cc_library(NAME kvb_trace ALIAS kvb::trace
          SRCS ${trace_srcs}
          HDRS trace.h
          PUBLIC_DEPS kvb_util)
        kvb_cc_test(NAME trace_test SRCS trace_test.cc DEPS kvb::trace)
        """,
    "core/trace/trace.h": '#include "core/util/fnv.h"\n',
    "core/trace/trace.cc": '#include "core/trace/trace.h"\n',
    "core/trace/trace_test.cc": '#include "core/trace/trace.h"\n#include "gtest/gtest.h"\n',
    "core/index/CMakeLists.txt": """
        kvb_cc_library(NAME kvb_index SRCS index.cc HDRS index.h PUBLIC_DEPS kvb_trace
          DEPS kvb_util)
        """,
    "core/index/index.h": '#include "core/trace/trace.h"\n',
    "core/index/index.cc": '#include "core/index/index.h"\n#include "core/util/fnv.h"\n',
    "bench/CMakeLists.txt": """
        kvb_cc_binary(NAME tool SRCS tool.cc DEPS kvb_index nlohmann_json::nlohmann_json)
        """,
    "bench/tool.cc": '#include "core/index/index.h"\n#include <nlohmann/json.hpp>\n',
    "tests/CMakeLists.txt": "",
    "tests/anything_test.cc": '#include "bench/tool.cc"\n',
}


class CheckIncludesTest(unittest.TestCase):
    def run_checker(self, changes=None, removed=()):
        files = dict(BASE)
        files.update(changes or {})
        with tempfile.TemporaryDirectory() as root:
            for path, text in files.items():
                if path in removed:
                    continue
                full = os.path.join(root, path)
                os.makedirs(os.path.dirname(full), exist_ok=True)
                with open(full, "w", encoding="utf-8") as f:
                    f.write(textwrap.dedent(text))
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                status = check_includes.main(["--root", root])
        return status, out.getvalue()

    def assert_fails(self, expected, changes=None, removed=()):
        status, out = self.run_checker(changes, removed)
        self.assertEqual(status, 1, out)
        self.assertIn(expected, out)

    def test_valid_tree_passes(self):
        status, out = self.run_checker()
        self.assertEqual(status, 0, out)

    def test_include_from_a_higher_layer_fails(self):
        self.assert_fails("'trace' (level 1) includes the higher layer 'index' (level 3)",
                          {"core/trace/trace.cc": '#include "core/index/index.h"\n'})

    def test_peers_on_one_level_fail(self):
        self.assert_fails("'index' and 'hotspot' share level 3", {
            "core/hotspot/CMakeLists.txt": "kvb_cc_library(NAME kvb_hotspot SRCS h.cc)\n",
            "core/hotspot/h.cc": "\n",
            "core/index/index.cc": '#include "core/index/index.h"\n#include "core/util/fnv.h"\n'
                                   '#include "core/hotspot/h.h"\n',
            "core/hotspot/h.h": "\n",
        })

    def test_unknown_room_fails(self):
        self.assert_fails("core/newroom: unknown room", {
            "core/newroom/CMakeLists.txt": "",
            "core/newroom/x.cc": '#include "core/util/fnv.h"\n',
        })

    def test_core_including_bench_or_tests_fails(self):
        self.assert_fails("core/ must not include bench/",
                          {"core/trace/trace.cc": '#include "bench/tool.cc"\n'})
        self.assert_fails("core/ must not include tests/",
                          {"core/trace/trace.cc": '#include "tests/anything_test.cc"\n'})

    def test_bench_including_tests_fails(self):
        self.assert_fails("'bench' (level 10) includes the higher layer 'tests'",
                          {"bench/tool.cc": '#include "core/index/index.h"\n'
                                            '#include <nlohmann/json.hpp>\n'
                                            '#include "tests/anything_test.cc"\n'})

    def test_gtest_in_production_file_fails(self):
        self.assert_fails("GoogleTest in a production file",
                          {"core/trace/trace.cc": '#include "core/trace/trace.h"\n'
                                                  '#include "gmock/gmock.h"\n'})

    def test_benchmark_in_core_fails(self):
        self.assert_fails("core/ knows nothing of Google Benchmark",
                          {"core/trace/trace.cc": '#include "core/trace/trace.h"\n'
                                                  '#include "benchmark/benchmark.h"\n'})

    def test_missing_dep_fails(self):
        self.assert_fails("tool: bench/tool.cc includes core/trace/trace.h: add kvb_trace to DEPS",
                          {"bench/tool.cc": '#include "core/index/index.h"\n'
                                            '#include "core/trace/trace.h"\n'
                                            '#include <nlohmann/json.hpp>\n'})

    def test_missing_external_dep_fails(self):
        self.assert_fails("kvb_trace: core/trace/trace.cc includes absl/strings/str_format.h: "
                          "add absl::str_format to DEPS",
                          {"core/trace/trace.cc": '#include "core/trace/trace.h"\n'
                                                  '#include "absl/strings/str_format.h"\n'})

    def test_unused_dep_fails(self):
        self.assert_fails("tool: lists kvb_util but none of its files includes a header of it",
                          {"bench/CMakeLists.txt":
                               "kvb_cc_binary(NAME tool SRCS tool.cc DEPS kvb_index kvb_util "
                               "nlohmann_json::nlohmann_json)"})

    def test_unused_external_dep_fails(self):
        self.assert_fails("kvb_util: lists absl::strings but none of its files includes",
                          {"core/util/fnv.cc": '#include "core/util/fnv.h"\n'})

    def test_public_header_needs_public_dep(self):
        self.assert_fails("move kvb_util from DEPS to PUBLIC_DEPS", {
            "core/trace/CMakeLists.txt": "kvb_cc_library(NAME kvb_trace SRCS trace.cc "
                                         "HDRS trace.h DEPS kvb_util)\n"
                                         "kvb_cc_test(NAME trace_test SRCS trace_test.cc "
                                         "DEPS kvb_trace)\n"})

    def test_source_only_dep_must_be_private(self):
        self.assert_fails("only sources include kvb_util", {
            "core/index/CMakeLists.txt": "kvb_cc_library(NAME kvb_index SRCS index.cc "
                                         "HDRS index.h PUBLIC_DEPS kvb_trace kvb_util)\n"})

    def test_unlisted_test_helper_counts_for_its_includer(self):
        self.assert_fails("trace_test: core/trace/helper_testing.h includes core/index/index.h",
                          {"core/trace/trace_test.cc": '#include "core/trace/trace.h"\n'
                                                       '#include "core/trace/helper_testing.h"\n',
                           "core/trace/helper_testing.h": '#include "gtest/gtest.h"\n'
                                                          '#include "core/index/index.h"\n'})

    def test_test_helper_library_may_use_gtest(self):
        status, out = self.run_checker({
            "core/trace/CMakeLists.txt": BASE["core/trace/CMakeLists.txt"] + """
                add_library(kvb_trace_testing INTERFACE)
                target_sources(kvb_trace_testing INTERFACE
                  ${CMAKE_CURRENT_SOURCE_DIR}/testing/trace_testing.h)
                target_link_libraries(kvb_trace_testing INTERFACE kvb_trace GTest::gtest)
                """,
            "core/trace/testing/trace_testing.h": '#include "gtest/gtest.h"\n'
                                                  '#include "core/trace/trace.h"\n'})
        self.assertEqual(status, 0, out)


if __name__ == "__main__":
    unittest.main()
