#!/usr/bin/python3
"""Checks kvbench's layering and its CMake dependency lines against the sources.

  check_includes.py [--root DIR] [--layers-only | --deps-only]

Layers (docs/ARCHITECTURE.md): a file in core/<room> may include its own room and rooms on
lower levels; rooms on one level include each other only when declared in SAME_LEVEL_ALLOWED;
bench/ sits above all of core/, tests/ above everything. A core/ room missing from LAYERS
fails the check, so a new room must be given a level here. Production files never include
GoogleTest; core/ never includes Google Benchmark.

Dependencies: every kvb_cc_library / kvb_cc_test / kvb_cc_binary / kvb_cc_benchmark /
kvb_cc_fuzzer lists in DEPS or PUBLIC_DEPS the kvb_* targets whose headers its files
include (PUBLIC_DEPS when a library's header includes them), and no kvb_* target without
such an include; the same for the external libraries in EXTERNAL_TARGETS.

Exits 1 and prints one line per violation.
"""

import argparse
import os
import re
import sys
from collections import defaultdict

# The layer order, lowest first: the one place it is declared (docs/ARCHITECTURE.md
# explains it). Rooms on one level are peers.
LAYERS = [
    ("util",),
    ("trace",),
    ("cache", "model", "metrics"),
    ("index", "hotspot"),
    ("cluster", "engine"),
    ("policy",),
    ("routing", "replication", "decode"),
    ("strategy",),
    ("sim",),
    ("matrix",),
]
# Peers that may include each other: (including room, included room).
SAME_LEVEL_ALLOWED = set()
BENCH_LEVEL = len(LAYERS)      # bench/: every program and micro suite, above all of core/
TESTS_LEVEL = len(LAYERS) + 1  # tests/: may include anything

# External include -> the imported target that provides it, first match wins. Includes of
# other external headers (the standard library, absl/base, ...) are not checked.
EXTERNAL_TARGETS = [
    (re.compile(r"absl/strings/str_format\.h$"), "absl::str_format"),
    (re.compile(r"absl/strings/"), "absl::strings"),
    (re.compile(r"absl/container/flat_hash_map\.h$"), "absl::flat_hash_map"),
    (re.compile(r"absl/container/flat_hash_set\.h$"), "absl::flat_hash_set"),
    (re.compile(r"absl/container/inlined_vector\.h$"), "absl::inlined_vector"),
    (re.compile(r"(oneapi/)?tbb/"), "TBB::tbb"),
    (re.compile(r"nlohmann/"), "nlohmann_json::nlohmann_json"),
    (re.compile(r"benchmark/"), "benchmark::benchmark"),
    (re.compile(r"boost/program_options"), "Boost::program_options"),
    (re.compile(r"simdjson\.h$"), "simdjson::simdjson"),
    (re.compile(r"zstd\.h$"), "zstd::"),  # any zstd:: target (libzstd_shared, libzstd_static)
    (re.compile(r"mpi\.h$"), "MPI::MPI_CXX"),
    (re.compile(r"(gtest|gmock)/"), "GTest::"),
]
# What the helpers link by themselves (cmake/KvbHelpers.cmake).
IMPLICIT_DEPS = {
    "kvb_cc_test": {"GTest::"},
    "kvb_cc_benchmark": {"benchmark::benchmark"},
}
TARGET_FUNCTIONS = ("kvb_cc_library", "kvb_cc_test", "kvb_cc_binary", "kvb_cc_benchmark",
                    "kvb_cc_fuzzer")
SOURCE_DIRS = ("core", "bench", "tests")
SOURCE_EXTENSIONS = (".h", ".cc")
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]', re.M)


def level_of_room(room):
    for level, rooms in enumerate(LAYERS):
        if room in rooms:
            return level
    return None


def room_of(path):
    """core/<room>/... -> room; bench/... -> 'bench'; tests/... -> 'tests'; else None."""
    parts = path.split("/")
    if parts[0] == "core" and len(parts) > 2:
        return parts[1]
    if parts[0] in ("bench", "tests"):
        return parts[0]
    return None


def level_of(room):
    if room == "bench":
        return BENCH_LEVEL
    if room == "tests":
        return TESTS_LEVEL
    return level_of_room(room)


