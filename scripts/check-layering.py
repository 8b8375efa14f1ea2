#!/usr/bin/env python3
"""check-layering.py ROOT COMPONENTS_TXT [ARCHITECTURE_MD]: checks the library keeps its layers.

COMPONENTS_TXT is the component list the build writes (cmake/VarsamComponents.cmake), one line a
component, bottom up:  name|folder|public headers|components it depends on.
Rules (docs/architecture.md, "Components"):
  1. every file of a component's folder includes, of varsam's headers, only its own private
     headers (by a bare name, found in its folder) and the public headers of itself and of the
     components it declares;
  2. every public header include/varsam/*.h belongs to exactly one component and includes only
     the public headers of that component and of those it declares;
  3. every folder under src/ is a component's;
  4. with ARCHITECTURE_MD: its table "Components and what each may use" lists every component
     with exactly the dependencies the build declares (the documented graph is the built one).
Outside libraries (absl/, nlohmann/, re2/, openssl/, sqlite3.h, libpq-fe.h, Eigen/, the C and C++
standard headers) are the build's business, not this check's. Prints one line per violation
and exits 1 when there is one.
"""

import pathlib
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)
OUTSIDE = ("absl/", "nlohmann/", "re2/", "openssl/", "sqlite3.h", "libpq-fe.h", "catch2/",
           "benchmark/", "CLI/", "Eigen/", "Clp", "Coin")
SOURCE_SUFFIXES = {".h", ".cc", ".c"}


def read_components(path):
    components = []
    for line in pathlib.Path(path).read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        name, folder, headers, depends = line.split("|")
        components.append({
            "name": name,
            "folder": folder,
            "headers": [h for h in headers.split(",") if h],
            "depends": [d for d in depends.split(",") if d],
        })
    return components


def includes(path):
    """(line number, bracket, name) of each #include in the file."""
    text = path.read_text(encoding="utf-8", errors="replace")
    for match in INCLUDE.finditer(text):
        yield text.count("\n", 0, match.start()) + 1, match.group(1), match.group(2)


def check(root, components):
    root = pathlib.Path(root)
    errors = []
    owner = {}  # public header ("varsam/core.h", "varsam.h") -> component name
    for c in components:
        for header in c["headers"]:
            if header in owner:
                errors.append(f"{header}: claimed by {owner[header]} and {c['name']}")
            owner[header] = c["name"]
    allowed = {c["name"]: {c["name"], *c["depends"]} for c in components}

    def check_public(rel, name, component, where):
        ok = allowed[component]
        if name not in owner:
            errors.append(f"{where}: includes {name}, which no component declares")
        elif owner[name] not in ok:
            errors.append(f"{where}: {component} includes {name} of {owner[name]}, which "
                          f"{component} does not depend on (it may use: "
                          f"{', '.join(sorted(ok))})")

    # Rule 1: the files of each component's folder.
    for c in components:
        folder = root / c["folder"]
        for path in sorted(folder.rglob("*")):
            if path.suffix not in SOURCE_SUFFIXES:
                continue
            rel = path.relative_to(root)
            for line, bracket, name in includes(path):
                where = f"{rel}:{line}"
                if name.startswith(OUTSIDE):
                    continue
                if name.startswith("varsam/") or name in owner:
                    check_public(rel, name, c["name"], where)
                elif bracket == '"':
                    target = (path.parent / name).resolve()
                    if "/" in name or not target.is_file() or target.parent != folder.resolve():
                        errors.append(f"{where}: {c['name']} includes \"{name}\", which is not "
                                      f"a private header of {c['folder']} nor a public header")
    # Rule 2: the public headers.
    for path in sorted((root / "include").rglob("*.h")):
        name = str(path.relative_to(root / "include"))
        if name not in owner:
            errors.append(f"include/{name}: belongs to no component")
            continue
        for line, _, included in includes(path):
            if included.startswith("varsam/"):
                check_public(name, included, owner[name], f"include/{name}:{line}")
    # Rule 3: no folder of src/ outside the components.
    folders = {(root / c["folder"]).resolve() for c in components}
    for path in sorted((root / "src").iterdir()):
        if path.is_dir() and path.resolve() not in folders:
            errors.append(f"{path.relative_to(root)}: a folder of src/ that is no component")
    return errors


TABLE_ROW = re.compile(r"^\|\s*`([a-z]+)/?`\s*\|[^|]*\|([^|]*)\|")


def check_documented(path, components):
    """Rule 4: the architecture document's component table against the declared graph."""
    documented = {}
    for line in pathlib.Path(path).read_text().splitlines():
        match = TABLE_ROW.match(line)
        if match:
            uses = match.group(2).strip()
            documented[match.group(1)] = set() if uses in ("", "—", "-") else {
                u.strip() for u in uses.split(",")}
    errors = []
    for c in components:
        if c["name"] not in documented:
            errors.append(f"{path}: the component table has no row for {c['name']}")
        elif documented[c["name"]] != set(c["depends"]):
            errors.append(f"{path}: {c['name']} may use {', '.join(sorted(documented[c['name']]))}"
                          f" by the table, {', '.join(sorted(c['depends'])) or 'nothing'} by "
                          f"the build")
    return errors


def main(argv):
    if len(argv) not in (3, 4):
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    components = read_components(argv[2])
    errors = check(argv[1], components)
    if len(argv) == 4:
        errors += check_documented(argv[3], components)
    for error in errors:
        print(error)
    if errors:
        print(f"{len(errors)} layering violation(s); the graph is in docs/architecture.md")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
