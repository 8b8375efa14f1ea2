"""The command line every doc renderer shares (scripts/render-*.py).

write_or_check(doc, text, script, description) writes `text` to `doc`, or with --check
compares instead and exits 1 with the start of a diff when the file is stale (CTest runs the
--check form, so a doc can never silently drift from its data). Standard library only.
"""

import argparse
import difflib
import pathlib
import sys


def write_or_check(doc: pathlib.Path, text: str, script: str, description: str) -> int:
    root = pathlib.Path(__file__).resolve().parent.parent
    name = doc.resolve().relative_to(root).as_posix()
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true",
                        help=f"compare with {name} instead of writing it; exit 1 when it is stale")
    args = parser.parse_args()
    if args.check:
        try:
            current = doc.read_text(encoding="utf-8")
        except FileNotFoundError:
            current = ""
        if current == text:
            return 0
        diff = list(difflib.unified_diff(current.splitlines(), text.splitlines(), name,
                                         "rendered", lineterm=""))
        sys.stderr.write(f"{name} is stale: run python3 scripts/{script}\n")
        sys.stderr.write("\n".join(diff[:40]) + ("\n…\n" if len(diff) > 40 else "\n"))
        return 1
    with doc.open("w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    return 0