def is_test_file(path):
    """A test or a test helper: may include GoogleTest."""
    name = os.path.basename(path)
    return (path.startswith("tests/") or "/testing/" in path
            or re.search(r"(_test\.(cc|h)|_testing\.h|_for_test\.h|_test_util\.h)$", name)
            is not None)


def external_target(header):
    for pattern, target in EXTERNAL_TARGETS:
        if pattern.match(header):
            return target
    return None


def source_files(root):
    for top in SOURCE_DIRS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames[:] = sorted(d for d in dirnames if d not in ("fixtures", "fuzz"))
            for name in sorted(filenames):
                if name.endswith(SOURCE_EXTENSIONS):
                    yield os.path.relpath(os.path.join(dirpath, name), root)


_include_cache = {}


def includes_of(root, path):
    """[(kind, header)] with kind '"' or '<'."""
    key = (root, path)
    if key not in _include_cache:
        with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
            _include_cache[key] = INCLUDE_RE.findall(f.read())
    return _include_cache[key]


def is_project_header(header):
    return header.split("/")[0] in SOURCE_DIRS


# ----------------------------------------------------------------------------- layers


def check_layers(root):
    errors = []
    rooms_seen = set()
    for path in source_files(root):
        room = room_of(path)
        if room is None:
            continue
        if path.startswith("core/"):
            rooms_seen.add(room)
        level = level_of(room)
        for kind, header in includes_of(root, path):
            where = f"{path}: #include {kind}{header}{'>' if kind == '<' else kind}"
            if header.startswith(("gtest/", "gmock/")) and not is_test_file(path):
                errors.append(f"{where}: GoogleTest in a production file (only *_test.cc and "
                              "test helpers may)")
            if path.startswith("core/") and header.startswith("benchmark/"):
                errors.append(f"{where}: core/ knows nothing of Google Benchmark (micro suites "
                              "live in bench/micro/)")
            if not is_project_header(header) or room == "tests":
                continue
            target_room = room_of(header)
            if target_room is None:
                continue
            if header.startswith("core/"):
                rooms_seen.add(target_room)
            target_level = level_of(target_room)
            if level is None or target_level is None:
                continue  # reported below as an unknown room
            if path.startswith("core/") and not header.startswith("core/"):
                errors.append(f"{where}: core/ must not include {header.split('/')[0]}/")
            elif target_level > level:
                errors.append(f"{where}: '{room}' (level {level}) includes the higher layer "
                              f"'{target_room}' (level {target_level})")
            elif (target_level == level and target_room != room
                  and (room, target_room) not in SAME_LEVEL_ALLOWED):
                errors.append(f"{where}: '{room}' and '{target_room}' share level {level} and "
                              "must not include each other (declare it in SAME_LEVEL_ALLOWED "
                              "if intended)")
    for room in sorted(rooms_seen):
        if level_of_room(room) is None:
            errors.append(f"core/{room}: unknown room; give it a level in LAYERS "
                          "(tests/check_includes.py) and docs/ARCHITECTURE.md")
    return errors


# ----------------------------------------------------------------------------- CMake


def _strip_comments(text):
    out = []
    for line in text.splitlines():
        in_quote = False
        for i, ch in enumerate(line):
            if ch == '"':
                in_quote = not in_quote
            elif ch == "#" and not in_quote and not line[i:i + 2] == "#[":
                line = line[:i]
                break
        out.append(line)
    return "\n".join(out)


def parse_cmake_commands(text):
    """[(name, [args])] of a CMakeLists.txt, in order (conditionals are not evaluated)."""
    text = _strip_comments(text)
    commands = []
    for m in re.finditer(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*\(", text):
        if commands and m.start() < commands[-1][2]:
            continue  # inside the previous command's arguments
        depth, i = 1, m.end()
        while i < len(text) and depth:
            if text[i] == "(":
                depth += 1
            elif text[i] == ")":
                depth -= 1
            i += 1
        body = text[m.end():i - 1]
        args = re.findall(r'"[^"]*"|[^\s()]+', body)
        commands.append((m.group(1).lower(), [a.strip('"') for a in args], i))
    return [(name, args) for name, args, _ in commands]


def _split_keywords(args, keywords):
    out = defaultdict(list)
    current = None
    for arg in args:
        if arg in keywords:
            current = arg
        elif current is not None:
            out[current].append(arg)
    return out


class Target:
    def __init__(self, name, kind, cmake_file):
        self.name = name
        self.kind = kind  # kvb_cc_* or 'interface'
        self.cmake_file = cmake_file
        self.sources = []       # repo-relative
        self.public_deps = []   # as written
        self.private_deps = []

    @property
    def is_library(self):
        return self.kind in ("kvb_cc_library", "interface")


def parse_targets(root):
    """(targets by name, alias -> name) from every CMakeLists.txt under core/, bench/, tests/."""
    root = os.path.abspath(root)  # ${CMAKE_CURRENT_SOURCE_DIR} must expand to an absolute path
    targets, aliases = {}, {}
    cmake_files = []
    for top in SOURCE_DIRS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames.sort()
            if "CMakeLists.txt" in filenames:
                cmake_files.append(os.path.join(dirpath, "CMakeLists.txt"))
    for cmake_file in cmake_files:
        directory = os.path.relpath(os.path.dirname(cmake_file), root)
        rel_cmake = os.path.relpath(cmake_file, root)
        variables = {"CMAKE_CURRENT_SOURCE_DIR": os.path.join(root, directory),
                     "PROJECT_SOURCE_DIR": root, "CMAKE_SOURCE_DIR": root}

        def expand(arg):
            for _ in range(5):
                new = re.sub(r"\$\{(\w+)\}", lambda m: variables.get(m.group(1), ""), arg)
                if new == arg:
                    break
                arg = new
            return arg.split(";") if ";" in arg else [arg]

        def source_path(arg):
            path = arg if os.path.isabs(arg) else os.path.join(root, directory, arg)
            return os.path.relpath(os.path.normpath(path), root)

        with open(cmake_file, encoding="utf-8") as f:
            commands = parse_cmake_commands(f.read())
        for name, raw_args in commands:
            args = [a for raw in raw_args for a in expand(raw) if a and not a.startswith("$<")]
            if name == "set" and args:
                variables[args[0]] = ";".join(args[1:])
            elif name in TARGET_FUNCTIONS:
                kw = _split_keywords(args, {"NAME", "ALIAS", "SRCS", "HDRS", "DEPS",
                                            "PUBLIC_DEPS", "LABELS", "ENV"})
                target = Target(kw["NAME"][0], name, rel_cmake)
                target.sources = [source_path(s) for s in kw["SRCS"] + kw["HDRS"]]
                target.public_deps = list(kw["PUBLIC_DEPS"])
                target.private_deps = list(kw["DEPS"])
                targets[target.name] = target
                for alias in kw["ALIAS"]:
                    aliases[alias] = target.name
            elif name == "add_library" and len(args) >= 2:
                if args[1] == "ALIAS" and len(args) >= 3:
                    aliases[args[0]] = args[2]
                elif args[1] == "INTERFACE":
                    targets[args[0]] = Target(args[0], "interface", rel_cmake)
            elif name == "target_sources" and args and args[0] in targets:
                targets[args[0]].sources += [source_path(s) for s in args[1:]
                                             if s not in ("PRIVATE", "PUBLIC", "INTERFACE")]
            elif name == "target_link_libraries" and args and args[0] in targets:
                target, visibility = targets[args[0]], "PRIVATE"
                for arg in args[1:]:
                    if arg in ("PRIVATE", "PUBLIC", "INTERFACE"):
                        visibility = arg
                    elif visibility == "PRIVATE" and target.kind != "interface":
                        target.private_deps.append(arg)
                    else:
                        target.public_deps.append(arg)
    return targets, aliases


def header_owners(root, targets):
    """header -> library owning it: listed in the library, the header of a listed .cc, or
    the one library of its directory. Test helpers not listed anywhere have no owner: their
    includes count for whoever includes them."""
    owners = {}
    libraries = [t for t in targets.values() if t.is_library]
    for lib in libraries:
        for src in lib.sources:
            owners.setdefault(src, lib.name)
            if src.endswith(".cc"):
                owners.setdefault(src[:-3] + ".h", lib.name)
    by_dir = defaultdict(set)
    for lib in libraries:
        for src in lib.sources:
            by_dir[os.path.dirname(src)].add(lib.name)
    for path in source_files(root):
        if path.endswith(".h") and path not in owners and not is_test_file(path):
            candidates = by_dir.get(os.path.dirname(path), set())
            if len(candidates) == 1:
                owners[path] = next(iter(candidates))
    return owners


def check_deps(root):
    errors = []
    targets, aliases = parse_targets(root)
    owners = header_owners(root, targets)
    existing = set(source_files(root))
    mapped_externals = {t for _, t in EXTERNAL_TARGETS}

    def canonical(dep):
        dep = aliases.get(dep, dep)
        for external in mapped_externals:
            if external.endswith("::") and dep.startswith(external):
                return external
        return dep

    for target in sorted(targets.values(), key=lambda t: t.name):
        if target.kind == "interface" and not target.sources:
            continue  # an umbrella (kvb::core): depending on it is what gets reported
        # Files whose includes count for the target, and whether each is public.
        files = {src: target.kind == "interface" or (target.is_library and src.endswith(".h"))
                 for src in target.sources}
        if target.is_library:
            for header, owner in owners.items():
                if owner == target.name and header in existing:
                    files.setdefault(header, True)
        needed = {}  # dep -> (public?, why)
        optional = set()  # used, but need not be listed
        stack = list(files.items())
        visited = set()
        while stack:
            path, public = stack.pop()
            if (path, public) in visited or path not in existing:
                continue
            visited.add((path, public))
            for kind, header in includes_of(root, path):
                dep = None
                if is_project_header(header):
                    if header not in existing:
                        continue
                    owner = owners.get(header)
                    if owner is None:
                        stack.append((header, public))  # an unowned helper: its includes count
                        continue
                    if owner == target.name:
                        continue
                    dep = owner
                else:
                    dep = external_target(header)
                    if dep is None:
                        continue
                    if dep == "GTest::" and is_test_file(path):
                        optional.add(dep)  # a test helper's own business; may be listed
                        continue
                if dep in IMPLICIT_DEPS.get(target.kind, ()):
                    continue
                old = needed.get(dep)
                if old is None or (public and not old[0]):
                    needed[dep] = (public, f"{path} includes {header}")
        public_declared = {canonical(d) for d in target.public_deps}
        private_declared = {canonical(d) for d in target.private_deps}
        declared = public_declared | private_declared
        where = f"{target.cmake_file}: {target.name}"
        for dep, (public, why) in sorted(needed.items()):
            if dep == "GTest::":
                errors.append(f"{where}: {why}, but only tests may use GoogleTest")
                continue
            shown = "zstd::libzstd_shared" if dep == "zstd::" else dep
            if dep not in declared:
                errors.append(f"{where}: {why}: add {shown} to "
                              f"{'PUBLIC_DEPS' if public and target.is_library else 'DEPS'}")
            elif target.is_library and target.kind != "interface":
                if public and dep not in public_declared:
                    errors.append(f"{where}: {why} (a public header): move {shown} from DEPS "
                                  "to PUBLIC_DEPS")
                elif not public and dep in public_declared and dep not in private_declared:
                    errors.append(f"{where}: only sources include {shown} ({why}): move it "
                                  "from PUBLIC_DEPS to DEPS")
        for dep in sorted(declared):
            if dep in needed or dep in optional or dep == target.name:
                continue
            if dep.startswith("kvb_") or dep.startswith("kvb::") or dep in mapped_externals:
                shown = "zstd::libzstd_shared" if dep == "zstd::" else dep
                errors.append(f"{where}: lists {shown} but none of its files includes a "
                              "header of it: remove it")
    return errors


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), help="the repository (default: this script's parent)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--layers-only", action="store_true")
    group.add_argument("--deps-only", action="store_true")
    args = parser.parse_args(argv)
    errors = []
    if not args.deps_only:
        errors += check_layers(args.root)
    if not args.layers_only:
        errors += check_deps(args.root)
    for error in errors:
        print(error)
    if errors:
        print(f"{len(errors)} violation(s); the layers and the rules: docs/ARCHITECTURE.md")
        return 1
    print("layers and CMake dependencies: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
